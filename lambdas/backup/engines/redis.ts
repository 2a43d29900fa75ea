/**
 * Redis, two modes:
 * - rdb: `redis-cli --rdb -` (SYNC; the server forks and streams a point-in-time RDB). Self-hosted only:
 *   managed services (ElastiCache, MemoryDB, Upstash) disable SYNC.
 * - logical: SCAN + DUMP + PTTL, pipelined through ioredis, into Nightshift's own framed format (below).
 *   Works wherever DUMP works. Not a point-in-time snapshot: keys written during the scan may or may not
 *   be included, and SCAN may return a key twice (the restore counts such duplicates).
 *
 * Logical format "NSREDIS" version 1 (all integers big-endian):
 *   header  "NSREDIS" u8 version=1, u32 n, n bytes of JSON {db, createdAt, server}
 *   key     u8 0x01, u32 keyLength, key, i64 expireAt (unix ms, -1 = no expiry), u32 payloadLength, DUMP payload
 *   end     u8 0xFF, u64 records
 * A stream without the end frame is truncated and refused. DUMP payloads carry the RDB version of the
 * server: restore into the same or a newer Redis major.
 */

import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Redis } from 'ioredis';
import { findBinary } from '../../shared/binaries';
import { describeRedis, type RedisParams } from '../../shared/connections';
import type { Log } from '../../shared/log';
import { HEADERS, type StreamHeader } from '../../shared/stream-upload';
import { runTool, toolOutput } from '../tool';
import type { Counts, DumpPlan, EngineContext } from './types';

export const LOGICAL_MAGIC = Buffer.from('NSREDIS', 'latin1');
export const LOGICAL_VERSION = 1;
export const LOGICAL_HEADER: StreamHeader = {
  name: 'Nightshift Redis logical dump (NSREDIS v1)',
  length: LOGICAL_MAGIC.length + 1,
  check: (head) =>
    head.subarray(0, LOGICAL_MAGIC.length).equals(LOGICAL_MAGIC) &&
    head[LOGICAL_MAGIC.length] === LOGICAL_VERSION,
};

const KEY_FRAME = 0x01;
const END_FRAME = 0xff;
const SCAN_COUNT = 1000;
const CONNECT_TIMEOUT_MS = 10_000;

/** The logical dump is damaged or not ours. */
export class RedisFormatError extends Error {
  override readonly name = 'RedisFormatError';
}

export function redisClient(p: RedisParams, db = p.db): Redis {
  return new Redis({
    host: p.host,
    port: p.port,
    username: p.username,
    password: p.password,
    db,
    ...(p.tls ? { tls: { servername: p.host } } : {}),
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    lazyConnect: true,
    retryStrategy: () => null, // fail fast: a backup run is retried by the scheduler, not by the client
  });
}

async function serverVersion(client: Redis): Promise<string> {
  const info = await client.info('server');
  return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
}

/** Keys per db from INFO keyspace ("db0:keys=12,expires=3,avg_ttl=0"). */
export async function keyspace(client: Redis): Promise<Map<number, number>> {
  const info = await client.info('keyspace');
  const out = new Map<number, number>();
  for (const match of info.matchAll(/^db(\d+):keys=(\d+)/gm)) out.set(Number(match[1]), Number(match[2]));
  return out;
}

