/**
 * The maintenance tasks against a disposable PostgreSQL and redis-server: VACUUM with a table locked by
 * another session (lock_timeout fires, the other tables and the next task still run, the metric says
 * failed), bloat from real dead tuples, slowQueries with and without pg_stat_statements, sqlCheck over a
 * threshold and refused writes, Redis big keys by SCAN (never KEYS) and fragmentation. Tasks are built
 * from config through the schema and spec.ts, as the construct builds the schedule input.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, runTask } from '../../../lambdas/db-maintenance/db-maintenance';
import type { TaskSpec } from '../../../lambdas/db-maintenance/event';
import { taskSpec } from '../../../lambdas/db-maintenance/spec';
import { noSecrets, SecretUnavailable } from '../../../lambdas/shared/connections';
import { MemoryLog } from '../../../lambdas/shared/log';
import { MemoryMetrics } from '../../../lambdas/shared/metrics';
import { testConfig } from '../../support/cdk';
import { withPostgres, withRedis } from '../../support/services';

const server = withPostgres();
const redisServer = withRedis();

function spec(task: Record<string, unknown>): TaskSpec {
  const config = testConfig({
    maintenance: { tasks: [{ name: 'task', schedule: 'cron(0 4 ? * SUN *)', ...task }] },
  });
  const first = config.maintenance?.tasks[0];
  if (!first) throw new Error('no task');
  return taskSpec(first);
}
const pgTask = (task: Record<string, unknown>) =>
  spec({ postgres: { url: server().url, ssl: 'disable' }, ...task });

function deps() {
  return { project: 'shop', secrets: noSecrets, metrics: new MemoryMetrics(), log: new MemoryLog() };
}

let admin: pg.Client;
const sql = (text: string, values?: unknown[]) => admin.query(text, values);

/** Waits until the cumulative statistics show what `ready` wants (they are flushed asynchronously). */
async function statsUntil(query: string, ready: (row: Record<string, unknown>) => boolean): Promise<void> {
  const until = Date.now() + 15_000;
  for (;;) {
    await sql('SELECT pg_stat_clear_snapshot()');
    const row = (await sql(query)).rows[0] as Record<string, unknown> | undefined;
    if (row && ready(row)) return;
    if (Date.now() > until) throw new Error(`statistics never showed it: ${JSON.stringify(row)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  admin = new pg.Client({ connectionString: server().url });
  await admin.connect();
  await sql(`
    CREATE TABLE public.free (id int PRIMARY KEY, v text);
    CREATE TABLE public.locked (id int PRIMARY KEY, v text);
    CREATE TABLE public.churn (id int PRIMARY KEY, v text) WITH (autovacuum_enabled = false);
    CREATE TABLE public.jobs (id int PRIMARY KEY, failed boolean NOT NULL);
    INSERT INTO public.free SELECT i, 'x' FROM generate_series(1, 100) i;
    INSERT INTO public.locked SELECT i, 'x' FROM generate_series(1, 100) i;
    INSERT INTO public.jobs SELECT i, i <= 3 FROM generate_series(1, 10) i;
  `);
});
afterAll(async () => {
  await admin?.end();
});

describe('vacuum', () => {
  it('runs VACUUM (ANALYZE) on every table and the statistics show it', async () => {
    const d = deps();
    const result = await runTask(d, pgTask({ kind: 'vacuum' }));

    expect(result.outcome, result.reason).toBe('ok');
    const tables = (result.detail as { tables: { table: string; ok: boolean }[] }).tables;
    expect(tables.map((t) => t.table).sort()).toEqual([
      'public.churn',
      'public.free',
      'public.jobs',
      'public.locked',
    ]);
    await statsUntil(
      `SELECT count(*)::int AS n FROM pg_stat_user_tables WHERE last_vacuum IS NOT NULL AND last_analyze IS NOT NULL`,
      (row) => row.n === 4,
    );
    expect(d.metrics.values('MaintenanceFailed', { Project: 'shop', Task: 'task' })).toEqual([0]);
    expect(d.metrics.values('MaintenanceProblem', { Project: 'shop', Task: 'task' })).toEqual([]);
  });

  it('gives up on a table another session holds locked after lock_timeout, vacuums the others, and the next task still runs', async () => {
    const holder = new pg.Client({ connectionString: server().url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE public.locked IN SHARE UPDATE EXCLUSIVE MODE');
      const d = deps();
      const started = Date.now();
      const outcome = await run(d, [
        pgTask({
          name: 'weekly-vacuum',
          kind: 'vacuum',
          tables: ['locked', 'public.free'],
          lockTimeout: '300ms',
        }),
        pgTask({
          name: 'failed-jobs',
          kind: 'sqlCheck',
          sql: 'SELECT count(*) FROM jobs WHERE failed',
          threshold: 10,
        }),
      ]);
      const elapsed = Date.now() - started;

      const [vacuumResult, checkResult] = outcome.results;
      expect(vacuumResult?.outcome).toBe('failed');
      expect(vacuumResult?.reason).toMatch(
        /^VACUUM \(ANALYZE\) failed on 1 of 2 tables — public\.locked: lock not obtained within 300 ms \(lock_timeout\): another session holds a conflicting lock on it$/,
      );
      // the free table was still vacuumed, and the report says which one failed
      expect(vacuumResult?.findings.map((f) => [f.problem, f.text.split('  ')[0]])).toEqual([
        [true, 'public.locked'],
        [false, 'public.free'],
      ]);
      expect(checkResult?.outcome).toBe('ok');
      expect(elapsed).toBeLessThan(10_000);
      expect(d.metrics.values('MaintenanceFailed', { Task: 'weekly-vacuum' })).toEqual([1]);
      // a failed task reports no Problem datapoint: its problem alarm keeps its state
      expect(d.metrics.values('MaintenanceProblem', { Task: 'weekly-vacuum' })).toEqual([]);
      expect(d.metrics.values('MaintenanceFailed', { Task: 'failed-jobs' })).toEqual([0]);
      expect(d.log.records.find((r) => r.level === 'error')?.message).toBe('maintenance task failed');
      // the holder's lock was never broken: it is still in its transaction
      expect((await holder.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      await holder.end();
    }
  });

  it('fails clearly on a table that does not exist', async () => {
    const result = await runTask(deps(), pgTask({ kind: 'vacuum', tables: ['public.nope'] }));
    expect(result.outcome).toBe('failed');
    expect(result.reason).toMatch(/^no table public\.nope in this database — fix `tables`/);
  });
});

describe('bloat', () => {
  it('reports real dead tuples over the threshold, and no problem once VACUUM has cleaned them', async () => {
    await sql('INSERT INTO public.churn SELECT i, repeat($1, 20) FROM generate_series(1, 10000) i', ['x']);
    await sql('DELETE FROM public.churn WHERE id % 2 = 0');
    await statsUntil(
      `SELECT n_dead_tup::int AS dead FROM pg_stat_user_tables WHERE relname = 'churn'`,
      (row) => (row.dead as number) >= 5000,
    );
    const task = { kind: 'bloat', maxDeadPercent: 20, minDeadTuples: 1000 };

    const d = deps();
    const before = await runTask(d, pgTask(task));
    expect(before.outcome).toBe('problem');
    expect(before.findings[0]?.problem).toBe(true);
    expect(before.findings[0]?.text).toMatch(/^public\.churn {2}50% dead \(5000 dead, 5000 live\)/);
    expect(before.value).toBe(50);
    expect(before.summary).toMatch(/1 of \d+ tables above 20% dead tuples \(worst 50%\)/);
    expect(d.metrics.values('MaintenanceProblem', { Task: 'task' })).toEqual([1]);

    const vacuumed = await runTask(deps(), pgTask({ kind: 'vacuum', tables: ['churn'] }));
    expect(vacuumed.outcome, vacuumed.reason).toBe('ok');
    await statsUntil(
      `SELECT n_dead_tup::int AS dead FROM pg_stat_user_tables WHERE relname = 'churn'`,
      (row) => row.dead === 0,
    );
    const after = deps();
    expect((await runTask(after, pgTask(task))).outcome).toBe('ok');
    expect(after.metrics.values('MaintenanceProblem', { Task: 'task' })).toEqual([0]);
  });
});

describe('sqlCheck', () => {
  const check = (extra: Record<string, unknown>) =>
    pgTask({ kind: 'sqlCheck', sql: 'SELECT count(*) FROM jobs WHERE failed', ...extra });

  it('is a problem when the result is over the threshold, ok when not', async () => {
    const d = deps();
    const over = await runTask(d, check({ threshold: 2 }));
    expect(over.outcome).toBe('problem');
    expect(over.value).toBe(3);
    expect(over.findings).toEqual([{ problem: true, text: 'result 3 > 2' }]);
    const under = await runTask(d, check({ threshold: 3 }));
    expect(under.outcome).toBe('ok');
    expect(under.findings).toEqual([{ problem: false, text: 'result 3 not > 3' }]);
    expect(d.metrics.values('MaintenanceProblem', { Task: 'task' })).toEqual([1, 0]);
  });

  it.each([
    [
      'an UPDATE',
      'UPDATE jobs SET failed = false RETURNING 1',
      /^refused: the query writes \(cannot execute UPDATE in a read-only transaction\)/,
    ],
    [
      'a data-modifying CTE',
      'WITH d AS (DELETE FROM jobs RETURNING 1) SELECT count(*) FROM d',
      /^refused: the query writes/,
    ],
    [
      'a second statement after COMMIT',
      'SELECT 1; COMMIT; UPDATE jobs SET failed = false',
      /several statements/,
    ],
  ])('refuses %s and nothing changes', async (_what, text, reason) => {
    const d = deps();
    const result = await runTask(d, check({ sql: text, threshold: 0 }));
    expect(result.outcome).toBe('failed');
    expect(result.reason).toMatch(reason);
    expect(d.metrics.values('MaintenanceFailed', { Task: 'task' })).toEqual([1]);
    const rows = await sql('SELECT count(*)::int AS n FROM jobs WHERE failed');
    expect(rows.rows[0]).toEqual({ n: 3 });
  });

  it('fails on a query that is not one number, and on statement_timeout', async () => {
    expect((await runTask(deps(), check({ sql: 'SELECT id FROM jobs', threshold: 1 }))).reason).toBe(
      'the query returned 10 rows of 1 columns — an sqlCheck returns one row with one number',
    );
    expect((await runTask(deps(), check({ sql: "SELECT 'many'", threshold: 1 }))).reason).toBe(
      'the query returned "many", not a number — return one number',
    );
    const slow = await runTask(
      deps(),
      check({ sql: 'SELECT count(*) FROM pg_sleep(5)', threshold: 1, statementTimeout: '300ms' }),
    );
    expect(slow.reason).toBe('stopped by statement_timeout after 300 ms');
    expect(slow.durationMs).toBeLessThan(3_000);
  });
});

describe('slowQueries', () => {
  it('says clearly that pg_stat_statements is not installed', async () => {
    const result = await runTask(deps(), pgTask({ kind: 'slowQueries' }));
    expect(result.outcome).toBe('failed');
    expect(result.reason).toMatch(
      /^pg_stat_statements is not installed in postgres 127\.0\.0\.1:\d+\/postgres — add pg_stat_statements to shared_preload_libraries .* CREATE EXTENSION pg_stat_statements/,
    );
  });

  describe('with pg_stat_statements', () => {
    const stats = withPostgres({ settings: { shared_preload_libraries: 'pg_stat_statements' } });

    it('reports the slowest queries and marks those above maxMeanTime', async () => {
      const c = new pg.Client({ connectionString: stats().url });
      await c.connect();
      try {
        await c.query('CREATE EXTENSION pg_stat_statements');
        for (let i = 0; i < 6; i++) await c.query('SELECT pg_sleep(0.05)');
        for (let i = 0; i < 6; i++) await c.query('SELECT 1 + 1');
      } finally {
        await c.end();
      }
      const task = spec({
        kind: 'slowQueries',
        postgres: { url: stats().url, ssl: 'disable' },
        maxMeanTime: '20ms',
        top: 5,
      });
      const d = deps();
      const result = await runTask(d, task);
      expect(result.outcome, result.reason).toBe('problem');
      const slow = result.findings.filter((f) => f.problem);
      expect(slow).toHaveLength(1);
      expect(slow[0]?.text).toMatch(/^\d+ ms mean {2}6 calls {2}.* SELECT pg_sleep\(\$1\)$/);
      expect(result.value).toBeGreaterThanOrEqual(50);
      expect(d.metrics.values('MaintenanceProblem', { Task: 'task' })).toEqual([1]);
    });
  });
});

describe('redis', () => {
  let client: Redis;
  beforeAll(async () => {
    client = new Redis(redisServer().url);
    const batch = client.pipeline();
    for (let i = 0; i < 300; i++) batch.set(`small:${i}`, 'x'.repeat(20));
    batch.set('cache:big-report', 'y'.repeat(2 * 1024 * 1024));
    await batch.exec();
    await client.config('RESETSTAT');
  });
  afterAll(() => client?.disconnect());
  const redisTask = (task: Record<string, unknown>) => spec({ redis: { url: redisServer().url }, ...task });

  it('finds a big key by SCAN and MEMORY USAGE, never KEYS', async () => {
    const d = deps();
    const result = await runTask(d, redisTask({ kind: 'bigKeys', maxKeyMb: 1, top: 3 }));
    expect(result.outcome).toBe('problem');
    expect(result.findings[0]).toEqual({
      problem: true,
      text: expect.stringMatching(/^cache:big-report {2}2\.\d MB$/),
    });
    expect(result.findings.filter((f) => f.problem)).toHaveLength(1);
    expect(result.summary).toMatch(/examined all 301 keys .*; 1 above 1\.0 MB$/);
    expect(d.metrics.values('MaintenanceProblem', { Task: 'task' })).toEqual([1]);
    const stats = await client.info('commandstats');
    expect(stats).toMatch(/cmdstat_scan:calls=\d+/);
    expect(stats).toMatch(/cmdstat_memory\|usage:calls=301\b/);
    expect(stats).not.toMatch(/cmdstat_keys:/);
  });

  it('samples at most sampleKeys keys and says so', async () => {
    const result = await runTask(deps(), redisTask({ kind: 'bigKeys', sampleKeys: 50, match: 'small:*' }));
    expect(result.outcome).toBe('ok');
    expect((result.detail as { examined: number }).examined).toBe(50);
    expect(result.summary).toMatch(/examined 50 of 301 keys \(a sample: sampleKeys 50\)/);
  });

  it('compares mem_fragmentation_ratio with the threshold, ignoring small absolute fragmentation', async () => {
    const info = await client.info('memory');
    const ratio = Number(/mem_fragmentation_ratio:([\d.]+)/.exec(info)?.[1]);
    const strict = await runTask(
      deps(),
      redisTask({ kind: 'redisMemory', maxFragmentationRatio: 1, minFragmentedMb: 0 }),
    );
    expect(strict.value).toBeGreaterThan(0);
    expect(Math.abs((strict.value ?? 0) - ratio)).toBeLessThan(ratio); // the same server, read again
    expect(strict.outcome).toBe((strict.value ?? 0) > 1 ? 'problem' : 'ok');
    // the default ignores fragmentation under 100 MB: a small server is never a problem
    const lenient = await runTask(deps(), redisTask({ kind: 'redisMemory', maxFragmentationRatio: 1 }));
    expect(lenient.outcome).toBe('ok');
  });

  it('fails with the connection error and still runs the next task', async () => {
    const d = deps();
    const outcome = await run(d, [
      spec({ name: 'gone', kind: 'bigKeys', redis: { url: 'redis://127.0.0.1:1' } }),
      spec({ name: 'here', kind: 'redisMemory', redis: { url: redisServer().url } }),
    ]);
    expect(outcome.results.map((r) => r.outcome)).toEqual(['failed', 'ok']);
    expect(outcome.results[0]?.reason).toMatch(/ECONNREFUSED 127\.0\.0\.1:1/);
    expect(d.metrics.values('MaintenanceFailed', { Task: 'gone' })).toEqual([1]);
  });
});

describe('secrets', () => {
  const PASSWORD = 'Redis-Secret-Value-42';
  // the default user stays password-less (the harness PINGs it); the task logs in as "maint"
  const locked = withRedis({ args: ['--user', 'maint', 'on', `>${PASSWORD}`, '~*', '&*', '+@all'] });
  const secrets = (password: string) => ({
    async getSecretString(id: string) {
      if (id !== 'prod/redis') throw new SecretUnavailable(id, 'it does not exist');
      return JSON.stringify({ host: '127.0.0.1', port: locked().port, username: 'maint', password });
    },
  });

  it('reads the connection from a secret and never shows the password, right or wrong', async () => {
    const task = spec({ kind: 'bigKeys', redis: { secret: 'prod/redis' } });
    const ok = { ...deps(), secrets: secrets(PASSWORD) };
    expect((await runTask(ok, task)).outcome).toBe('ok');
    const wrong = 'Wrong-Secret-Value-17';
    const bad = { ...deps(), secrets: secrets(wrong) };
    const result = await runTask(bad, task);
    expect(result.outcome).toBe('failed');
    expect(result.reason).toMatch(/WRONGPASS|invalid password/i);
    for (const text of [JSON.stringify(result), bad.log.text(), ok.log.text()]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(wrong);
    }
  });

  it('reports a missing secret as a failed task, naming the secret', async () => {
    const result = await runTask(deps(), spec({ kind: 'bloat', postgres: { secret: 'prod/db' } }));
    expect(result.outcome).toBe('failed');
    expect(result.reason).toBe(
      new SecretUnavailable('prod/db', 'no AWS credentials in this run — use a `url` for local servers')
        .message,
    );
  });
});
