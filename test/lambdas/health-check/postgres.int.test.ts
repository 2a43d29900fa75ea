/**
 * postgres check against a disposable PostgreSQL: up with connection usage, a custom query,
 * max_connections nearly exhausted, and killed (ECONNREFUSED).
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { checkOne } from '../../../lambdas/health-check/health-check';
import { withPostgres } from '../../support/services';
import { fakeSecrets, target, testDeps } from './support';

describe('postgres check', () => {
  const server = withPostgres({ settings: { max_connections: '10' } });
  const db = (extra: Record<string, unknown> = {}) =>
    target({ name: 'db', postgres: { url: server().url, ssl: 'disable', ...extra } });

  it('is up with latency and ConnectionsPercent', async () => {
    const deps = testDeps();
    const result = await checkOne(deps, db());

    expect(result.up).toBe(true);
    expect(result.detail).toMatch(/^postgres 127\.0\.0\.1:\d+\/postgres, \d+\/10 connections$/);
    expect(result.latencyMs).toBeGreaterThan(0);
    expect(result.metrics.ConnectionsPercent).toBeGreaterThanOrEqual(10);
    expect(deps.metrics.values('ConnectionsPercent', { Target: 'db' })).toEqual([
      result.metrics.ConnectionsPercent,
    ]);
    expect(result.metrics.ReplicationLagSeconds).toBeUndefined();
  });

  it('reads its connection from a secret and never shows the password', async () => {
    const password = 'pg-Secret-Value-123';
    const deps = testDeps({
      secrets: fakeSecrets({
        'prod/db': JSON.stringify({
          host: '127.0.0.1',
          port: server().port,
          username: 'postgres',
          password,
          dbname: 'postgres',
        }),
      }),
    });

    const result = await checkOne(
      deps,
      target({ name: 'db', postgres: { secret: 'prod/db', ssl: 'disable' } }),
    );

    expect(result.up).toBe(true);
    expect(JSON.stringify(result) + deps.log.text()).not.toContain(password);
  });

  it('checks a custom query against its expected value', async () => {
    const [right, wrong, broken] = await Promise.all([
      checkOne(testDeps(), db({ query: { sql: "SELECT 'ready'", expect: 'ready' } })),
      checkOne(testDeps(), db({ query: { sql: 'SELECT 41 + 0', expect: 42 } })),
      checkOne(testDeps(), db({ query: { sql: 'SELECT * FROM no_such_table', expect: 1 } })),
    ]);

    expect(right.up).toBe(true);
    expect(wrong.reason).toBe('query returned 41, expected 42');
    expect(broken.reason).toBe('relation "no_such_table" does not exist');
  });

  it('reports ConnectionsPercent high, with a warning, when max_connections is nearly exhausted', async () => {
    const held: pg.Client[] = [];
    try {
      for (let i = 0; i < 8; i++) {
        const client = new pg.Client({ connectionString: server().url });
        await client.connect();
        held.push(client);
      }

      const result = await checkOne(testDeps(), db({ maxConnectionsPercent: 80 }));

      expect(result.up).toBe(true);
      expect(result.metrics.ConnectionsPercent).toBeGreaterThanOrEqual(90);
      expect(result.warnings).toEqual([
        `connections at ${result.metrics.ConnectionsPercent}% of max_connections (alarm at 80%)`,
      ]);
    } finally {
      await Promise.all(held.map((client) => client.end()));
    }
  });

  it('is down with ECONNREFUSED and the address once the server is killed', async () => {
    await server().kill();

    const result = await checkOne(testDeps(), db());

    expect(result).toMatchObject({ up: false, reason: `ECONNREFUSED 127.0.0.1:${server().port}` });
  });
});
