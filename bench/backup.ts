/**
 * bench/backup: Nightshift's streaming backup vs the tools alone, measured in one run (not part of
 * `npm test`; takes a few minutes, most of it generating data).
 *
 * PostgreSQL (0.2 GB and ≥ 1 GB databases of app-like rows — ids, timestamps, md5 tokens, repetitive
 * text — generated server-side with generate_series; pgbench's blank-padded rows would flatter gzip):
 *   - `pg_dump -Fc > file`             what pgdump-aws-lambda streams (gzip inside pg_dump)
 *   - `pg_dump -Fc -Z0 > /dev/null`    the ceiling: dumping without compressing or storing
 *   - Nightshift: `pg_dump -Fc -Z0` → zstd (parallel 4 MiB frames) → SHA-256 → multipart upload to
 *     s3rver, in a child process run with the production NODE_OPTIONS flags, whose own peak RSS
 *     (process.resourceUsage().maxRSS) is reported — at zstd levels 1 and 3 (BENCH_LEVELS=1,3); the
 *     goals are checked at the config default (backups.compressionLevel).
 * Redis (≥ 1 M keys): Nightshift logical mode (SCAN+DUMP+PTTL → zstd → s3rver) vs `redis-cli --rdb file`.
 *
 * Run alone: `npx tsx bench/backup.ts` (prints the table, writes bench/results/backup.json). A quicker
 * run: BENCH_PG_SMALL_ROWS=200000 BENCH_PG_LARGE_ROWS=1000000 BENCH_REDIS_KEYS=100000 BENCH_LEVELS=3.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { Redis } from 'ioredis';
import pg from 'pg';
import { backupsSchema } from '../lib/config/schema';
import { startPostgres, startRedis, startS3 } from '../lib/local/index';
import { type BenchResult, printResult, writeResult } from './report';

const BUCKET = 'bench-backups';
const MB = 1024 * 1024;
const SMALL_ROWS = Number(process.env.BENCH_PG_SMALL_ROWS ?? 1_400_000); // ≈ 0.2 GB
const LARGE_ROWS = Number(process.env.BENCH_PG_LARGE_ROWS ?? 7_000_000); // ≈ 1.05 GB

const EVENTS_SQL = (rows: number) => `
  CREATE TABLE events (
    id bigint PRIMARY KEY, at timestamptz NOT NULL, user_id int NOT NULL, token text NOT NULL, payload text NOT NULL);
  INSERT INTO events
    SELECT g, timestamptz '2025-01-01' + g * interval '1 second', (random() * 1e6)::int, md5(g::text),
           'event ' || (g % 97) || ' ' || repeat(chr(65 + g % 26), 20 + g % 40)
    FROM generate_series(1, ${rows}) g;`;
/** Set in NODE_OPTIONS for the backup function and Fargate task (lib/constructs/backup.ts, Dockerfile). */
const SEMI_SPACE_FLAG = '--max-semi-space-size=4';
const DEFAULT_LEVEL = backupsSchema.parse({}).compressionLevel;
const LEVELS = [
  ...new Set([...(process.env.BENCH_LEVELS ?? '1,3').split(',').map(Number), DEFAULT_LEVEL]),
].sort((a, b) => a - b);
const REDIS_KEYS = Number(process.env.BENCH_REDIS_KEYS ?? 1_000_000);

interface Timed {
  readonly ms: number;
  readonly code: number | null;
  readonly stdout: string;
}

