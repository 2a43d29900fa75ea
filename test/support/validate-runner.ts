/**
 * Child-process runner for the bad-config corpus: runs the real CLI entry (`main`) as
 * `nightshift validate --config FILE` once per file in this one process, and prints one JSON line per
 * file with the exit code, everything written to stdout/stderr, the CPU the validation took
 * (process.cpuUsage) and the process's peak memory so far (process.resourceUsage().maxRSS).
 * Usage: node --import tsx test/support/validate-runner.ts FILE...
 */
import { main } from '../../lib/cli/main';

const files = process.argv.slice(2);
// Load every command module once, so the first file's figures measure validation, not imports.
await capture(() => main(['node', 'nightshift', '--help']));
const baselineRssKb = process.resourceUsage().maxRSS;

for (const file of files) {
  process.exitCode = 0;
  const before = process.cpuUsage();
  const { code, out, err } = await capture(() => main(['node', 'nightshift', 'validate', '--config', file]));
  const cpu = process.cpuUsage(before);
  process.exitCode = 0;
  const line = {
    file,
    code,
    stdout: out,
    stderr: err,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    baselineRssMb: baselineRssKb / 1024,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`, 'utf8');
}

async function capture(run: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const stdout = process.stdout.write.bind(process.stdout);
  const stderr = process.stderr.write.bind(process.stderr);
  let out = '';
  let err = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await run();
    return { code, out, err };
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  }
}
