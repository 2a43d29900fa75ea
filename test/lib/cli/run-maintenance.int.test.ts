/**
 * `nightshift run` with maintenance tasks against a disposable PostgreSQL and redis-server, the real CLI
 * in a child process: a table locked by another session fails the VACUUM task (exit 1, the reason on its
 * line), the other tasks still run and report, a big key is a problem, and the alert preview shows the
 * alarms those results would page with.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli';
import { withPostgres, withRedis } from '../../support/services';

const server = withPostgres();
const redisServer = withRedis();
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nightshift-run-maintenance-'));
  const admin = new pg.Client({ connectionString: server().url });
  await admin.connect();
  await admin.query(`CREATE TABLE busy (id int); CREATE TABLE calm (id int); CREATE TABLE jobs (failed boolean);
    INSERT INTO jobs VALUES (true), (true), (false)`);
  await admin.end();
  const redis = new Redis(redisServer().url);
  await redis.set('report:big', 'z'.repeat(3 * 1024 * 1024));
  redis.disconnect();
  const pgUrl = `${server().url}?sslmode=disable`;
  writeFileSync(
    join(dir, 'nightshift.config.yaml'),
    `project: local
region: us-east-1
alerts:
  levels:
    - { name: me, email: [me@example.com] }
maintenance:
  tasks:
    - { name: weekly-vacuum, kind: vacuum, schedule: cron(0 4 ? * SUN *), postgres: { url: "${pgUrl}" }, lockTimeout: 500ms }
    - { name: failed-jobs, kind: sqlCheck, schedule: rate(1 hour), postgres: { url: "${pgUrl}" }, sql: SELECT count(*) FROM jobs WHERE failed, threshold: 5 }
    - { name: big-keys, kind: bigKeys, schedule: cron(0 3 ? * SUN *), severity: low, redis: { url: "${redisServer().url}" }, maxKeyMb: 1 }
`,
  );
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('nightshift run with maintenance tasks', () => {
  it('reports a lock timeout as a failed task, still runs the others, and previews the pages', async () => {
    const holder = new pg.Client({ connectionString: server().url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE busy IN ACCESS EXCLUSIVE MODE');
      const result = await runCli(
        ['run', '--config', join(dir, 'nightshift.config.yaml'), '--data-dir', join(dir, 'data')],
        { timeoutMs: 240_000, env: { AWS_ACCESS_KEY_ID: undefined, AWS_PROFILE: undefined, HOME: dir } },
      );
      expect(result.code, result.stderr).toBe(1);
      expect(result.stdout).toContain('✗ db-maintenance');
      expect(result.stdout).toContain('1 ok, 1 found a problem, 1 failed');
      expect(result.stdout).toMatch(
        /weekly-vacuum {2}vacuum {2}FAILED {2}VACUUM \(ANALYZE\) failed on 1 of 3 tables — public\.busy: lock not obtained within 500 ms \(lock_timeout\)/,
      );
      expect(result.stdout).toMatch(/failed-jobs {2}sqlCheck {2}ok {2}.*result 2 not > 5/);
      expect(result.stdout).toMatch(/big-keys {2}bigKeys {2}PROBLEM {2}.*1 above 1\.0 MB/);
      expect(result.stdout).toMatch(/! report:big {2}3\.\d MB/);
      // the alert preview pages with the alarms of the synthesized app
      expect(result.stdout).toContain('local-db-maintenance-weekly-vacuum-failed');
      expect(result.stdout).toContain('local-db-maintenance-big-keys-problem');
      expect(result.stdout).toMatch(/db-maintenance +(every|cron)/);
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      await holder.end();
    }
  }, 300_000);
});
