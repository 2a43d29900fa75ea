import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  connectionOutcome,
  findBinary,
  type LocalPostgres,
  type LocalRedis,
  MissingBinaryError,
  startPostgres,
  startRedis,
  withPostgres,
  withS3,
} from './services';

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('findBinary', () => {
  it('names the Debian package to install when a binary is missing', () => {
    // Act
    const attempt = () => findBinary('definitely-not-a-binary', 'some-package');

    // Assert
    expect(attempt).toThrow(MissingBinaryError);
    expect(attempt).toThrow(
      'definitely-not-a-binary not found — install the Debian package some-package (apt-get install some-package)',
    );
  });

  it('finds the PostgreSQL client tools', () => {
    expect(findBinary('pg_dump', 'postgresql-client')).toMatch(/pg_dump$/);
  });
});

describe('startPostgres', () => {
  const started: LocalPostgres[] = [];
  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop()));
  });

  it('starts a server on 127.0.0.1 that answers SELECT 1, with the requested settings', async () => {
    // Prepare / Act
    const postgres = await startPostgres({ settings: { max_connections: '17' } });
    started.push(postgres);

    // Assert
    expect(postgres.url).toBe(`postgres://postgres@127.0.0.1:${postgres.port}/postgres`);
    expect(postgres.port).not.toBe(5432);
    expect(postgres.version).toBeGreaterThanOrEqual(13);
    expect(existsSync(`${postgres.binDir}/postgres`)).toBe(true);
    expect(await query(postgres.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(await query(postgres.url, 'SHOW max_connections')).toEqual([{ max_connections: '17' }]);
    expect(await query(postgres.url, "SELECT current_setting('server_encoding') AS enc")).toEqual([
      { enc: 'UTF8' },
    ]);
  });

  it('creates databases reachable through the returned URL', async () => {
    const postgres = await startPostgres();
    started.push(postgres);

    const url = await postgres.createDatabase('app "prod"');

    expect(await query(url, 'SELECT current_database() AS db')).toEqual([{ db: 'app "prod"' }]);
  });

  it('kill() stops the server at once (its process is gone, open connections fail); stop() afterwards removes the temp dir', async () => {
    // Prepare
    const postgres = await startPostgres();
    started.push(postgres);
    const open = new pg.Client({ connectionString: postgres.url });
    const openErrors: unknown[] = [];
    open.on('error', (error) => openErrors.push(error));
    await open.connect();

    // Act
    await postgres.kill();

    // Assert: the postmaster is gone and the open connection with it. (Whether the port refuses new
    // connections is not asserted: with tests in parallel, another disposable server may take the freed
    // random port at once.)
    expect(() => process.kill(postgres.pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    await expect(open.query('SELECT 1')).rejects.toThrow();
    await open.end().catch(() => {});
    expect(existsSync(postgres.directory)).toBe(true);
    await postgres.stop();
    expect(existsSync(postgres.directory)).toBe(false);
  });

  it('stop() shuts down, removes the temp dir and is idempotent', async () => {
    const postgres = await startPostgres();
    started.push(postgres);

    await Promise.all([postgres.stop(), postgres.stop()]);
    await postgres.stop();

    expect(existsSync(postgres.directory)).toBe(false);
    expect(await connectionOutcome(postgres.port)).toBe('ECONNREFUSED');
  });
});

describe('withPostgres', () => {
  const postgres = withPostgres();

  it('provides a running server to the tests of the suite', async () => {
    expect(await query(postgres().url, 'SELECT 2 AS two')).toEqual([{ two: 2 }]);
  });
});

describe('startRedis', () => {
  const started: LocalRedis[] = [];
  afterAll(async () => {
    await Promise.all(started.map((r) => r.stop()));
  });

  it('answers PING, SET and GET on a private port', async () => {
    const redis = await startRedis({ maxmemory: '32mb' });
    started.push(redis);
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await client.connect();

      expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
      expect(redis.port).not.toBe(6379);
      expect(await client.ping()).toBe('PONG');
      expect(await client.set('nightshift', 'on duty')).toBe('OK');
      expect(await client.get('nightshift')).toBe('on duty');
      expect(await client.config('GET', 'maxmemory')).toEqual(['maxmemory', String(32 * 1024 * 1024)]);
      expect(await client.config('GET', 'save')).toEqual(['save', '']);
    } finally {
      client.disconnect();
    }
  });

  it('kill() makes connections fail with ECONNREFUSED; stop() removes the temp dir', async () => {
    const redis = await startRedis();
    started.push(redis);

    await redis.kill();

    expect(await connectionOutcome(redis.port)).toBe('ECONNREFUSED');
    await redis.stop();
    await redis.stop();
    expect(existsSync(redis.directory)).toBe(false);
  });
});

describe('startS3', () => {
  const s3 = withS3({ buckets: ['backups'] });

  it('puts, gets and lists objects over HTTP', async () => {
    const client = s3().client();

    await client.send(new PutObjectCommand({ Bucket: 'backups', Key: 'daily/a.txt', Body: 'hello' }));
    await client.send(new PutObjectCommand({ Bucket: 'backups', Key: 'daily/b.txt', Body: 'world' }));
    const got = await client.send(new GetObjectCommand({ Bucket: 'backups', Key: 'daily/a.txt' }));
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'backups', Prefix: 'daily/' }));

    expect(s3().endpoint).toBe(`http://127.0.0.1:${s3().port}`);
    expect(await got.Body?.transformToString()).toBe('hello');
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['daily/a.txt', 'daily/b.txt']);
  });

  it('completes a ~12 MB multipart upload with lib-storage Upload', async () => {
    const client = s3().client();
    const body = randomBytes(12 * 1024 * 1024 + 123);
    const parts: number[] = [];
    const upload = new Upload({
      client,
      params: { Bucket: 'backups', Key: 'big.bin', Body: Readable.from([body]) },
      partSize: 5 * 1024 * 1024,
      queueSize: 2,
    });
    upload.on('httpUploadProgress', (progress) => {
      if (progress.part !== undefined) parts.push(progress.part);
    });

    await upload.done();
    const got = await client.send(new GetObjectCommand({ Bucket: 'backups', Key: 'big.bin' }));
    const bytes = await got.Body?.transformToByteArray();

    expect(new Set(parts).size).toBe(3);
    expect(bytes?.length).toBe(body.length);
    expect(sha256(bytes ?? new Uint8Array())).toBe(sha256(body));
  });

  // The next tests pin down what s3rver does NOT emulate, so backup code is not tested against
  // behaviour that only real S3 has (see the comment at the top of lib/local/s3.ts).
  it('supports PutObjectTagging but ignores the x-amz-tagging header on PutObject', async () => {
    const client = s3().client();
    await client.send(
      new PutObjectCommand({ Bucket: 'backups', Key: 't.txt', Body: 'x', Tagging: 'tier=daily' }),
    );

    const fromHeader = await client.send(new GetObjectTaggingCommand({ Bucket: 'backups', Key: 't.txt' }));
    await client.send(
      new PutObjectTaggingCommand({
        Bucket: 'backups',
        Key: 't.txt',
        Tagging: { TagSet: [{ Key: 'tier', Value: 'weekly' }] },
      }),
    );
    const explicit = await client.send(new GetObjectTaggingCommand({ Bucket: 'backups', Key: 't.txt' }));

    expect(fromHeader.TagSet ?? []).toEqual([]);
    expect(explicit.TagSet).toEqual([{ Key: 'tier', Value: 'weekly' }]);
  });

  it('ignores If-None-Match: * on PutObject (overwrites instead of 412)', async () => {
    const client = s3().client();
    await client.send(new PutObjectCommand({ Bucket: 'backups', Key: 'once.txt', Body: 'first' }));

    await client.send(
      new PutObjectCommand({ Bucket: 'backups', Key: 'once.txt', Body: 'second', IfNoneMatch: '*' }),
    );
    const got = await client.send(new GetObjectCommand({ Bucket: 'backups', Key: 'once.txt' }));

    expect(await got.Body?.transformToString()).toBe('second');
  });

  it('does not implement AbortMultipartUpload', async () => {
    const client = s3().client();
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: 'backups', Key: 'aborted.bin' }),
    );

    const attempt = client.send(
      new AbortMultipartUploadCommand({ Bucket: 'backups', Key: 'aborted.bin', UploadId }),
    );

    await expect(attempt).rejects.toBeInstanceOf(S3ServiceException);
    await expect(attempt).rejects.toMatchObject({ $metadata: { httpStatusCode: 405 } });
  });
});

