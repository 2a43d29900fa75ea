/**
 * bench/backup: Nightshift's streaming backup vs the tools alone, measured in one run, in interleaved
 * rounds (not part of `npm test`).
 *
 * PostgreSQL, two databases (0.2 GB and `--pg-gb`, default 1 GB) of an app-like mix generated
 * server-side: orders (md5 tokens, repetitive notes), jsonb events, narrow rows, and 52 MB per GB of
 * incompressible bytea. Each round runs, in a rotating order:
 *   - A  `pg_dump -Fc > file`                       what pgdump-aws-lambda does (gzip inside pg_dump)
 *   - C  `pg_dump -Fc -Z0 | zstd -1 -T0 > file`     the tools alone, at Nightshift's default level
 *   - Nightshift: `pg_dump -Fc -Z0` → parallel zstd frames → SHA-256 → multipart upload, the bundled
 *     job in its own Node process with the Fargate task's node flags (NODE_OPTIONS + command line; the
 *     Lambda's lack --initial-old-space-size: `--variant=lambda:--initial-old-space-size=0`), to s3rver
 *     (which runs in this process: its CPU is not the job's)
 *   - C and Nightshift again pinned to one core (`taskset -c 0`), standing in for a 1,769 MB Lambda
 *     (1 vCPU); only the job's process tree is pinned, not the DB server.
 * Every case runs under /usr/bin/time: CPU-seconds are user+sys of the case's whole process tree
 * (the process and the children it waited for: pg_dump, zstd) — the DB server and the store excluded.
 * Beside each figure: the CPU the DB server used (postmaster tree), the store (this process), and the
 * rest of the machine (other jobs sharing it) during that run, from /proc. Medians over the rounds.
 *
 * Redis (`--redis-keys`, default 1 M keys of every type: strings with and without TTL, hashes, lists,
 * sets, sorted sets, streams): `redis-cli --rdb file` vs Nightshift rdb mode (`redis-cli --rdb -` →
 * zstd → s3rver) and logical mode (SCAN+DUMP+PTTL). The server runs with its defaults for an RDB
 * transfer (repl-diskless-sync yes, rdbcompression yes) and repl-diskless-sync-delay 0.
 *
 * Flags (`npm run bench -- backup --pg-gb=1 …`, or `npx tsx bench/backup.ts --pg-gb=1 …`):
 *   --pg-gb=N          size of the large database in GB (default 1)
 *   --pg-small-gb=N    size of the small one, for the RSS-flatness goal (default 0.2; 0 skips it)
 *   --rounds=N         interleaved rounds (default 3)
 *   --redis-keys=N     Redis keys (default 1000000; 0 skips Redis)
 *   --no-pin           skip the taskset runs
 *   --checksums        the job's SDK sends per-part CRC32 as against AWS S3 (s3rver ignores them)
 *   --variant=NAME:ARG,ARG…  an extra Nightshift case in every round (A/B in the same run), with
 *                      extra node flags (`--…`) and environment (`KEY=VALUE`), e.g.
 *                      `--variant=semi16:--max-semi-space-size=16` (repeatable)
 *   --cpu-prof=DIR     also run the job once more on the large database with --cpu-prof (the main
 *                      thread's JavaScript, GC and native calls), profile written to DIR, and, when
 *                      `perf` is installed, under `perf record -g` (every thread, zstd and hashing
 *                      included: DIR/perf.data; `perf report -i DIR/perf.data --no-children --sort dso,sym`)
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { build } from 'esbuild';
import { Redis } from 'ioredis';
import pg from 'pg';
import { BACKUP_COMMAND_LINE_FLAGS, BACKUP_NODE_FLAGS } from '../lambdas/backup/env';
import { backupsSchema } from '../lib/config/schema';
import { startPostgres, startRedis, startS3 } from '../lib/local/index';
import { pricesFor } from '../lib/pricing/prices';
import { type BenchResult, printResult, writeResult } from './report';

const BUCKET = 'bench-backups';
const MB = 1024 * 1024;
/** The Fargate task's node flags: NODE_OPTIONS (as the Lambda) plus its command line (lambdas/backup/env.ts). */
const NODE_FLAGS = [...BACKUP_NODE_FLAGS, ...BACKUP_COMMAND_LINE_FLAGS];
const DEFAULT_LEVEL = backupsSchema.parse({}).compressionLevel;
const TICKS = 100; // USER_HZ: /proc/stat and /proc/<pid>/stat count in 1/100 s

