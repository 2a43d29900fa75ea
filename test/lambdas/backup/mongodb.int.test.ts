/**
 * MongoDB backups. There is no MongoDB here to start disposably: these tests run against MONGODB_URL
 * (a server they may write to: they use the databases nightshift_bk_src / nightshift_bk_dst and drop
 * them) with mongodump/mongorestore on PATH, and report themselves skipped otherwise.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../lambdas/backup/backup';
import { restore } from '../../../lambdas/backup/restore';
import { withS3 } from '../../support/services';
import { BUCKET, makeDeps, target } from './helpers';
import { type S3Proxy, startS3Proxy } from './s3-proxy';

const MONGODB_URL = process.env.MONGODB_URL;

const withDb = (base: string, db: string) => {
  const url = new URL(base);
  url.pathname = `/${db}`;
  return url.toString();
};

describe.skipIf(!MONGODB_URL)('mongodb backup → restore (needs MONGODB_URL)', () => {
  const store = withS3({ buckets: [BUCKET] });
  let proxy: S3Proxy;
  let s3: S3Client;
  let client: MongoClient;
  const base = MONGODB_URL ?? 'mongodb://127.0.0.1:27017';

  beforeAll(async () => {
    proxy = await startS3Proxy(store());
    s3 = proxy.client();
    client = new MongoClient(base);
    await client.connect();
    await client.db('nightshift_bk_src').dropDatabase();
    await client.db('nightshift_bk_dst').dropDatabase();
    const src = client.db('nightshift_bk_src');
    await src
      .collection('orders')
      .insertMany(Array.from({ length: 500 }, (_, i) => ({ n: i, total: i * 2 })));
    await src.collection('users').insertMany([{ name: 'ada' }, { name: 'grace' }]);
  });
  afterAll(async () => {
    await client?.db('nightshift_bk_src').dropDatabase();
    await client?.db('nightshift_bk_dst').dropDatabase();
    await client?.close();
    await proxy?.close();
  });

  it('dumps a mongodump archive with collection counts and restores it', async () => {
    const t = target({ name: 'docs', mongodb: { url: withDb(base, 'nightshift_bk_src') } });
    const result = await run(makeDeps(s3), { target: t, compressionLevel: 3 });
    expect(result.key).toMatch(/\.archive\.zst$/);
    expect(result.manifest.counts.items).toEqual([
      { name: 'nightshift_bk_src.orders', count: 500, exact: true },
      { name: 'nightshift_bk_src.users', count: 2, exact: true },
    ]);
    await client
      .db('nightshift_bk_src')
      .collection('orders')
      .deleteMany({ n: { $gte: 100 } });
    await restore(makeDeps(s3), {
      target: t,
      backup: 'latest',
      to: { url: withDb(base, 'nightshift_bk_src') },
      force: true,
    });
    expect(await client.db('nightshift_bk_src').collection('orders').countDocuments()).toBe(500);
  });
});