function timed(
  command: string,
  args: string[],
  options: { stdoutTo?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Timed> {
  const started = performance.now();
  const shell = options.stdoutTo !== undefined;
  const child = shell
    ? spawn('sh', ['-c', `exec "$0" "$@" > "${options.stdoutTo}"`, command, ...args], {
        env: options.env ?? process.env,
        stdio: ['ignore', 'pipe', 'inherit'],
      })
    : spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  return new Promise((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolvePromise({ ms: performance.now() - started, code, stdout }));
  });
}

interface ChildReport {
  readonly ms: number;
  readonly maxRssMb: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/** Bundles the child entry with esbuild (as the Lambda bundle is built) into `dir`. */
async function bundleChild(dir: string): Promise<string> {
  const outfile = join(dir, 'backup-child.mjs');
  await build({
    entryPoints: [resolve(import.meta.dirname, 'support/backup-child.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    outfile,
    logLevel: 'error',
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
  return outfile;
}

/** Runs one Nightshift backup in a fresh Node process (so its peak RSS is its own). */
async function nightshiftChild(
  bundle: string,
  kind: 'postgres' | 'redis',
  url: string,
  endpoint: string,
  options: { nodeFlags?: string[]; level?: number } = {},
): Promise<ChildReport> {
  const args = [bundle, kind, url, endpoint, BUCKET, ...(options.level ? [String(options.level)] : [])];
  const out = await timed(process.execPath, [...(options.nodeFlags ?? []), ...args]);
  if (out.code !== 0) throw new Error(`the Nightshift backup child failed (exit ${out.code})`);
  return JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '{}') as ChildReport;
}

const fmtMs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const fmtMb = (bytes: number) => `${(bytes / MB).toFixed(0)} MB`;
const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

export async function run(): Promise<BenchResult> {
  const work = mkdtempSync(join(tmpdir(), 'nightshift-bench-backup-'));
  const s3 = await startS3({ buckets: [BUCKET], directory: join(work, 's3') });
  const postgres = await startPostgres({ settings: { shared_buffers: '256MB', max_wal_size: '4GB' } });
  const redis = await startRedis({ args: ['--repl-diskless-sync-delay', '0'] });
  const bundle = await bundleChild(work);
  const rows: Record<string, string | number>[] = [];
  const goals: BenchResult['goals'] = [];
  try {
    const pgDump = join(postgres.binDir, 'pg_dump');
    const env = { ...process.env, PGHOST: '127.0.0.1', PGPORT: String(postgres.port), PGUSER: 'postgres' };
    const results: Record<
      string,
      { fc: Timed; fcSize: number; z0: Timed; ns: Map<number, ChildReport>; dbBytes: number }
    > = {};
    for (const [label, count] of [
      ['0.2 GB', SMALL_ROWS],
      ['1 GB', LARGE_ROWS],
    ] as const) {
      const db = `bench_${count}`;
      const url = await postgres.createDatabase(db);
      console.error(`generating ${count} rows in ${db} …`);
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => {}); // a failure surfaces through the pending query
      await client.connect();
      await client.query(EVENTS_SQL(count));
      await client.query('VACUUM ANALYZE events'); // not inside the multi-statement (implicit) transaction
      const dbBytes = Number(
        (await client.query('SELECT pg_database_size(current_database()) AS s')).rows[0].s,
      );
      await client.end();
      console.error(`${db}: ${fmtMb(dbBytes)}; dumping …`);
      const file = join(work, `${db}.dump`);
      const z0 = await timed(pgDump, ['-Fc', '-Z0', '-d', db], { stdoutTo: '/dev/null', env });
      const fc = await timed(pgDump, ['-Fc', '-d', db], { stdoutTo: file, env });
      const fcSize = statSync(file).size;
      rmSync(file);
      const ns = new Map<number, ChildReport>();
      for (const level of LEVELS)
        ns.set(
          level,
          await nightshiftChild(bundle, 'postgres', url, s3.endpoint, {
            nodeFlags: [SEMI_SPACE_FLAG],
            level,
          }),
        );
      results[label] = { fc, fcSize, z0, ns, dbBytes };
      rows.push(
        {
          case: `pg ${label}: pg_dump -Fc > file`,
          db: fmtMb(dbBytes),
          time: fmtMs(fc.ms),
          output: fmtMb(fcSize),
          'peak RSS': '',
        },
        {
          case: `pg ${label}: pg_dump -Fc -Z0 > /dev/null`,
          db: fmtMb(dbBytes),
          time: fmtMs(z0.ms),
          output: '',
          'peak RSS': '',
        },
        ...[...ns].map(([level, report]) => ({
          case: `pg ${label}: nightshift zstd -${level}${level === DEFAULT_LEVEL ? ' (default)' : ''} → s3rver`,
          db: fmtMb(dbBytes),
          time: fmtMs(report.ms),
          output: fmtMb(report.bytesOut),
          'peak RSS': `${report.maxRssMb.toFixed(0)} MB`,
        })),
      );
    }
    const large = results['1 GB'];
    const small = results['0.2 GB'];
    const largeNs = large?.ns.get(DEFAULT_LEVEL);
    const smallNs = small?.ns.get(DEFAULT_LEVEL);
    if (large && small && largeNs && smallNs) {
      const speedup = ratio(large.fc.ms, largeNs.ms);
      goals.push(
        {
          goal: `pg ≥ 2× faster than pg_dump -Fc > file (1 GB, zstd -${DEFAULT_LEVEL})`,
          met: speedup >= 2,
          value: `${speedup.toFixed(2)}×`,
        },
        {
          goal: 'pg output no larger than pg_dump -Fc',
          met: largeNs.bytesOut <= large.fcSize,
          value: `${ratio(largeNs.bytesOut, large.fcSize).toFixed(2)}× its size`,
        },
        {
          goal: 'pg within 1.3× of the pg_dump -Fc -Z0 ceiling',
          met: ratio(largeNs.ms, large.z0.ms) <= 1.3,
          value: `${ratio(largeNs.ms, large.z0.ms).toFixed(2)}×`,
        },
        {
          goal: 'peak RSS ≤ 256 MB',
          met: Math.max(largeNs.maxRssMb, smallNs.maxRssMb) <= 256,
          value: `${Math.max(largeNs.maxRssMb, smallNs.maxRssMb).toFixed(0)} MB`,
        },
        {
          goal: 'RSS flat from 0.2 GB to 1 GB (≤ +32 MB)',
          met: largeNs.maxRssMb - smallNs.maxRssMb <= 32,
          value: `${smallNs.maxRssMb.toFixed(0)} → ${largeNs.maxRssMb.toFixed(0)} MB`,
        },
      );
    }

    // Redis
    console.error(`loading ${REDIS_KEYS} Redis keys …`);
    const client = new Redis(redis.url);
    for (let start = 0; start < REDIS_KEYS; start += 10_000) {
      const batch = client.pipeline();
      for (let i = start; i < Math.min(REDIS_KEYS, start + 10_000); i++) {
        if (i % 10 === 0) batch.set(`session:${i}`, `user-${i % 5000}:${'x'.repeat(40)}`, 'EX', 86_400);
        else batch.set(`key:${i}`, `value-${i}-${(i * 2654435761) % 1_000_003}`);
      }
      await batch.exec();
    }
    const memory = Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1] ?? 0);
    client.disconnect();
    const rdbFile = join(work, 'bench.rdb');
    const rdb = await timed('redis-cli', ['-h', '127.0.0.1', '-p', String(redis.port), '--rdb', rdbFile]);
    const rdbSize = statSync(rdbFile).size;
    const logical = await nightshiftChild(bundle, 'redis', redis.url, s3.endpoint);
    // V8 grows the young generation up to 3 × 16–64 MB under this allocation rate; a 4 MB semi-space
    // bounds RSS at a small cost in speed (recommended NODE_OPTIONS for the backup function and task)
    const tuned = await nightshiftChild(bundle, 'redis', redis.url, s3.endpoint, {
      nodeFlags: [SEMI_SPACE_FLAG],
    });
    rows.push(
      {
        case: `redis ${REDIS_KEYS} keys: redis-cli --rdb file`,
        db: fmtMb(memory),
        time: fmtMs(rdb.ms),
        output: fmtMb(rdbSize),
        'peak RSS': '',
      },
      {
        case: `redis ${REDIS_KEYS} keys: nightshift logical → s3rver`,
        db: fmtMb(memory),
        time: fmtMs(logical.ms),
        output: fmtMb(logical.bytesOut),
        'peak RSS': `${logical.maxRssMb.toFixed(0)} MB`,
      },
    );
    rows.push({
      case: `redis ${REDIS_KEYS} keys: nightshift logical, ${SEMI_SPACE_FLAG}`,
      db: fmtMb(memory),
      time: fmtMs(tuned.ms),
      output: fmtMb(tuned.bytesOut),
      'peak RSS': `${tuned.maxRssMb.toFixed(0)} MB`,
    });
    goals.push({
      goal: `redis logical peak RSS ≤ 256 MB (${SEMI_SPACE_FLAG})`,
      met: tuned.maxRssMb <= 256,
      value: `${tuned.maxRssMb.toFixed(0)} MB (default flags: ${logical.maxRssMb.toFixed(0)} MB; ${ratio(logical.ms, rdb.ms).toFixed(2)}× the time of --rdb, ${ratio(logical.bytesOut, rdbSize).toFixed(2)}× its size)`,
    });
    return { name: 'backup', rows, goals };
  } finally {
    await redis.stop();
    await postgres.stop();
    await s3.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const result = await run();
  printResult(result);
  console.error(`wrote ${writeResult(result)}`);
}
