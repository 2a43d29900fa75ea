/**
 * StreamWriter, the push front of stream-upload that the log archive writes its parts through, against
 * s3rver behind the test proxy that serves ListMultipartUploads/AbortMultipartUpload: the stored
 * object is a multi-frame zstd stream of exactly what was written with the reported SHA-256; an
 * abandoned write leaves no object and no open multipart upload; a wrong first byte is refused.
 */
import { createHash, randomBytes } from 'node:crypto';
import { zstdDecompressSync } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryLog } from '../../../lambdas/shared/log';
import { HEADERS, HeaderMismatch, UploadFailed } from '../../../lambdas/shared/stream-upload';
import { StreamWriter } from '../../../lambdas/shared/stream-writer';
import { withS3 } from '../../support/services';
import { type S3Proxy, startS3Proxy } from '../backup/s3-proxy';

const BUCKET = 'stream-writer';
const store = withS3({ buckets: [BUCKET] });
let proxy: S3Proxy;
let s3: S3Client;

beforeAll(async () => {
  proxy = await startS3Proxy(store());
  s3 = proxy.client();
});
afterAll(async () => {
  await proxy?.close();
});

const writer = (key: string, log = new MemoryLog(), frameBytes = 64 * 1024) =>
  new StreamWriter({
    s3,
    bucket: BUCKET,
    key,
    header: HEADERS.ndjson,
    compressionLevel: 3,
    compressionThreads: 2,
    frameBytes,
    overwrite: true,
    log,
  });

async function exists(key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    return true;
  } catch {
    return false;
  }
}

describe('StreamWriter through stream-upload', () => {
  it('stores what was written as parallel zstd frames, with its SHA-256 and sizes; settle() counts all full frames', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `{"n":${i},"message":"request ${i * 7919}"}\n`);
    const w = writer('logs/a/00001.ndjson.zst');
    for (let i = 0; i < lines.length; i += 1000) await w.write(lines.slice(i, i + 1000).join(''));
    const input = Buffer.from(lines.join(''), 'utf8');
    expect(w.uncompressedBytes).toBe(input.length);
    await w.settle();
    // every full 64 KiB frame has been compressed; only the last partial one is outstanding
    expect(w.compressedBytes).toBeGreaterThan(0);
    expect(w.estimatedBytes).toBeGreaterThanOrEqual(w.compressedBytes);
    const beforeFinish = w.compressedBytes;

    const result = await w.finish();

    const stored = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: result.key }));
    const bytes = Buffer.from(await stored.Body!.transformToByteArray());
    expect(result.bytesIn).toBe(input.length);
    expect(result.bytesOut).toBe(bytes.length);
    expect(result.bytesOut).toBeGreaterThan(beforeFinish);
    expect(result.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(zstdDecompressSync(bytes).equals(input)).toBe(true);
    // several frames: zstd frame magic 28 b5 2f fd appears once per frame
    const frames = bytes.toString('hex').split('28b52ffd').length - 1;
    expect(frames).toBeGreaterThanOrEqual(Math.floor(input.length / (64 * 1024)));
  });

  it('abort after multipart parts were sent: no object, no open multipart upload (checked)', async () => {
    const key = 'logs/b/00001.ndjson.zst';
    const log = new MemoryLog();
    // incompressible, so the 8 MiB upload part fills and CreateMultipartUpload/UploadPart happen
    const w = writer(key, log, 1024 * 1024);
    await w.write('{');
    for (let i = 0; i < 12; i++) await w.write(randomBytes(1024 * 1024));
    await w.settle();
    const started = Date.now();
    // s3rver writes an upload's directory before its metadata: wait for the key, not the directory
    while (!proxy.openUploads(BUCKET).some((u) => u.key === key) && Date.now() - started < 20_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(proxy.openUploads(BUCKET).map((u) => u.key)).toEqual([key]);

    await w.abort();

    expect(proxy.openUploads(BUCKET)).toEqual([]);
    expect(await exists(key)).toBe(false);
    expect(
      log.records.some((e) => /no multipart upload remains|aborted multipart upload/.test(e.message)),
    ).toBe(true);
    // writing after the abort reports the failure instead of hanging
    await expect(w.write('{"late":true}\n')).rejects.toBeInstanceOf(UploadFailed);
  });

  it('refuses a part that does not start like NDJSON, and stores nothing', async () => {
    const key = 'logs/c/00001.ndjson.zst';
    const w = writer(key);
    await w.write('not json\n');
    const failure = await w.finish().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UploadFailed);
    expect((failure as UploadFailed).cause).toBeInstanceOf(HeaderMismatch);
    expect((failure as Error).message).toMatch(/does not start like a NDJSON/);
    expect(await exists(key)).toBe(false);
  });
});