export async function prepareRedis(
  p: RedisParams,
  mode: 'rdb' | 'logical',
  options: { secrets: readonly string[] },
  context: EngineContext,
): Promise<DumpPlan> {
  const client = redisClient(p);
  client.on('error', () => {});
  await client.connect();
  const version = await serverVersion(client).catch(async (error: unknown) => {
    client.disconnect();
    throw error;
  });
  if (mode === 'logical') {
    const dbsize = await client.dbsize();
    let records = 0;
    return {
      serverVersion: version,
      toolVersion: `nightshift logical v${LOGICAL_VERSION}`,
      // filled by the generator as it goes: the manifest is written after the stream ends
      get counts(): Counts {
        return { unit: 'keys', items: [{ name: `db${p.db}`, count: records, exact: true }] };
      },
      details: { mode, db: p.db, keysAtStart: dbsize },
      streams: [
        {
          role: 'data',
          ext: 'redis-logical',
          header: LOGICAL_HEADER,
          expectedBytes: await usedMemory(client),
          start: () => {
            let stopped = false;
            const stream = Readable.from(
              logicalFrames(
                client,
                { db: p.db, server: version },
                (n) => {
                  records = n;
                },
                () => stopped,
              ),
              { objectMode: false, highWaterMark: 1 },
            );
            const done = new Promise<void>((resolve, reject) => {
              stream.once('end', () => resolve());
              stream.once('error', reject);
              stream.once('close', () => (stopped ? reject(new Error('stopped')) : resolve()));
            });
            done.catch(() => {});
            return {
              stream,
              done,
              stop: () => {
                stopped = true;
                stream.destroy();
              },
            };
          },
        },
      ],
      close: async () => {
        client.disconnect();
      },
    };
  }
  // rdb
  const redisCli = context.tools.redisCli ?? findBinary('redis-cli', 'redis-tools');
  const toolVersion = (
    await toolOutput({
      name: 'redis-cli',
      command: redisCli,
      args: ['--version'],
      secrets: [],
      log: context.log,
    })
  ).trim();
  const keys = await keyspace(client);
  const expectedBytes = await usedMemory(client);
  client.disconnect();
  return {
    serverVersion: version,
    toolVersion,
    counts: {
      unit: 'keys',
      items: [...keys].map(([db, count]) => ({ name: `db${db}`, count, exact: false })),
    },
    details: { mode },
    streams: [
      {
        role: 'data',
        ext: 'rdb',
        header: HEADERS.rdb,
        expectedBytes,
        start: () => {
          const tool = runTool({
            name: 'redis-cli',
            command: redisCli,
            args: [
              '-h',
              p.host,
              '-p',
              String(p.port),
              ...(p.username ? ['--user', p.username] : []),
              ...(p.tls ? ['--tls', '--sni', p.host] : []),
              '--rdb',
              '-',
            ],
            env: { REDISCLI_AUTH: p.password },
            dropEnv: /^REDISCLI_AUTH$/,
            secrets: options.secrets,
            log: context.log,
            errorLine: /error|ERR |NOAUTH|NOPERM|refused|failed|unknown command/i,
            quietLine: /^(sending REPLCONF|SYNC sent|Transfer finished)/,
          });
          return { stream: tool.stdout, done: tool.done, stop: tool.stop };
        },
      },
    ],
    close: async () => {},
  };
}