export interface BackupBenchOptions {
  readonly pgGb: number;
  readonly pgSmallGb: number;
  readonly rounds: number;
  readonly redisKeys: number;
  readonly pin: boolean;
  readonly checksums: boolean;
  readonly cpuProfDir: string | undefined;
  readonly variants: readonly { name: string; nodeFlags: string[]; env: Record<string, string> }[];
}

/** Lambda gives 1 vCPU per 1,769 MB of memory (proportional below, 6 vCPU at 10,240 MB). */
export const MB_PER_VCPU = 1769;
export const SIZING_MEMORY_MB = [512, 1024, 1769, 2048, 3008, 3538] as const;

export interface SizingRow {
  readonly memoryMb: number;
  readonly vcpu: number;
  /** Dump (uncompressed) MB per second. */
  readonly mbPerS: number;
  /** USD per GB of dump backed up (arm64 GB-second price). */
  readonly usdPerGb: number;
}

/**
 * The sizing table, DERIVED: the job is CPU-bound (pg_dump, zstd and the upload all run in the
 * function), so one dedicated vCPU moves at most the dump's MB per CPU-second of the whole process
 * tree (measured: `cpu (tree)` of the pinned run), and a fraction of a vCPU (Lambda: memory / 1,769 MB)
 * that fraction of it. Above 1 vCPU it is an upper bound (perfect scaling), so the cost per GB there
 * is a lower bound. Cost = GB-seconds per GB of dump × the GB-second price.
 */
export function sizingTable(mbPerCpuSecond: number, gbSecondUsd: number): SizingRow[] {
  return SIZING_MEMORY_MB.map((memoryMb) => {
    const vcpu = memoryMb / MB_PER_VCPU;
    const mbPerS = mbPerCpuSecond * vcpu;
    return { memoryMb, vcpu, mbPerS, usdPerGb: (memoryMb / 1024) * (1024 / mbPerS) * gbSecondUsd };
  });
}

