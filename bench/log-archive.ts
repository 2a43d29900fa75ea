/**
 * Log archive throughput and memory: N synthetic events (0.2 M and 2 M) through the real core
 * (FilterLogEvents-style pages → NDJSON → zstd → multipart uploads → manifest) against s3rver,
 * with a paginating stand-in for the Logs API that generates each page on demand (so the source
 * holds one page at a time, like the real API). Each size runs in its own child process, which
 * reports its peak RSS (process.resourceUsage().maxRSS); s3rver runs in this (parent) process so
 * its memory is not counted.
 *
 * The child runs with the function's V8 flags (LOG_ARCHIVE_NODE_FLAGS, set as NODE_OPTIONS in AWS).
 * Goals: peak RSS ≤ 200 MB at 2 M events, and flat: RSS(2 M) / RSS(0.2 M) ≤ 1.25.
 * CPU time (process.cpuUsage, every thread: the zstd frames compress on libuv's pool) is reported
 * beside wall time, which a loaded machine distorts.
 * Run alone: npx tsx bench/log-archive.ts
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { dayWindow } from '../lambdas/log-archive/day';
import { run as archive, LOG_ARCHIVE_NODE_FLAGS } from '../lambdas/log-archive/log-archive';
import type { LogsSource, SourceEvent } from '../lambdas/log-archive/source';
import { silentLog } from '../lambdas/shared/log';
import { MemoryMetrics } from '../lambdas/shared/metrics';
import { logArchiveSchema } from '../lib/config/schema';
import { type BenchResult, printResult, writeResult } from './report';

/** BENCH_LOG_EVENTS=2000000 (comma-separated) runs other sizes, e.g. one for a before/after. */
const SIZES = process.env.BENCH_LOG_EVENTS
  ? process.env.BENCH_LOG_EVENTS.split(',').map(Number)
  : [200_000, 2_000_000];
const PAGE = 5_000; // FilterLogEvents returns at most 1 MB / 10,000 events per page
const RSS_GOAL_MB = 200;
const FLAT_GOAL = 1.25;
const DATE = '2025-03-14';

interface ChildResult {
  readonly events: number;
  readonly parts: number;
  readonly bytes: number;
  readonly uncompressedBytes: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly maxRssKb: number;
}

/** A LogsSource that serves `total` events of one group in pages, generating each page on demand. */
function paginatingSource(group: string, total: number, startMs: number, endMs: number): LogsSource {
  const paths = ['/api/orders', '/api/customers', '/api/cart', '/health', '/api/checkout'];
  const event = (i: number): SourceEvent => {
    const x = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
    const status = x % 23 === 0 ? 500 : 200;
    return {
      timestamp: startMs + Math.floor(((endMs - startMs) * i) / total),
      stream: `2025/03/14/[$LATEST]${(x % 8).toString(16).padStart(32, 'a')}`,
      message:
        status === 500
          ? `ERROR request ${x.toString(16)} failed: upstream timeout after ${x % 3000} ms\n`
          : `INFO GET ${paths[x % paths.length]}/${x % 100_000} ${status} ${x % 400}ms req=${x.toString(36)}-${i.toString(36)} user=${(x >>> 7) % 5000}\n`,
    };
  };
  return {
    async describeGroups() {
      return { groups: [{ name: group }] };
    },
    async groupTags() {
      return {};
    },
    async filterEvents(request) {
      const from = request.nextToken ? Number(request.nextToken) : 0;
      const to = Math.min(total, from + PAGE);
      const events: SourceEvent[] = [];
      for (let i = from; i < to; i++) events.push(event(i));
      return { events, nextToken: to < total ? String(to) : undefined };
    },
  };
}

