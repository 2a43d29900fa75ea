/**
 * redis check against a disposable redis-server: up with clients and memory, a password from a secret
 * that never shows, maxmemory nearly reached, replication link, and stopped (ECONNREFUSED).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOne, run } from '../../../lambdas/health-check/health-check';
import { parameterStoreReader } from '../../../lambdas/shared/connections';
import { withRedis } from '../../support/services';
import { fakeSecrets, target, targets, testDeps } from './support';

const PASSWORD = 'redis-Pa55-word-not-for-logs';

describe('redis check', () => {
  const server = withRedis();
  let admin: Redis;

  beforeAll(async () => {
    admin = new Redis({ host: '127.0.0.1', port: server().port, lazyConnect: true });
    await admin.connect();
    // a user with a password, like a managed Redis with AUTH
    await admin.call('ACL', 'SETUSER', 'app', 'on', `>${PASSWORD}`, '~*', '+@all');
  });

  afterAll(() => {
    admin.disconnect();
  });

  const cache = (extra: Record<string, unknown> = {}) =>
    target({ name: 'cache', redis: { url: server().url, ...extra } });

  it('is up with latency; the client count is in the detail, not a metric (nothing watches it)', async () => {
    const deps = testDeps();
    const result = await checkOne(deps, cache());

    expect(result.up).toBe(true);
    expect(result.detail).toMatch(/^redis 127\.0\.0\.1:\d+, memory .+ \(no maxmemory\), \d+ clients$/);
    expect(Number(/(\d+) clients$/.exec(result.detail)?.[1])).toBeGreaterThanOrEqual(2);
    expect(result.metrics.MemoryPercent).toBeUndefined();
    // no maxLatency on the target, so no LatencyMs either: Up is all it sends
    expect(deps.metrics.points.map((p) => p.name)).toEqual(['Up']);
  });

  it('authenticates with a password from a secret and never reveals it, right or wrong', async () => {
    const secrets = fakeSecrets({
      'prod/cache': JSON.stringify({
        host: '127.0.0.1',
        port: server().port,
        username: 'app',
        password: PASSWORD,
      }),
      'prod/cache-old': JSON.stringify({
        host: '127.0.0.1',
        port: server().port,
        username: 'app',
        password: `${PASSWORD}-rotated`,
      }),
    });
    const deps = testDeps({ secrets });

    const result = await run(deps, {
      targets: targets(
        { name: 'cache', redis: { secret: 'prod/cache' } },
        { name: 'cache-old', redis: { secret: 'prod/cache-old' } },
      ),
    });

    expect(result.results.map((r) => r.up)).toEqual([true, false]);
    expect(result.results[1]?.reason).toMatch(/^WRONGPASS/);
    const everything = JSON.stringify(result) + deps.log.text() + JSON.stringify(deps.metrics.points);
    expect(everything).not.toContain(PASSWORD);
  });

  it('picks up a rotated password at once: a refused login forgets the cached value and checks again', async () => {
    // the real caching reader (15-minute TTL) over a store the test rotates
    const store: Record<string, string> = {};
    const reads: string[] = [];
    const secrets = parameterStoreReader(async (name) => {
      reads.push(name);
      return store[name];
    });
    const value = (password: string) =>
      JSON.stringify({ host: '127.0.0.1', port: server().port, username: 'rotating', password });
    await admin.call('ACL', 'SETUSER', 'rotating', 'on', 'resetpass', `>${PASSWORD}-1`, '~*', '+@all');
    store['/prod/rotating'] = value(`${PASSWORD}-1`);
    const check = () =>
      checkOne(testDeps({ secrets }), target({ name: 'cache', redis: { secret: 'ssm:/prod/rotating' } }));

    expect((await check()).up).toBe(true);
    expect((await check()).up).toBe(true);
    expect(reads).toHaveLength(1); // cached

    // rotation: the server takes only the new password, and the store holds it
    await admin.call('ACL', 'SETUSER', 'rotating', 'resetpass', `>${PASSWORD}-2`);
    store['/prod/rotating'] = value(`${PASSWORD}-2`);
    const result = await check();

    expect(result.up).toBe(true);
    expect(reads).toHaveLength(2); // the refused cached value was read again, once
    // a password that is really wrong is still down (one re-read, no loop)
    await admin.call('ACL', 'SETUSER', 'rotating', 'resetpass', `>${PASSWORD}-3`);
    const wrong = await check();
    expect(wrong.up).toBe(false);
    expect(wrong.reason).toMatch(/^WRONGPASS/);
    expect(reads).toHaveLength(3);
  });

  it('reports MemoryPercent high, with a warning, when maxmemory is nearly reached', async () => {
    const info = await admin.info('memory');
    const used = Number(/used_memory:(\d+)/.exec(info)?.[1]);
    await admin.config('SET', 'maxmemory', String(Math.round(used * 1.05)));
    try {
      const result = await checkOne(testDeps(), cache({ maxMemoryPercent: 90 }));

      expect(result.up).toBe(true);
      expect(result.metrics.MemoryPercent).toBeGreaterThanOrEqual(90);
      expect(result.warnings).toEqual([
        `memory at ${result.metrics.MemoryPercent}% of maxmemory (alarm at 90%)`,
      ]);
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }
  });

  it('with replication on, says the role of a primary and fails a replica whose master link is down', async () => {
    const primary = await checkOne(testDeps(), cache({ replication: true }));
    expect(primary.up).toBe(true);
    expect(primary.detail).toContain('role master');

    // replicate from a port where nothing listens: the link stays down
    await admin.call('REPLICAOF', '127.0.0.1', '1');
    try {
      const replica = await checkOne(testDeps(), cache({ replication: true }));
      expect(replica.up).toBe(false);
      expect(replica.reason).toMatch(/^master link is down( for \d+ s)?$/);
    } finally {
      await admin.call('REPLICAOF', 'NO', 'ONE');
    }
  });

  it('is down with ECONNREFUSED and the address once the server is stopped', async () => {
    admin.disconnect();
    await server().stop();

    const result = await checkOne(testDeps(), cache());

    expect(result).toMatchObject({ up: false, reason: `ECONNREFUSED 127.0.0.1:${server().port}` });
  });
});
