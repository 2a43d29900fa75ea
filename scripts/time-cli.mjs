#!/usr/bin/env node
// Times the `nightshift` CLI as a user starts it: a new process per run, `--runs` runs per case (default
// 5), median and range of the wall time, and the median CPU time (user + system, Linux only). Run it
// with Node.js 24 from the repository root:
//   npx node scripts/time-cli.mjs            every case
//   npx node scripts/time-cli.mjs plan       the cases whose name contains "plan"
//   npx node scripts/time-cli.mjs --runs 3
// docs/development.md records the figures on the reference machine.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'nightshift.js');
const CONFIG = join(ROOT, 'examples', 'inventory.yaml');

const CASES = [
  { name: '--help', args: ['--help'] },
  { name: 'plan --help', args: ['plan', '--help'] },
  { name: 'validate', args: ['validate', '--config', CONFIG] },
  // the template cache (lib/plan-cache.ts) holds this config's templates: filled by a warm-up run
  { name: 'plan (cached templates)', args: ['plan', '--config', CONFIG], warmUp: true },
  // what a user waits for after editing the config: a new cache key, so a synthesis (the caches of
  // valid templates and of V8's compilation are warm from the warm-up run, as from the plan before)
  { name: 'plan (after a config change)', args: () => ['plan', '--config', changedConfig()], warmUp: true },
  { name: 'plan (synthesis)', args: ['plan', '--config', CONFIG], env: { NIGHTSHIFT_PLAN_CACHE: '0' } },
];

// a different start on every invocation: a value of an earlier invocation would be a cache hit
let changes = Date.now() % 900_000;
/** A copy of the inventory example with one value changed (a different one on every call). */
function changedConfig() {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-time-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'inventory.yaml');
  const text = readFileSync(CONFIG, 'utf8');
  // the auth-failures log pattern's threshold: an alarm in the jobs stack changes, the data stack not
  const changed = text.replace('threshold: 20', `threshold: ${21 + (changes++ % 900_000)}`);
  if (changed === text) throw new Error('examples/inventory.yaml no longer sets threshold: 20');
  writeFileSync(file, changed);
  return file;
}

const argv = process.argv.slice(2);
const runsAt = argv.indexOf('--runs');
const runs = runsAt >= 0 ? Number(argv[runsAt + 1]) : 5;
const filter = argv.filter((arg, i) => !arg.startsWith('--') && !(runsAt >= 0 && i === runsAt + 1))[0];

/** CPU seconds of the reaped children of this process (Linux /proc; undefined elsewhere). */
function childCpuSeconds() {
  if (!existsSync('/proc/self/stat')) return undefined;
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  // after "pid (comm) ": state is field 3, cutime field 16, cstime field 17 (1-based); ticks of 1/100 s
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function runOnce(testCase) {
  const cpuBefore = childCpuSeconds();
  const start = performance.now();
  const args = typeof testCase.args === 'function' ? testCase.args() : testCase.args;
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...testCase.env },
    encoding: 'utf8',
  });
  const wall = (performance.now() - start) / 1000;
  const cpuAfter = childCpuSeconds();
  if (result.status !== 0) {
    throw new Error(`nightshift ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  }
  return { wall, cpu: cpuBefore === undefined ? undefined : cpuAfter - cpuBefore };
}

console.log(`node ${process.version}, ${runs} runs per case, load average ${loadAverage()}`);
for (const testCase of CASES) {
  if (filter && !testCase.name.includes(filter)) continue;
  if (testCase.warmUp) runOnce(testCase);
  const samples = Array.from({ length: runs }, () => runOnce(testCase));
  const walls = samples.map((s) => s.wall);
  const cpus = samples.map((s) => s.cpu).filter((c) => c !== undefined);
  const cpu = cpus.length ? `, CPU ${median(cpus).toFixed(2)} s` : '';
  console.log(
    `${testCase.name.padEnd(26)} median ${median(walls).toFixed(2)} s (${Math.min(...walls).toFixed(2)}–${Math.max(...walls).toFixed(2)})${cpu}`,
  );
}

function loadAverage() {
  return existsSync('/proc/loadavg')
    ? readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
    : 'n/a';
}