async function child(total: number, endpoint: string, bucket: string): Promise<void> {
  const s3 = new S3Client({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const window = dayWindow(DATE, 'UTC');
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const report = await archive(
    {
      source: paginatingSource('/bench/api', total, window.startMs, window.endMs),
      s3,
      bucket,
      config: logArchiveSchema.parse({ groups: [{ name: '/bench/api' }], day: 'utc' }),
      timeZone: 'UTC',
      project: 'bench',
      log: silentLog,
      metrics: new MemoryMetrics(),
      now: () => new Date(window.endMs + 3_600_000),
    },
    { date: DATE },
  );
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const group = report.groups[0];
  if (report.status !== 'archived' || group?.events !== total) {
    throw new Error(`bench run did not archive ${total} events: ${JSON.stringify(report)}`);
  }
  const result: ChildResult = {
    events: group.events,
    parts: group.parts,
    bytes: group.bytes,
    uncompressedBytes: 0,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssKb: process.resourceUsage().maxRSS,
  };
  const { readManifest, manifestKey } = await import('../lambdas/log-archive/manifest');
  const stored = await readManifest(s3, bucket, manifestKey('logs/', DATE));
  process.stdout.write(
    `${JSON.stringify({ ...result, uncompressedBytes: stored?.manifest.uncompressedBytes ?? 0 })}\n`,
  );
  s3.destroy();
}

/**
 * Bundles this file the way the Lambda function is bundled (esbuild, ESM, everything inlined), so the
 * child's RSS is the job's, not tsx's compiler caches.
 */
async function bundleChild(dir: string): Promise<string> {
  const { build } = await import('esbuild');
  const outfile = join(dir, 'log-archive-bench.mjs');
  await build({
    entryPoints: [import.meta.filename],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    logLevel: 'error',
    banner: {
      js: "import { createRequire as __benchCreateRequire } from 'node:module'; const require = __benchCreateRequire(import.meta.url);",
    },
  });
  return outfile;
}

function runChild(bundle: string, total: number, endpoint: string, bucket: string): Promise<ChildResult> {
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(
      process.execPath,
      [...LOG_ARCHIVE_NODE_FLAGS, bundle, '--child', String(total), endpoint, bucket],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`bench child for ${total} events exited with ${code}`));
      resolvePromise(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as ChildResult);
    });
  });
}

export async function run(): Promise<BenchResult> {
  const buckets = SIZES.map((n) => `bench-logs-${n}`);
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-bench-logs-'));
  const bundle = await bundleChild(dir);
  const { startS3 } = await import('../lib/local/s3');
  const s3 = await startS3({ buckets });
  const rows: Record<string, string | number>[] = [];
  const results: ChildResult[] = [];
  try {
    for (const [i, total] of SIZES.entries()) {
      const bucket = buckets[i] as string;
      const client = s3.client();
      await client.send(new CreateBucketCommand({ Bucket: bucket })).catch(() => {});
      const r = await runChild(bundle, total, s3.endpoint, bucket);
      results.push(r);
      const seconds = r.wallMs / 1000;
      rows.push({
        events: total.toLocaleString('en-US'),
        parts: r.parts,
        'raw MB': (r.uncompressedBytes / 1e6).toFixed(1),
        'zstd MB': (r.bytes / 1e6).toFixed(1),
        ratio: `${(r.uncompressedBytes / Math.max(1, r.bytes)).toFixed(1)}×`,
        'wall s': seconds.toFixed(1),
        'CPU s': (r.cpuMs / 1000).toFixed(1),
        'events/s': Math.round(total / seconds).toLocaleString('en-US'),
        'raw MB/s': (r.uncompressedBytes / 1e6 / seconds).toFixed(1),
        'zstd MB/s': (r.bytes / 1e6 / seconds).toFixed(1),
        'peak RSS MB': (r.maxRssKb / 1024).toFixed(1),
        'V8 flags': LOG_ARCHIVE_NODE_FLAGS.join(' '),
      });
    }
  } finally {
    await s3.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const small = results[0] as ChildResult;
  const large = results.at(-1) as ChildResult;
  const largeMb = large.maxRssKb / 1024;
  const flat = large.maxRssKb / small.maxRssKb;
  return {
    name: 'log-archive',
    rows,
    goals: [
      {
        goal: `peak RSS ≤ ${RSS_GOAL_MB} MB at ${(SIZES.at(-1) as number).toLocaleString('en-US')} events`,
        met: largeMb <= RSS_GOAL_MB,
        value: `${largeMb.toFixed(1)} MB`,
      },
      {
        goal: `memory flat: peak RSS at 2 M ÷ at 0.2 M ≤ ${FLAT_GOAL}`,
        met: flat <= FLAT_GOAL,
        value: `${flat.toFixed(2)}×`,
      },
    ],
  };
}

if (process.argv[2] === '--child') {
  await child(Number(process.argv[3]), process.argv[4] as string, process.argv[5] as string);
} else if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const result = await run();
  printResult(result);
  console.error(`wrote ${writeResult(result)}`);
}
