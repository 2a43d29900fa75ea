/** Redis backups (logical and rdb) against disposable redis-servers and the embedded S3 store. */
import type { S3Client } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../lambdas/backup/backup';
import { ScratchRedisUnavailable } from '../../../lambdas/backup/engines/redis';
import { readManifest } from '../../../lambdas/backup/layout';
import { restore, TargetNotEmpty } from '../../../lambdas/backup/restore';
import { verify } from '../../../lambdas/backup/verify';
import { startRedis } from '../../../lib/local/redis';
import { withRedis, withS3 } from '../../support/services';
import { BUCKET, makeDeps, target } from './helpers';
import { type S3Proxy, startS3Proxy } from './s3-proxy';

const source = withRedis();
const fresh = withRedis();
const scratch = withRedis();
const store = withS3({ buckets: [BUCKET] });
let proxy: S3Proxy;
let s3: S3Client;
let client: Redis;

const connect = (url: string) => new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });

beforeAll(async () => {
  proxy = await startS3Proxy(store());
  s3 = proxy.client();
  client = connect(source().url);
  const batch = client.pipeline();
  for (let i = 0; i < 3000; i++) batch.set(`user:${i}`, `name-${i}`);
  batch.hset('hash', { a: '1', b: '2' });
  batch.rpush('list', 'x', 'y', 'z');
  batch.zadd('scores', 1, 'one', 2, 'two');
  batch.sadd('set', 'm1', 'm2');
  batch.set(Buffer.from([0xff, 0x00, 0x7f]), Buffer.from([1, 2, 3])); // binary key and value
  batch.set('session:short', 'v', 'EX', 60); // expired by the (simulated) time of the restore
  batch.set('session:long', 'v', 'EX', 3600);
  batch.set('session:day', 'v', 'EX', 86_400);
  await batch.exec();
});
afterAll(async () => {
  client?.disconnect();
  await proxy?.close();
});

/** A key's type and value, independent of the server's internal encoding order. */
async function readValue(c: Redis, key: Buffer): Promise<string> {
  const type = await c.type(key);
  if (type === 'string') return `string:${((await c.getBuffer(key)) ?? Buffer.alloc(0)).toString('hex')}`;
  if (type === 'hash') return `hash:${JSON.stringify(Object.entries(await c.hgetall(key)).sort())}`;
  if (type === 'list') return `list:${JSON.stringify(await c.lrange(key, 0, -1))}`;
  if (type === 'set') return `set:${JSON.stringify((await c.smembers(key)).sort())}`;
  if (type === 'zset') return `zset:${JSON.stringify(await c.call('ZRANGE', key, 0, -1, 'WITHSCORES'))}`;
  return type;
}

async function snapshot(url: string): Promise<Record<string, string>> {
  const c = connect(url);
  try {
    const out: Record<string, string> = {};
    let cursor = '0';
    do {
      const [next, keys] = await c.scanBuffer(cursor, 'COUNT', 1000);
      cursor = next.toString();
      for (const key of keys) out[key.toString('hex')] = await readValue(c, key);
    } while (cursor !== '0');
    return out;
  } finally {
    c.disconnect();
  }
}

describe('redis logical backup → restore', () => {
  it('round trip: the same keys and values, TTLs kept, expired keys skipped', async () => {
    const t = target({ name: 'cache', redis: { url: source().url, mode: 'logical' } });
    const result = await run(makeDeps(s3), { target: t, compressionLevel: 3 });
    expect(result.key).toMatch(/\.redis-logical\.zst$/);
    const manifest = await readManifest(s3, BUCKET, result.manifestKey);
    expect(manifest.counts).toEqual({ unit: 'keys', items: [{ name: 'db0', count: 3008, exact: true }] });
    expect(manifest.mode).toBe('logical');

    // restore two minutes later: session:short (60 s) has expired by then, session:long (1 h) has not
    const later = () => new Date(Date.now() + 120_000);
    const restored = await restore(makeDeps(s3, { now: later }), {
      target: t,
      backup: 'latest',
      to: { url: fresh().url },
    });
    expect(restored.redis).toMatchObject({ records: 3008, restored: 3007, expired: 1, duplicates: 0 });

    const before = await snapshot(source().url);
    delete before[Buffer.from('session:short').toString('hex')];
    const after = await snapshot(fresh().url);
    expect(Object.keys(after).length).toBe(3007);
    expect(after).toEqual(before);
    const target2 = connect(fresh().url);
    try {
      const long = await target2.pttl('session:long');
      const day = await target2.pttl('session:day');
      expect(long).toBeGreaterThan(3_500_000);
      expect(long).toBeLessThanOrEqual(3_600_000);
      expect(day).toBeGreaterThan(86_000_000);
      expect(await target2.pttl('user:1')).toBe(-1);
      expect(await target2.hgetall('hash')).toEqual({ a: '1', b: '2' });
    } finally {
      target2.disconnect();
    }
  });

  it('refuses a non-empty target unless forced (then REPLACE)', async () => {
    const t = target({ name: 'cache', redis: { url: source().url, mode: 'logical' } });
    await expect(
      restore(makeDeps(s3), { target: t, backup: 'latest', to: { url: fresh().url } }),
    ).rejects.toBeInstanceOf(TargetNotEmpty);
    const c = connect(fresh().url);
    await c.set('user:1', 'changed');
    c.disconnect();
    await restore(makeDeps(s3), { target: t, backup: 'latest', to: { url: fresh().url }, force: true });
    const d = connect(fresh().url);
    expect(await d.get('user:1')).toBe('name-1');
    d.disconnect();
  });

  it('verify accounts for every record in a scratch redis', async () => {
    const t = target({ name: 'cache', redis: { url: source().url, mode: 'logical' } });
    const deps = makeDeps(s3);
    const result = await verify(deps, { target: t, scratch: { url: scratch().url } });
    expect(result.ok).toBe(true);
    expect(result.checks[0]).toMatchObject({ name: 'db0', expected: 3008, actual: 3008, ok: true });
    expect(deps.metrics.values('BackupVerified', { Target: 'cache' })).toEqual([1]);
  });
});

describe('redis rdb backup (redis-cli --rdb -)', () => {
  it('stores an RDB and restores it through a disposable redis-server, TTLs kept', async () => {
    const t = target({ name: 'cache-rdb', redis: { url: source().url, mode: 'rdb' } });
    const result = await run(makeDeps(s3), { target: t, compressionLevel: 3 });
    expect(result.key).toMatch(/\.rdb\.zst$/);
    expect(result.manifest.counts.items[0]).toMatchObject({ name: 'db0', exact: false });

    const c = connect(scratch().url);
    await c.flushall();
    c.disconnect();
    // the scratch redis-server is started by the caller (the CLI passes lib/local's startRedis)
    const restored = await restore(
      { ...makeDeps(s3), startScratchRedis: startRedis },
      { target: t, backup: 'latest', to: { url: scratch().url } },
    );
    expect(restored.redis?.restored).toBe(3008);
    expect(restored.redis?.expired).toBe(0);
    expect(await snapshot(scratch().url)).toEqual(await snapshot(source().url));
    const d = connect(scratch().url);
    expect(await d.pttl('session:long')).toBeGreaterThan(3_000_000);
    await d.flushall();
    d.disconnect();

    // without a way to start one, the RDB restore says what it needs and writes nothing
    await expect(
      restore(makeDeps(s3), { target: t, backup: 'latest', to: { url: scratch().url } }),
    ).rejects.toThrow(ScratchRedisUnavailable);
    const e = connect(scratch().url);
    expect(await e.dbsize()).toBe(0);
    e.disconnect();
  });
});
