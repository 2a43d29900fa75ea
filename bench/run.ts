/**
 * `npm run bench [area ...] [-- --flag=value ...]`: runs each bench/<area>.ts module's `run(flags)`,
 * prints its table and goals, and writes bench/results/<area>.json. Areas: every .ts file here but
 * run.ts and report.ts. Arguments starting with `--` are passed to every area's run() (e.g.
 * `npm run bench -- backup --pg-gb=1 --rounds=3`; see each area's header for its flags).
 */
import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { type BenchResult, printResult, writeResult } from './report';

const available = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'report.ts'].includes(f))
  .map((f) => basename(f, '.ts'))
  .sort();
const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(', ')} — available: ${available.join(', ')}`);
  process.exit(2);
}

let failed = false;
for (const area of wanted.length ? wanted : available) {
  console.error(`running bench/${area}.ts …`);
  const module = (await import(`./${area}.ts`)) as { run?: (flags: string[]) => Promise<BenchResult> };
  if (typeof module.run !== 'function') {
    console.error(`bench/${area}.ts exports no run() — skipped`);
    continue;
  }
  const result = await module.run(flags);
  printResult(result);
  console.error(`wrote ${writeResult(result)}`);
  if (result.goals.some((goal) => !goal.met)) failed = true;
}
process.exitCode = failed ? 1 : 0;