describe('LocalS3.kill', () => {
  const s3 = withS3({ buckets: ['backups'] });

  it('cuts in-flight requests so an upload fails fast with a reset connection', async () => {
    // Prepare: a 2 MiB PutObject whose body stalls after the first MiB, so the request stays open
    const client = s3().client();
    let bodyStarted: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      bodyStarted = resolve;
    });
    let release: () => void = () => {};
    const stalled = new Promise<void>((resolve) => {
      release = resolve;
    });
    async function* body() {
      yield randomBytes(1024 * 1024);
      bodyStarted(); // the SDK pulled past the first chunk: the request is being sent
      await stalled;
      yield randomBytes(1024 * 1024);
    }
    const put = client.send(
      new PutObjectCommand({
        Bucket: 'backups',
        Key: 'cut.bin',
        Body: Readable.from(body()),
        ContentLength: 2 * 1024 * 1024,
      }),
    );
    put.catch(() => {});
    await started;

    // Act
    await s3().kill();
    release();

    // Assert: the open connection was reset (not refused: it had been accepted), new ones are refused
    const error: unknown = await put.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(['ECONNRESET', 'EPIPE']).toContain((error as NodeJS.ErrnoException | undefined)?.code);
    expect(await connectionOutcome(s3().port)).toBe('ECONNREFUSED');
  });
});
