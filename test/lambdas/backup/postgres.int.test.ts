/**
 * PostgreSQL backups against disposable servers and the embedded S3 store (behind a proxy that adds
 * ListMultipartUploads/AbortMultipartUpload and can be stopped mid-upload).
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupFailed, run } from '../../../lambdas/backup/backup';
import { readManifest } from '../../../lambdas/backup/layout';
import { restore, TargetNotEmpty } from '../../../lambdas/backup/restore';
import { tierExpiry } from '../../../lambdas/backup/retention';
import { verify } from '../../../lambdas/backup/verify';
import { MemoryLog } from '../../../lambdas/shared/log';
import { withPostgres, withS3 } from '../../support/services';
import { BUCKET, keysUnder, makeDeps, secretsOf, tagsOf, target } from './helpers';
import { type S3Proxy, startS3Proxy } from './s3-proxy';

const source = withPostgres();
const fresh = withPostgres();
const store = withS3({ buckets: [BUCKET] });
let proxy: S3Proxy;
let s3: S3Client;

async function sql(url: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

const PASSWORD = 'pw-Zx81-never-logged';
let appUrl: string;

beforeAll(async () => {
  proxy = await startS3Proxy(store());
  s3 = proxy.client();
  appUrl = await source().createDatabase('app');
  await sql(
    appUrl,
    `
    CREATE ROLE reporting NOLOGIN;
    CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, attrs jsonb, created timestamptz DEFAULT now());
    INSERT INTO items (name, attrs) SELECT 'item ' || g, jsonb_build_object('n', g) FROM generate_series(1, 2500) g;
    CREATE TABLE empty_table (id int);
    CREATE SCHEMA billing;
    CREATE TABLE billing.invoices (id bigint PRIMARY KEY, total numeric(12,2));
    INSERT INTO billing.invoices SELECT g, g * 1.5 FROM generate_series(1, 300) g;
    CREATE VIEW item_names AS SELECT name FROM items;`,
  );
});
afterAll(async () => {
  await proxy?.close();
});

const checksum = (url: string) =>
  sql(
    url,
    `SELECT md5(string_agg(id || ':' || name || ':' || attrs::text, ',' ORDER BY id)) AS h, count(*)::int AS n FROM items`,
  ).then((r) => r.rows[0] as { h: string; n: number });

describe('postgres backup → restore round trip', () => {
  it('streams a custom-format dump into S3 with a manifest, restores it into a fresh server, and keeps secrets out of logs', async () => {
    const secrets = secretsOf({
      'prod/app-db': {
        host: '127.0.0.1',
        port: source().port,
        username: 'postgres',
        password: PASSWORD,
        dbname: 'app',
      },
    });
    const app = target({ name: 'app', postgres: { secret: 'prod/app-db', ssl: 'disable', globals: true } });
    const deps = makeDeps(s3, { secrets });

    const result = await run(deps, { target: app, compressionLevel: 3 });

    expect(result.key).toMatch(/^backups\/app\/\d{4}\/\d{2}\/\d{2}\/app-\d{8}T\d{6}\.\d{3}Z\.pgdump\.zst$/);
    const manifest = await readManifest(s3, BUCKET, result.manifestKey);
    expect(manifest).toMatchObject({ engine: 'postgres', target: 'app', tier: 'monthly', key: result.key });
    expect(manifest.counts.items).toEqual(
      expect.arrayContaining([
        { name: 'public.items', count: 2500, exact: true },
        { name: 'public.empty_table', count: 0, exact: true },
        { name: 'billing.invoices', count: 300, exact: true },
      ]),
    );
    expect(manifest.bytesOut).toBeLessThan(manifest.bytesIn);
    expect(manifest.artifacts.map((a) => a.role).sort()).toEqual(['data', 'globals']);
    expect(await tagsOf(s3, result.key)).toEqual({ tier: 'monthly' });
    expect(deps.metrics.values('BackupSucceeded', { Project: 'shop', Target: 'app' })).toEqual([1]);
    expect(deps.metrics.values('NewestBackupAgeHours')).toEqual([0]);
    expect(deps.log.text()).not.toContain(PASSWORD);

    const restored = await restore(makeDeps(s3), {
      target: app,
      backup: 'latest',
      to: { url: fresh().url, ssl: 'disable' },
    });
    expect(restored.manifestKey).toBe(result.manifestKey);
    expect(await checksum(fresh().url)).toEqual(await checksum(appUrl));
    const invoices = await sql(fresh().url, 'SELECT sum(total)::text AS s FROM billing.invoices');
    expect(invoices.rows[0].s).toBe('67725.00');
  });

  it('refuses a non-empty target unless forced', async () => {
    const app = target({ name: 'app', postgres: { url: appUrl, ssl: 'disable' } });
    await expect(
      restore(makeDeps(s3), { target: app, backup: 'latest', to: { url: fresh().url, ssl: 'disable' } }),
    ).rejects.toBeInstanceOf(TargetNotEmpty);
    await sql(fresh().url, "DELETE FROM items WHERE id > 10; INSERT INTO items (name) VALUES ('local only')");
    await restore(makeDeps(s3), {
      target: app,
      backup: 'latest',
      to: { url: fresh().url, ssl: 'disable' },
      force: true,
    });
    expect(await checksum(fresh().url)).toEqual(await checksum(appUrl));
  });

  it('verify restores into a scratch database and compares the counts', async () => {
    const scratch = await fresh().createDatabase('scratch');
    await sql(scratch, 'CREATE TABLE leftover (x int)');
    const app = target({ name: 'app', postgres: { url: appUrl, ssl: 'disable' } });
    const deps = makeDeps(s3);
    const result = await verify(deps, { target: app, scratch: { url: scratch, ssl: 'disable' } });
    expect(result.ok).toBe(true);
    expect(result.checks.find((c) => c.name === 'public.items')).toMatchObject({
      expected: 2500,
      actual: 2500,
      ok: true,
    });
    expect(deps.metrics.values('BackupVerified')).toEqual([1]);
    const tables = await sql(
      scratch,
      "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'leftover'",
    );
    expect(tables.rows[0].n).toBe(0);
  });

  it('verify fails with a clear message when the stored object is corrupted', async () => {
    const app = target({ name: 'app', postgres: { url: appUrl, ssl: 'disable' } });
    const { key } = await run(makeDeps(s3), { target: app, compressionLevel: 3 });
    const stored = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const body = Buffer.from((await stored.Body?.transformToByteArray()) ?? []);
    const middle = Math.floor(body.length / 2);
    body[middle] = (body[middle] ?? 0) ^ 0xff;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    const scratch = await fresh().createDatabase('scratch2');
    const deps = makeDeps(s3);
    await expect(
      verify(deps, { target: app, backup: key, scratch: { url: scratch, ssl: 'disable' } }),
    ).rejects.toThrow(
      /verification of app failed: backup .*pgdump\.zst is corrupt: its SHA-256 is .* but the manifest recorded/,
    );
    expect(deps.metrics.values('BackupVerified')).toEqual([0]);
  });
});

describe('tier tagging', () => {
  it('tags the first backup of a month monthly, of an ISO week weekly, others daily — from what exists', async () => {
    const tiny = await source().createDatabase('tiny');
    await sql(tiny, 'CREATE TABLE t (x int); INSERT INTO t VALUES (1)');
    const t = target({ name: 'tiny', postgres: { url: tiny, ssl: 'disable' } });
    const days = [
      ['2026-02-27T02:00:00Z', 'monthly'], // first of February
      ['2026-02-28T02:00:00Z', 'daily'], // Saturday, same ISO week as Friday
      ['2026-03-01T02:00:00Z', 'monthly'], // Sunday: first of March (still the same ISO week)
      ['2026-03-02T02:00:00Z', 'weekly'], // Monday: new ISO week
      ['2026-03-03T02:00:00Z', 'daily'],
      // 2026-03-09 (Monday) fails; Tuesday is then the first of its week
      ['2026-03-10T02:00:00Z', 'weekly'],
      ['2026-03-11T02:00:00Z', 'daily'],
    ] as const;
    for (const [when, tier] of days) {
      const now = new Date(when);
      const retention = { daily: 7, weekly: 4, monthly: 3 };
      const result = await run(makeDeps(s3, { now: () => now, retention }), {
        target: t,
        compressionLevel: 1,
      });
      expect({ when, tier: result.manifest.tier }).toEqual({ when, tier });
      expect(await tagsOf(s3, result.key)).toEqual({ tier });
      expect(result.manifest.expiresAt).toBe(tierExpiry(tier, now, retention).toISOString());
    }
  });

  it('reads the time zone: 23:30 UTC on the last day of a month is already next month in Berlin', async () => {
    const t = target({ name: 'tz', postgres: { url: await source().createDatabase('tz'), ssl: 'disable' } });
    const first = await run(
      makeDeps(s3, { now: () => new Date('2026-04-29T12:00:00Z'), timeZone: 'Europe/Berlin' }),
      {
        target: t,
        compressionLevel: 1,
      },
    );
    const second = await run(
      makeDeps(s3, { now: () => new Date('2026-04-30T23:30:00Z'), timeZone: 'Europe/Berlin' }),
      {
        target: t,
        compressionLevel: 1,
      },
    );
    expect([first.manifest.tier, second.manifest.tier]).toEqual(['monthly', 'monthly']);
  });
});

describe('failures leave nothing that looks like a backup', () => {
  let bigUrl: string;
  beforeAll(async () => {
    bigUrl = await source().createDatabase('big');
    // ~45 MB of hex text: several 8 MiB parts even after zstd
    await sql(
      bigUrl,
      `CREATE TABLE blobs AS SELECT g AS id, md5(random()::text) || md5(random()::text) || md5(random()::text) AS v
                       FROM generate_series(1, 450000) g`,
    );
  });

  it('a wrong pg_dump major gives a clear error and no object', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-pg-dump-'));
    const fake = join(dir, 'pg_dump');
    writeFileSync(fake, '#!/bin/sh\necho "pg_dump (PostgreSQL) 9.6.24"\n');
    chmodSync(fake, 0o755);
    try {
      const deps = makeDeps(s3, { tools: { pgDump: fake } });
      const t = target({ name: 'old-tool', postgres: { url: appUrl, ssl: 'disable' } });
      const error = await run(deps, { target: t, compressionLevel: 3 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackupFailed);
      expect((error as Error).message).toMatch(
        /pg_dump 9 cannot dump postgres 127\.0\.0\.1:\d+\/app, which runs PostgreSQL 15 — pg_dump must be at least the server's major version/,
      );
      expect(deps.metrics.values('BackupFailed', { Target: 'old-tool' })).toEqual([1]);
      expect(await keysUnder(s3, 'backups/old-tool/')).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('S3 stopping mid-upload: the job fails, the multipart upload is aborted once S3 is back, no object', async () => {
    const t = target({ name: 's3-outage', postgres: { url: bigUrl, ssl: 'disable' } });
    const log = new MemoryLog();
    let resumed = false;
    const originalWarn = log.warn.bind(log);
    log.warn = (message, extra) => {
      originalWarn(message, extra);
      if (!resumed && message.startsWith('abort of multipart upload failed')) {
        resumed = true;
        void proxy.resume();
      }
    };
    let halted = false;
    proxy.onRequest = (method, url) => {
      if (!halted && method === 'PUT' && url.includes('partNumber=')) {
        halted = true;
        proxy.halt();
      }
    };
    const deps = makeDeps(s3, { log });
    try {
      const error = await run(deps, { target: t, compressionLevel: 1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackupFailed);
    } finally {
      proxy.onRequest = undefined;
      if (!resumed) await proxy.resume();
    }
    expect(halted).toBe(true);
    expect(resumed).toBe(true);
    expect(proxy.openUploads(BUCKET)).toEqual([]);
    expect(await keysUnder(s3, 'backups/s3-outage/')).toEqual([]);
    expect(deps.metrics.values('BackupFailed', { Target: 's3-outage' })).toEqual([1]);
    expect(log.text()).toContain('no multipart upload remains');
  });

  it('the database dying mid-dump: the job fails, no object and no open multipart upload remain', async () => {
    const t = target({ name: 'db-crash', postgres: { url: bigUrl, ssl: 'disable' } });
    let killed = false;
    let multipartStarted = false;
    proxy.onRequest = (method, url) => {
      if (method === 'POST' && url.includes('?uploads')) multipartStarted = true;
      // the first part is on its way: most of the table is still to be dumped
      if (!killed && method === 'PUT' && url.includes('partNumber=')) {
        killed = true;
        void source().kill();
      }
    };
    const deps = makeDeps(s3);
    try {
      const error = await run(deps, { target: t, compressionLevel: 1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackupFailed);
      expect((error as Error).message).toMatch(/pg_dump/);
    } finally {
      proxy.onRequest = undefined;
    }
    expect(killed).toBe(true);
    expect(multipartStarted).toBe(true);
    expect(proxy.openUploads(BUCKET)).toEqual([]);
    expect(await keysUnder(s3, 'backups/db-crash/')).toEqual([]);
    expect(deps.metrics.values('BackupFailed', { Target: 'db-crash' })).toEqual([1]);
    expect(deps.metrics.values('BackupSucceeded', { Target: 'db-crash' })).toEqual([0]);
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'backups/db-crash/' })),
    ).rejects.toThrow();
  });
});