async function usedMemory(client: Redis): Promise<number> {
  const info = await client.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

function headerFrame(meta: Record<string, unknown>): Buffer {
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  const head = Buffer.alloc(LOGICAL_MAGIC.length + 1 + 4);
  LOGICAL_MAGIC.copy(head, 0);
  head[LOGICAL_MAGIC.length] = LOGICAL_VERSION;
  head.writeUInt32BE(json.length, LOGICAL_MAGIC.length + 1);
  return Buffer.concat([head, json]);
}

/**
 * SCAN + DUMP + PTTL in pipelined batches: one batch (≤ 1000 keys) in memory at a time; the Readable
 * pulls the next batch only when the pipeline downstream asks for more.
 */
export async function* logicalFrames(
  client: Redis,
  meta: { db: number; server: string },
  onRecords: (records: number) => void,
  stopped: () => boolean = () => false,
): AsyncGenerator<Buffer> {
  yield headerFrame({ ...meta, createdAt: new Date().toISOString() });
  let records = 0;
  let useScript = true;
  // the next SCAN is already on its way while this batch is dumped
  let scanning = client.scanBuffer('0', 'COUNT', SCAN_COUNT);
  scanning.catch(() => {}); // awaited below; never an unhandled rejection when stopped early
  for (;;) {
    if (stopped()) return;
    const [next, keys] = await scanning;
    const cursor = next.toString();
    if (cursor !== '0') {
      scanning = client.scanBuffer(cursor, 'COUNT', SCAN_COUNT);
      scanning.catch(() => {});
    }
    if (keys.length) {
      let values: [Buffer | null, number][];
      try {
        values = useScript ? await dumpWithScript(client, keys) : await dumpWithPipeline(client, keys);
      } catch (error) {
        // EVAL disabled (ACL, some managed services): fall back to a DUMP+PTTL pipeline
        if (
          !useScript ||
          !/NOSCRIPT|NOPERM|unknown command|disabled|not allowed/i.test((error as Error).message)
        )
          throw error;
        useScript = false;
        values = await dumpWithPipeline(client, keys);
      }
      const now = Date.now();
      const frames: Buffer[] = [];
      for (let i = 0; i < keys.length; i++) {
        const [payload, pttl] = values[i] ?? [null, -2];
        if (!payload || pttl === -2) continue; // deleted or expired between SCAN and DUMP
        const key = keys[i] as Buffer;
        const head = Buffer.allocUnsafe(1 + 4);
        head[0] = KEY_FRAME;
        head.writeUInt32BE(key.length, 1);
        const mid = Buffer.allocUnsafe(8 + 4);
        mid.writeBigInt64BE(BigInt(pttl >= 0 ? now + pttl : -1), 0);
        mid.writeUInt32BE(payload.length, 8);
        frames.push(head, key, mid, payload);
        records++;
      }
      onRecords(records);
      if (frames.length) yield Buffer.concat(frames);
    }
    if (cursor === '0') break;
  }
  const end = Buffer.alloc(1 + 8);
  end[0] = END_FRAME;
  end.writeBigUInt64BE(BigInt(records), 1);
  yield end;
}

/** DUMP + PTTL of a batch in one server-side call: one reply instead of 2 × keys (far less client work). */
const DUMP_SCRIPT = `local out = {}
for i, k in ipairs(KEYS) do
  out[2 * i - 1] = redis.call('DUMP', k)
  out[2 * i] = redis.call('PTTL', k)
end
return out`;

async function dumpWithScript(client: Redis, keys: Buffer[]): Promise<[Buffer | null, number][]> {
  const reply = (await client.callBuffer('EVAL', DUMP_SCRIPT, keys.length, ...keys)) as (
    | Buffer
    | number
    | null
  )[];
  const out: [Buffer | null, number][] = [];
  for (let i = 0; i < keys.length; i++) {
    const payload = reply[2 * i];
    out.push([Buffer.isBuffer(payload) ? payload : null, Number(reply[2 * i + 1] ?? -2)]);
  }
  return out;
}

async function dumpWithPipeline(client: Redis, keys: Buffer[]): Promise<[Buffer | null, number][]> {
  const batch = client.pipeline();
  for (const key of keys) {
    batch.dumpBuffer(key);
    batch.pttl(key);
  }
  const results = (await batch.exec()) ?? [];
  return keys.map((_, i) => {
    const [dumpError, payload] = results[2 * i] ?? [];
    const [ttlError, pttl] = results[2 * i + 1] ?? [];
    if (dumpError) throw dumpError;
    if (ttlError) throw ttlError;
    return [(payload as Buffer | null) ?? null, typeof pttl === 'number' ? pttl : -2];
  });
}

export interface LogicalRecord {
  readonly key: Buffer;
  /** Unix ms, or -1 for no expiry. */
  readonly expireAt: number;
  readonly payload: Buffer;
}

/** Parses a decompressed logical dump into records (bounded memory: one record at a time). */
export async function* parseLogical(
  input: AsyncIterable<Buffer>,
): AsyncGenerator<LogicalRecord, { records: number; meta: Record<string, unknown> }> {
  let buffer = Buffer.alloc(0);
  let offset = 0;
  const iterator = input[Symbol.asyncIterator]();
  const need = async (n: number): Promise<boolean> => {
    while (buffer.length - offset < n) {
      const next = await iterator.next();
      if (next.done) return false;
      buffer =
        offset > 0
          ? Buffer.concat([buffer.subarray(offset), next.value])
          : Buffer.concat([buffer, next.value]);
      offset = 0;
    }
    return true;
  };
  const truncated = () =>
    new RedisFormatError('the logical Redis dump is truncated (no end frame) — the backup is incomplete');
  if (!(await need(LOGICAL_HEADER.length + 4)) || !LOGICAL_HEADER.check(buffer.subarray(offset)))
    throw new RedisFormatError('not a Nightshift logical Redis dump (bad magic/version)');
  const metaLength = buffer.readUInt32BE(offset + LOGICAL_HEADER.length);
  offset += LOGICAL_HEADER.length + 4;
  if (!(await need(metaLength))) throw truncated();
  const meta = JSON.parse(buffer.subarray(offset, offset + metaLength).toString('utf8')) as Record<
    string,
    unknown
  >;
  offset += metaLength;
  let records = 0;
  for (;;) {
    if (!(await need(1))) throw truncated();
    const type = buffer[offset];
    if (type === END_FRAME) {
      if (!(await need(9))) throw truncated();
      const declared = Number(buffer.readBigUInt64BE(offset + 1));
      if (declared !== records)
        throw new RedisFormatError(`the logical Redis dump declares ${declared} keys but holds ${records}`);
      return { records, meta };
    }
    if (type !== KEY_FRAME) throw new RedisFormatError(`unknown frame type ${type} after ${records} keys`);
    if (!(await need(5))) throw truncated();
    const keyLength = buffer.readUInt32BE(offset + 1);
    if (!(await need(5 + keyLength + 12))) throw truncated();
    const key = Buffer.from(buffer.subarray(offset + 5, offset + 5 + keyLength));
    const expireAt = Number(buffer.readBigInt64BE(offset + 5 + keyLength));
    const payloadLength = buffer.readUInt32BE(offset + 5 + keyLength + 8);
    const total = 5 + keyLength + 12 + payloadLength;
    if (!(await need(total))) throw truncated();
    const payload = Buffer.from(buffer.subarray(offset + 5 + keyLength + 12, offset + total));
    offset += total;
    records++;
    yield { key, expireAt, payload };
  }
}

export interface RedisRestoreStats {
  readonly records: number;
  readonly restored: number;
  /** Keys whose expiry passed since the backup (not restored). */
  readonly expired: number;
  /** Keys SCAN returned twice (BUSYKEY without REPLACE). */
  readonly duplicates: number;
}

/** RESTOREs records in pipelined batches, keeping absolute expiry times (ABSTTL). */
export async function restoreRecords(
  client: Redis,
  records: AsyncGenerator<LogicalRecord, { records: number }>,
  options: { replace: boolean; now?: () => number },
): Promise<RedisRestoreStats> {
  const now = options.now ?? Date.now;
  let restored = 0;
  let expired = 0;
  let duplicates = 0;
  let batch = client.pipeline();
  let pending = 0;
  const flush = async () => {
    if (pending === 0) return;
    const results = (await batch.exec()) ?? [];
    for (const [error] of results) {
      if (!error) restored++;
      else if (!options.replace && /BUSYKEY/.test(error.message)) duplicates++;
      else throw error;
    }
    batch = client.pipeline();
    pending = 0;
  };
  let next = await records.next();
  while (!next.done) {
    const record = next.value;
    if (record.expireAt >= 0 && record.expireAt <= now()) expired++;
    else {
      const args: (string | number | Buffer)[] = [record.key, Math.max(record.expireAt, 0), record.payload];
      if (options.replace) args.push('REPLACE');
      if (record.expireAt >= 0) args.push('ABSTTL');
      batch.call('RESTORE', ...args);
      pending++;
      if (pending >= SCAN_COUNT) await flush();
    }
    next = await records.next();
  }
  await flush();
  return { records: next.value.records, restored, expired, duplicates };
}

/** A disposable redis-server on this machine, loading `dump.rdb` from `dir`. */
export interface ScratchRedis {
  readonly host: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts a scratch redis-server. Injected by the caller (the CLI passes lib/local's startRedis): the
 * Lambda code does not manage local services.
 */
export type StartScratchRedis = (options: {
  readonly args: readonly string[];
  readonly redisServer?: string | undefined;
}) => Promise<ScratchRedis>;

/** Restoring an RDB needs a scratch redis-server, and the caller gave no way to start one. */
export class ScratchRedisUnavailable extends Error {
  override readonly name = 'ScratchRedisUnavailable';
  constructor() {
    super(
      'restoring an RDB backup loads it into a local redis-server first; run the restore with the nightshift CLI on a machine with redis-server installed',
    );
  }
}

/**
 * Restores an RDB file by loading it into a disposable local redis-server (which must be at least the
 * dumping server's version), then copying every key with the logical path (DUMP → RESTORE). The RDB
 * needs a file for redis-server to load: it goes to a private temp dir, removed afterwards.
 */
export async function restoreRdb(
  rdb: AsyncIterable<Buffer>,
  target: RedisParams,
  options: {
    replace: boolean;
    log: Log;
    redisServer?: string | undefined;
    startScratch?: StartScratchRedis | undefined;
  },
): Promise<RedisRestoreStats> {
  const startScratch = options.startScratch;
  if (!startScratch) throw new ScratchRedisUnavailable();
  const dir = await mkdtemp(join(tmpdir(), 'nightshift-rdb-'));
  try {
    await pipeline(Readable.from(rdb), createWriteStream(join(dir, 'dump.rdb')));
    const scratch = await startScratch({
      args: ['--dir', dir, '--dbfilename', 'dump.rdb'],
      redisServer: options.redisServer,
    });
    try {
      const probe = new Redis({ host: scratch.host, port: scratch.port, lazyConnect: true });
      await probe.connect();
      const dbs = await keyspace(probe);
      probe.disconnect();
      let total = { records: 0, restored: 0, expired: 0, duplicates: 0 };
      for (const db of dbs.keys()) {
        const source = new Redis({ host: scratch.host, port: scratch.port, db, lazyConnect: true });
        const sink = redisClient(target, db);
        sink.on('error', () => {});
        try {
          await source.connect();
          await sink.connect();
          const frames = logicalFrames(source, { db, server: 'rdb' }, () => {});
          const stats = await restoreRecords(sink, parseLogical(frames), { replace: options.replace });
          options.log.info('restored db from rdb', { db, ...stats, target: describeRedis(target) });
          total = {
            records: total.records + stats.records,
            restored: total.restored + stats.restored,
            expired: total.expired + stats.expired,
            duplicates: total.duplicates + stats.duplicates,
          };
        } finally {
          source.disconnect();
          sink.disconnect();
        }
      }
      return total;
    } finally {
      await scratch.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