export function parseFlags(flags: readonly string[]): BackupBenchOptions {
  const value = (name: string): string | undefined =>
    flags.find((f) => f.startsWith(`--${name}=`))?.slice(name.length + 3);
  const num = (name: string, fallback: number) => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number ≥ 0 (got ${raw})`);
    return n;
  };
  return {
    pgGb: num('pg-gb', 1),
    pgSmallGb: num('pg-small-gb', 0.2),
    rounds: Math.max(1, Math.round(num('rounds', 3))),
    redisKeys: Math.round(num('redis-keys', 1_000_000)),
    pin: !flags.includes('--no-pin'),
    checksums: flags.includes('--checksums'),
    cpuProfDir: value('cpu-prof'),
    variants: flags
      .filter((f) => f.startsWith('--variant='))
      .map((f) => {
        const spec = f.slice('--variant='.length);
        const colon = spec.indexOf(':');
        const name = colon < 0 ? spec : spec.slice(0, colon);
        const args =
          colon < 0
            ? []
            : spec
                .slice(colon + 1)
                .split(',')
                .filter(Boolean);
        return {
          name,
          nodeFlags: args.filter((a) => a.startsWith('--')),
          env: Object.fromEntries(
            args
              .filter((a) => !a.startsWith('--'))
              .map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]),
          ),
        };
      }),
  };
}

/**
 * The app-like mix, scaled to ≈ `gb` GB of pg_database_size (calibrated on PostgreSQL 15: ≈ 1.0 GB
 * at gb = 1, of which ≈ 0.83 GB is table data pg_dump reads).
 */
export function appMixSql(gb: number): string[] {
  const orders = Math.round(2_200_000 * gb);
  const events = Math.round(1_300_000 * gb);
  const narrow = Math.round(5_000_000 * gb);
  const blobs = Math.max(1, Math.round(52 * gb)); // 1 MiB each
  return [
    `CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int NOT NULL, created_at timestamptz NOT NULL,
       status text NOT NULL, token text NOT NULL, total numeric(12,2) NOT NULL, notes text NOT NULL)`,
    `INSERT INTO orders
       SELECT g, (g * 7919) % 200000, timestamptz '2025-01-01' + g * interval '17 seconds',
              (ARRAY['new','paid','shipped','delivered','cancelled'])[(1 + g % 5)::int], md5(g::text),
              ((g * 31) % 100000) / 100.0,
              'customer asked to ' || (ARRAY['leave at the door','ring twice','call on arrival','gift wrap'])[(1 + g % 4)::int]
                || ' ' || repeat('see previous order. ', (g % 5)::int)
       FROM generate_series(1::bigint, ${orders}) g`,
    `CREATE TABLE events (id bigint PRIMARY KEY, order_id bigint NOT NULL, at timestamptz NOT NULL, payload jsonb NOT NULL)`,
    `INSERT INTO events
       SELECT g, 1 + (g * 13) % ${orders}, timestamptz '2025-01-01' + g * interval '3 seconds',
              jsonb_build_object('type', (ARRAY['view','cart','checkout','refund'])[(1 + g % 4)::int],
                'sku', 'SKU-' || (g % 5000), 'qty', g % 7, 'session', md5((g / 10)::text),
                'ua', 'Mozilla/5.0 (X11; Linux x86_64) Chrome/' || (100 + g % 30) || '.0')
       FROM generate_series(1::bigint, ${events}) g`,
    `CREATE TABLE counters (id int PRIMARY KEY, bucket int NOT NULL, hits smallint NOT NULL)`,
    `INSERT INTO counters SELECT g, g % 1000, (g % 30000)::smallint FROM generate_series(1, ${narrow}) g`,
    // md5 digests, decoded: 1 MiB of incompressible bytes per row (stored as is: EXTERNAL skips pglz)
    'CREATE TABLE attachments (id int PRIMARY KEY, data bytea NOT NULL)',
    'ALTER TABLE attachments ALTER COLUMN data SET STORAGE EXTERNAL',
    `INSERT INTO attachments
       SELECT b, (SELECT decode(string_agg(md5(b || ':' || i), ''), 'hex') FROM generate_series(1, 65536) i)
       FROM generate_series(1, ${blobs}) b`,
  ];
}

interface Measured {
  readonly wallS: number;
  /** user + sys of the case's process tree. */
  readonly cpuS: number;
  /** Peak RSS of the largest process of the tree (GNU time %M). */
  readonly rssMb: number;
  /** During the run, in cores (CPU-seconds per wall second). */
  readonly dbCores: number;
  readonly storeCores: number;
  readonly otherCores: number;
  readonly load1: number;
}

/** Total busy jiffies of the machine (/proc/stat). */
function machineBusy(): number {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  // user nice system idle iowait irq softirq steal
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return user + nice + system + irq + softirq + steal;
}

/** Jiffies used by a process tree: live members' utime+stime plus the root's reaped children. */
function treeTicks(root: number): number {
  const stats = new Map<number, { ppid: number; own: number; reaped: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const raw = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = raw
        .slice(raw.lastIndexOf(')') + 2)
        .split(' ')
        .map(Number);
      // after the command: state ppid … utime(11) stime(12) cutime(13) cstime(14)
      stats.set(Number(entry), {
        ppid: f[1] ?? 0,
        own: (f[11] ?? 0) + (f[12] ?? 0),
        reaped: (f[13] ?? 0) + (f[14] ?? 0),
      });
    } catch {
      // exited meanwhile
    }
  }
  let ticks = 0;
  const walk = (pid: number) => {
    const s = stats.get(pid);
    if (!s) return;
    ticks += s.own + (pid === root ? s.reaped : 0);
    for (const [child, c] of stats) if (c.ppid === pid) walk(child);
  };
  walk(root);
  return ticks;
}

const load1 = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

/**
 * Runs `argv` (optionally pinned to core 0, stdout to a file) under GNU time and measures it and the
 * machine around it.
 */
async function measure(
  argv: string[],
  context: { dbPid: number; work: string },
  options: { pin?: boolean; env?: NodeJS.ProcessEnv; stdoutTo?: string } = {},
): Promise<{ m: Measured; stdout: string }> {
  const timeFile = join(context.work, 'time.out');
  const command = [
    ...(options.pin ? ['taskset', '-c', '0'] : []),
    '/usr/bin/time',
    '-f',
    '%e %U %S %M',
    '-o',
    timeFile,
    ...argv,
  ];
  const [bin = '', ...args] = command;
  const la = load1();
  const busy0 = machineBusy();
  const db0 = treeTicks(context.dbPid);
  const self0 = process.cpuUsage();
  const out = await new Promise<{ code: number | null; stdout: string }>((resolvePromise, reject) => {
    const child = spawn(bin, args, {
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolvePromise({ code, stdout }));
  });
  const self = process.cpuUsage(self0);
  const db = treeTicks(context.dbPid) - db0;
  const busy = machineBusy() - busy0;
  if (out.code !== 0) throw new Error(`${argv.join(' ').slice(0, 120)} failed (exit ${out.code})`);
  const [wallS = 0, userS = 0, sysS = 0, rssKb = 0] = readFileSync(timeFile, 'utf8')
    .trim()
    .split('\n')
    .at(-1)
    ?.split(' ')
    .map(Number) ?? [0, 0, 0, 0];
  const cpuS = userS + sysS;
  const storeS = (self.user + self.system) / 1e6;
  const wall = Math.max(wallS, 0.01);
  return {
    m: {
      wallS,
      cpuS,
      rssMb: rssKb / 1024,
      dbCores: db / TICKS / wall,
      storeCores: storeS / wall,
      otherCores: Math.max(0, busy / TICKS - cpuS - db / TICKS - storeS) / wall,
      load1: la,
    },
    stdout: out.stdout,
  };
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

interface ChildReport {
  readonly ms: number;
  readonly maxRssMb: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

async function emptyBucket(s3: S3Client): Promise<void> {
  for (;;) {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    const keys = (listed.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length === 0) return;
    await s3.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: keys } }));
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
const fmtS = (s: number) => `${s.toFixed(1)} s`;
const fmtMb = (bytes: number) => `${(bytes / MB).toFixed(0)} MB`;
const fmtX = (x: number) => `${x.toFixed(2)}×`;

interface CaseStats {
  runs: Measured[];
  bytes: number;
  /** Uncompressed dump bytes (the job's report). */
  dumpBytes?: number;
  childRssMb: number[];
}

/** Medians of a case's rounds. */
function summary(c: CaseStats) {
  const pick = (f: (m: Measured) => number) => median(c.runs.map(f));
  return {
    wallS: pick((m) => m.wallS),
    cpuS: pick((m) => m.cpuS),
    rssMb: c.childRssMb.length ? Math.max(...c.childRssMb) : Math.max(...c.runs.map((m) => m.rssMb)),
    dbCores: pick((m) => m.dbCores),
    storeCores: pick((m) => m.storeCores),
    otherCores: pick((m) => m.otherCores),
    load1: pick((m) => m.load1),
    bytes: c.bytes,
  };
}

function row(label: string, c: CaseStats, rounds: number): Record<string, string | number> {
  const s = summary(c);
  const walls = c.runs.map((m) => m.wallS.toFixed(1)).join('/');
  return {
    case: label,
    wall: rounds > 1 ? `${fmtS(s.wallS)} (${walls})` : fmtS(s.wallS),
    'cpu (tree)': fmtS(s.cpuS),
    output: s.bytes ? fmtMb(s.bytes) : '',
    'peak RSS': `${s.rssMb.toFixed(0)} MB`,
    'db / store / others (cores)': `${s.dbCores.toFixed(2)} / ${s.storeCores.toFixed(2)} / ${s.otherCores.toFixed(2)}`,
    load1: s.load1.toFixed(2),
  };
}

/** The measured runs of each case of one database, and how a run is added. */
function caseTable() {
  const cases: Record<string, CaseStats> = {};
  const add = (name: string, m: Measured, bytes: number, childRssMb?: number) => {
    cases[name] ??= { runs: [], bytes: 0, childRssMb: [] };
    cases[name].runs.push(m);
    cases[name].bytes = bytes;
    if (childRssMb !== undefined) cases[name].childRssMb.push(childRssMb);
  };
  return { cases, add };
}

export async function run(flags: string[] = []): Promise<BenchResult> {
  const options = parseFlags(flags);
  const work = mkdtempSync(join(tmpdir(), 'nightshift-bench-backup-'));
  const s3 = await startS3({ buckets: [BUCKET], directory: join(work, 's3') });
  const s3Client = s3.client();
  const postgres = await startPostgres({
    settings: { shared_buffers: '256MB', max_wal_size: '4GB', checkpoint_timeout: '30min' },
  });
  const redis =
    options.redisKeys > 0
      ? await startRedis({ args: ['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0'] })
      : undefined;
  const bundle = await bundleChild(work);
  const rows: Record<string, string | number>[] = [];
  const goals: BenchResult['goals'] = [];
  const context = { dbPid: postgres.pid, work };
  const childEnv = { ...process.env, ...(options.checksums ? { BENCH_S3_CHECKSUMS: '1' } : {}) };
  /** The bundled job (bench/support/backup-child.ts) backing up `url` into s3rver; the bucket is emptied after. */
  const nightshift = async (
    kind: 'postgres' | 'redis' | 'redis-rdb',
    url: string,
    options: {
      readonly pin?: boolean;
      readonly nodeFlags?: string[];
      readonly wrapper?: string[];
      readonly env?: Record<string, string>;
      /** Whose CPU counts as the database's. @default the PostgreSQL server */
      readonly dbPid?: number;
    } = {},
  ) => {
    const { pin = false, nodeFlags = [], wrapper = [], env = {}, dbPid = postgres.pid } = options;
    const { m, stdout } = await measure(
      [
        ...wrapper,
        process.execPath,
        ...NODE_FLAGS,
        ...nodeFlags,
        bundle,
        kind,
        url,
        s3.endpoint,
        BUCKET,
        String(DEFAULT_LEVEL),
      ],
      { ...context, dbPid },
      { pin, env: { ...childEnv, ...env } },
    );
    const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as ChildReport;
    await emptyBucket(s3Client);
    return { m, report };
  };
  try {
    const pgDump = join(postgres.binDir, 'pg_dump');
    const pgEnv = { ...process.env, PGHOST: '127.0.0.1', PGPORT: String(postgres.port), PGUSER: 'postgres' };
    const sizes = [
      ...(options.pgSmallGb > 0 ? [['small', options.pgSmallGb] as const] : []),
      ['large', options.pgGb] as const,
    ];
    const bySize = new Map<string, Record<string, CaseStats>>();
    for (const [which, gb] of sizes) {
      const db = `bench_${which}`;
      const url = await postgres.createDatabase(db);
      console.error(`generating ≈ ${gb} GB in ${db} …`);
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => {}); // a failure surfaces through the pending query
      await client.connect();
      for (const sql of appMixSql(gb)) await client.query(sql);
      await client.query('VACUUM ANALYZE'); // not inside the multi-statement (implicit) transaction
      await client.query('CHECKPOINT');
      const dbBytes = Number(
        (await client.query('SELECT pg_database_size(current_database()) AS s')).rows[0].s,
      );
      await client.end();
      const label = `pg ${(dbBytes / 1024 / MB).toFixed(2)} GB`;
      console.error(`${db}: ${fmtMb(dbBytes)}`);
      const file = join(work, 'dump.out');
      const { cases, add } = caseTable();
      const dumpToFile = async (name: string, shell: string, pin: boolean) => {
        const { m } = await measure(['sh', '-c', shell, 'sh', pgDump, db, file], context, {
          env: pgEnv,
          pin,
        });
        add(name, m, statSync(file).size);
        rmSync(file);
      };
      const runners: Record<string, () => Promise<void>> = {
        A: () => dumpToFile('A', '"$1" -Fc -d "$2" > "$3"', false),
        C: () => dumpToFile('C', `"$1" -Fc -Z0 -d "$2" | zstd -q -${DEFAULT_LEVEL} -T0 > "$3"`, false),
        N: async () => {
          const { m, report } = await nightshift('postgres', url);
          add('N', m, report.bytesOut, report.maxRssMb);
        },
      };
      if (options.pin) {
        runners.C1 = () =>
          dumpToFile('C1', `"$1" -Fc -Z0 -d "$2" | zstd -q -${DEFAULT_LEVEL} -T0 > "$3"`, true);
        runners.N1 = async () => {
          const { m, report } = await nightshift('postgres', url, { pin: true });
          add('N1', m, report.bytesOut, report.maxRssMb);
          (cases.N1 as CaseStats).dumpBytes = report.bytesIn;
        };
      }
      for (const variant of options.variants)
        runners[`N:${variant.name}`] = async () => {
          const { m, report } = await nightshift('postgres', url, {
            nodeFlags: variant.nodeFlags,
            env: variant.env,
          });
          add(`N:${variant.name}`, m, report.bytesOut, report.maxRssMb);
        };
      const order = Object.keys(runners);
      // the small database only serves the RSS-flatness goal: one round is enough
      const rounds = which === 'small' ? 1 : options.rounds;
      for (let round = 0; round < rounds; round++) {
        // rotate the order so no case always runs first (cold caches) or after the same neighbour
        const rotated = [...order.slice(round % order.length), ...order.slice(0, round % order.length)];
        console.error(`${db} round ${round + 1}/${rounds}: ${rotated.join(' ')}`);
        for (const name of rotated) await runners[name]?.();
      }
      if (options.cpuProfDir && which === 'large') {
        const dir = resolve(options.cpuProfDir);
        mkdirSync(dir, { recursive: true });
        await nightshift('postgres', url, { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
        if (spawnSync('perf', ['--version']).status === 0)
          await nightshift('postgres', url, {
            nodeFlags: ['--perf-basic-prof'],
            wrapper: ['perf', 'record', '-q', '-F', '499', '-g', '-o', join(dir, 'perf.data'), '--'],
          });
        console.error(`wrote CPU profiles to ${dir}`);
      }
      bySize.set(which, cases);
      const name: Record<string, string> = {
        A: 'A: pg_dump -Fc > file',
        C: `C: pg_dump -Fc -Z0 | zstd -${DEFAULT_LEVEL} -T0 > file`,
        N: `Nightshift zstd -${DEFAULT_LEVEL} → s3rver`,
        C1: 'C, taskset -c 0 (1 vCPU)',
        N1: 'Nightshift, taskset -c 0 (1 vCPU)',
      };
      for (const key of order) {
        const c = cases[key];
        if (c) rows.push(row(`${label}: ${name[key] ?? `Nightshift, variant ${key.slice(2)}`}`, c, rounds));
      }
      const admin = new pg.Client({ connectionString: postgres.url });
      await admin.connect();
      await admin.query(`DROP DATABASE ${db}`);
      await admin.end();
    }

    const large = bySize.get('large');
    const small = bySize.get('small');
    if (large?.A && large.C && large.N) {
      const a = summary(large.A);
      const c = summary(large.C);
      const n = summary(large.N);
      goals.push(
        {
          goal: 'pg wall ≤ 1.2× C (pg_dump -Z0 | zstd)',
          met: n.wallS <= 1.2 * c.wallS,
          value: fmtX(ratio(n.wallS, c.wallS)),
        },
        {
          goal: 'pg wall ≤ 0.4× A (pg_dump -Fc)',
          met: n.wallS <= 0.4 * a.wallS,
          value: fmtX(ratio(n.wallS, a.wallS)),
        },
        {
          goal: 'pg CPU-seconds ≤ 1.3× C',
          met: n.cpuS <= 1.3 * c.cpuS,
          value: `${fmtX(ratio(n.cpuS, c.cpuS))} (${n.cpuS.toFixed(1)} vs ${c.cpuS.toFixed(1)} s)`,
        },
        {
          goal: 'pg output ≤ A',
          met: n.bytes <= a.bytes,
          value: `${fmtX(ratio(n.bytes, a.bytes))} (${fmtMb(n.bytes)} vs ${fmtMb(a.bytes)})`,
        },
      );
      const n1 = large.N1 ? summary(large.N1) : undefined;
      const c1 = large.C1 ? summary(large.C1) : undefined;
      if (n1 && c1)
        goals.push({
          goal: 'pg pinned to 1 core: wall ≤ 1.2× C pinned (reported)',
          met: n1.wallS <= 1.2 * c1.wallS,
          value: `${fmtX(ratio(n1.wallS, c1.wallS))} (${fmtS(n1.wallS)} vs ${fmtS(c1.wallS)}; ${((large.N?.bytes ?? 0) / MB / n1.wallS).toFixed(0)} MB/s stored)`,
        });
      if (n1 && large.N1) {
        const dumpMb = (large.N1.dumpBytes ?? 0) / MB;
        const price = pricesFor('us-east-1').lambda.gbSecondArm;
        for (const r of sizingTable(dumpMb / n1.cpuS, price)) {
          const bound = r.vcpu > 1 ? '≤ ' : '';
          rows.push({
            case: `sizing (derived): Lambda ${r.memoryMb} MB = ${r.vcpu.toFixed(2)} vCPU`,
            wall: `${bound}${r.mbPerS.toFixed(0)} MB/s of dump (${(1024 / r.mbPerS).toFixed(1)} s per GB)`,
            'cpu (tree)': '',
            output: '',
            'peak RSS': '',
            'db / store / others (cores)': `${r.vcpu > 1 ? '≥ ' : ''}$${r.usdPerGb.toFixed(5)} per GB (arm64 price, us-east-1)`,
            load1: '',
          });
        }
        rows.push({
          case: `(pinned run measured: ${(dumpMb / n1.wallS).toFixed(0)} MB/s of dump on one shared core)`,
        });
      }
      const peak = Math.max(n.rssMb, n1?.rssMb ?? 0, small?.N ? summary(small.N).rssMb : 0);
      goals.push({ goal: 'pg peak RSS ≤ 200 MB', met: peak <= 200, value: `${peak.toFixed(0)} MB` });
      if (small?.N) {
        const s = summary(small.N);
        goals.push({
          goal: 'pg peak RSS flat from the small to the large database (≤ +10%)',
          met: n.rssMb <= s.rssMb * 1.1,
          value: `${s.rssMb.toFixed(0)} → ${n.rssMb.toFixed(0)} MB (${fmtX(ratio(n.rssMb, s.rssMb))})`,
        });
      }
    }

    if (redis) {
      console.error(`loading ${options.redisKeys} Redis keys of every type …`);
      const client = new Redis(redis.url);
      await loadRedis(client, options.redisKeys);
      const memory = Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1] ?? 0);
      client.disconnect();
      const rdbFile = join(work, 'bench.rdb');
      const { cases, add } = caseTable();
      const redisContext = { dbPid: redis.pid, work };
      // the bundled job in rdb or logical mode, the Redis server's CPU counted as the database's
      const nightshiftRedis = async (name: string, mode: 'redis-rdb' | 'redis') => {
        const { m, report } = await nightshift(mode, redis.url, { dbPid: redis.pid });
        add(name, m, report.bytesOut, report.maxRssMb);
      };
      const runners: Record<string, () => Promise<void>> = {
        R: async () => {
          const { m } = await measure(
            ['redis-cli', '-h', '127.0.0.1', '-p', String(redis.port), '--rdb', rdbFile],
            redisContext,
          );
          add('R', m, statSync(rdbFile).size);
          rmSync(rdbFile);
        },
        NR: () => nightshiftRedis('NR', 'redis-rdb'),
        NL: () => nightshiftRedis('NL', 'redis'),
      };
      const order = Object.keys(runners);
      for (let round = 0; round < options.rounds; round++) {
        const rotated = [...order.slice(round % order.length), ...order.slice(0, round % order.length)];
        console.error(`redis round ${round + 1}/${options.rounds}: ${rotated.join(' ')}`);
        for (const name of rotated) await runners[name]?.();
      }
      const label = `redis ${options.redisKeys} keys (${fmtMb(memory)} used_memory)`;
      const names: Record<string, string> = {
        R: 'redis-cli --rdb file',
        NR: 'Nightshift rdb mode → s3rver',
        NL: 'Nightshift logical mode → s3rver',
      };
      for (const key of order) {
        const c = cases[key];
        if (c) rows.push(row(`${label}: ${names[key]}`, c, options.rounds));
      }
      if (cases.R && cases.NR && cases.NL) {
        const r = summary(cases.R);
        const nr = summary(cases.NR);
        const nl = summary(cases.NL);
        goals.push(
          {
            goal: 'redis rdb mode wall ≤ 1.3× redis-cli --rdb file',
            met: nr.wallS <= 1.3 * r.wallS,
            value: `${fmtX(ratio(nr.wallS, r.wallS))} (${fmtMb(nr.bytes)} vs ${fmtMb(r.bytes)})`,
          },
          {
            goal: 'redis logical mode peak RSS ≤ 200 MB',
            met: nl.rssMb <= 200,
            value: `${nl.rssMb.toFixed(0)} MB (${fmtX(ratio(nl.wallS, r.wallS))} the wall of --rdb)`,
          },
        );
      }
    }
    return { name: 'backup', rows, goals };
  } finally {
    s3Client.destroy();
    await redis?.stop();
    await postgres.stop();
    await s3.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * `keys` keys, a tenth of each kind: strings (some with a TTL), hashes, lists, sets, sorted sets,
 * streams — the data types DUMP serializes differently, at sizes that keep their compact encodings
 * (listpack/intset) and some past them.
 */
async function loadRedis(client: Redis, keys: number): Promise<void> {
  const batchSize = 5_000;
  for (let start = 0; start < keys; start += batchSize) {
    const batch = client.pipeline();
    for (let i = start; i < Math.min(keys, start + batchSize); i++) {
      const kind = i % 10;
      const big = i % 1000 === 0; // past the compact encodings
      const n = big ? 200 : 5;
      if (kind < 4) batch.set(`user:${i}`, `value-${i}-${(i * 2654435761) % 1_000_003}`);
      else if (kind === 4) batch.set(`session:${i}`, `user-${i % 5000}:${'x'.repeat(40)}`, 'EX', 86_400);
      else if (kind === 5) {
        const fields: string[] = [];
        for (let f = 0; f < n; f++) fields.push(`field${f}`, `v${(i + f) % 977}`);
        batch.hset(`profile:${i}`, ...fields);
      } else if (kind === 6) {
        const items: string[] = [];
        for (let f = 0; f < n; f++) items.push(`job-${i}-${f}`);
        batch.rpush(`queue:${i}`, ...items);
      } else if (kind === 7) {
        const items: string[] = [];
        for (let f = 0; f < n; f++) items.push(String((i + f * 7) % 100_000));
        batch.sadd(`tags:${i}`, ...items);
      } else if (kind === 8) {
        const items: (string | number)[] = [];
        for (let f = 0; f < n; f++) items.push(f * 1.5, `member-${(i + f) % 5000}`);
        batch.zadd(`rank:${i}`, ...items);
      } else {
        for (let f = 0; f < (big ? 50 : 2); f++)
          batch.xadd(`stream:${i}`, '*', 'event', 'click', 'n', String(f));
      }
    }
    await batch.exec();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const result = await run(process.argv.slice(2));
  printResult(result);
  console.error(`wrote ${writeResult(result)}`);
}
