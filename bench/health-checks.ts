/**
 * Health-check run under load: 500 HTTP targets on a local server that answers after 200 ms and 20
 * targets that never answer (2 s timeout), placed last — the worst order, since they start when the
 * fast ones are done. Reports the wall time of one run and its ratio to the slowest timeout, at the
 * default concurrency and a few others; the peak RSS of the checking process (the server runs in a
 * child process); and the size of the esbuild-bundled handler.
 * Goals: wall time ≤ 1.5× the slowest timeout at the default concurrency; handler bundle ≤ 1 MB.
 *
 * Run alone: npx tsx bench/health-checks.ts
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { DEFAULT_CONCURRENCY, run as runChecks } from '../lambdas/health-check/health-check';
import { silentLog } from '../lambdas/shared/log';
import { MemoryMetrics } from '../lambdas/shared/metrics';
import { effectiveHealthTargets } from '../lib/config/resolved';
import { configSchema } from '../lib/config/schema';
import { BUNDLE_EXTERNALS } from '../lib/constructs/bundle';
import { type BenchResult, printResult, writeResult } from './report';

const ROOT = resolve(import.meta.dirname, '..');
const FAST_TARGETS = 500;
const HANGING_TARGETS = 20;
const ANSWER_AFTER_MS = 200;
const TIMEOUT_MS = 2_000;
const BUNDLE_GOAL_BYTES = 1024 * 1024;

/** The target server, in its own process so the checker's RSS is its own. */
const SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  if (req.url === '/hang') return; // never answers
  setTimeout(() => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"status":"ok"}'); }, ${ANSWER_AFTER_MS});
});
server.maxConnections = 10000;
server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => process.stdout.write(server.address().port + '\\n'));
`;

function startServer(): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolvePort, reject) => {
    const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.once('error', reject);
    child.stdout?.once('data', (chunk: Buffer) => resolvePort({ child, port: Number(String(chunk).trim()) }));
  });
}

function targetsFor(port: number) {
  const config = configSchema.parse({
    project: 'bench',
    region: 'eu-west-1',
    alerts: { levels: [{ name: 'ops', email: ['ops@example.com'] }] },
    healthChecks: {
      defaults: { timeout: `${TIMEOUT_MS}ms` },
      targets: [
        ...Array.from({ length: FAST_TARGETS }, (_, i) => ({
          name: `fast-${i}`,
          http: { url: `http://127.0.0.1:${port}/ok?i=${i}`, json: [{ path: '$.status', equals: 'ok' }] },
        })),
        ...Array.from({ length: HANGING_TARGETS }, (_, i) => ({
          name: `hang-${i}`,
          http: { url: `http://127.0.0.1:${port}/hang` },
        })),
      ],
    },
  });
  return effectiveHealthTargets(config);
}

async function oneRun(port: number, concurrency: number) {
  const targets = targetsFor(port);
  const start = performance.now();
  const result = await runChecks(
    {
      project: 'bench',
      secrets: { getSecretString: async () => '' },
      metrics: new MemoryMetrics(),
      log: silentLog,
      now: () => new Date(),
    },
    { targets, concurrency },
  );
  const wallMs = performance.now() - start;
  return {
    wallMs,
    up: result.up,
    down: result.down,
    timedOut: result.results.filter((r) => r.reason?.startsWith('timed out')).length,
  };
}

async function bundleSize(alias: boolean): Promise<number> {
  const outdir = mkdtempSync(join(tmpdir(), 'nightshift-bench-bundle-'));
  try {
    await build({
      entryPoints: [join(ROOT, 'lambdas/health-check/handler.ts')],
      outfile: join(outdir, 'index.mjs'),
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node24',
      format: 'esm',
      mainFields: ['module', 'main'],
      external: ['@aws-sdk/*', ...BUNDLE_EXTERNALS],
      ...(alias ? { alias: { 'whatwg-url': join(ROOT, 'lambdas/shared/whatwg-url.ts') } } : {}),
      logLevel: 'error',
    });
    return statSync(join(outdir, 'index.mjs')).size;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} kB`;

export async function run(): Promise<BenchResult> {
  const { child, port } = await startServer();
  const rows: Record<string, string | number>[] = [];
  let atDefault: { wallMs: number } | undefined;
  try {
    await oneRun(port, 64); // warm-up: JIT, DNS-free sockets, server accept queue
    const rssBefore = process.memoryUsage().rss;
    for (const concurrency of [32, 64, DEFAULT_CONCURRENCY, 256].filter(
      (c, i, all) => all.indexOf(c) === i,
    )) {
      const measured = await oneRun(port, concurrency);
      if (concurrency === DEFAULT_CONCURRENCY) atDefault = measured;
      rows.push({
        measure: `one run, concurrency ${concurrency}${concurrency === DEFAULT_CONCURRENCY ? ' (default)' : ''}`,
        targets: FAST_TARGETS + HANGING_TARGETS,
        up: measured.up,
        'timed out': measured.timedOut,
        'wall ms': Math.round(measured.wallMs),
        'x slowest timeout': (measured.wallMs / TIMEOUT_MS).toFixed(2),
        'peak RSS': `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
        'RSS before runs': `${(rssBefore / 1024 / 1024).toFixed(0)} MB`,
      });
    }
  } finally {
    child.kill('SIGKILL');
  }
  const [plain, aliased] = [await bundleSize(false), await bundleSize(true)];
  rows.push({ measure: 'handler bundle, as function-defaults bundles today', size: kb(plain) });
  rows.push({ measure: 'handler bundle, whatwg-url aliased to Node URL', size: kb(aliased) });
  const ratio = (atDefault?.wallMs ?? Number.POSITIVE_INFINITY) / TIMEOUT_MS;
  return {
    name: 'health-checks',
    rows,
    goals: [
      {
        goal: `one run of ${FAST_TARGETS}+${HANGING_TARGETS} targets ≤ 1.5× the slowest timeout (${TIMEOUT_MS} ms), concurrency ${DEFAULT_CONCURRENCY}`,
        met: ratio <= 1.5,
        value: `${ratio.toFixed(2)}×`,
      },
      {
        goal: 'handler bundle ≤ 1 MB (with the whatwg-url alias)',
        met: aliased <= BUNDLE_GOAL_BYTES,
        value: kb(aliased),
      },
      { goal: 'handler bundle ≤ 1 MB (as bundled today)', met: plain <= BUNDLE_GOAL_BYTES, value: kb(plain) },
    ],
  };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const result = await run();
  printResult(result);
  console.error(`wrote ${writeResult(result)}`);
}
