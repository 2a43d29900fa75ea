/**
 * The one streaming mechanism every dump and every log archive part goes through:
 *
 *   source (tool stdout / generator / ./stream-writer) → header check → zstd, independent frames
 *   (4 MiB by default) compressed in parallel (./zstd-parallel) → SHA-256 + byte count → S3
 *   multipart upload (@aws-sdk/lib-storage, SSE-KMS, conditional unless `overwrite`, tagged)
 *
 * Memory is bounded by (queueSize + 1) × partSize plus (concurrency + 1) frames and their zstd
 * contexts; nothing touches the disk. The
 * upload's last part (and so CompleteMultipartUpload) is held back until the source reports success
 * (`done`), so a tool that exits non-zero after writing everything never yields an object. On any
 * failure — the source fails, the header is wrong, S3 errors, the deadline passes — the multipart
 * upload is aborted and we check (ListMultipartUploads) that none remains for the key, retrying while
 * the store is unreachable.
 */
import { createHash } from 'node:crypto';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Log } from './log';
import { reasonOf } from './redact';
import { ParallelZstdCompress } from './zstd-parallel';

/** What a dump must start with. */
export interface StreamHeader {
  /** Human name, e.g. "PostgreSQL custom-format dump (PGDMP)". */
  readonly name: string;
  /** Bytes needed to decide. */
  readonly length: number;
  check(head: Buffer): boolean;
}

const startsWith = (name: string, magic: Buffer): StreamHeader => ({
  name,
  length: magic.length,
  check: (head) => head.subarray(0, magic.length).equals(magic),
});

/** Magic numbers of the formats Nightshift stores. */
export const HEADERS = {
  pgCustom: startsWith('PostgreSQL custom-format dump (PGDMP)', Buffer.from('PGDMP', 'latin1')),
  /** pg_dumpall --globals-only output starts with an SQL comment. */
  sqlText: startsWith('SQL script', Buffer.from('--', 'latin1')),
  /** mongodump archive magic number 0x8199e26d, little-endian. */
  mongoArchive: startsWith('mongodump archive (0x8199e26d)', Buffer.from([0x6d, 0xe2, 0x99, 0x81])),
  rdb: startsWith('Redis RDB (REDIS)', Buffer.from('REDIS', 'latin1')),
  /** Log archive parts: one JSON object per line. */
  ndjson: startsWith('NDJSON (a JSON object per line)', Buffer.from('{', 'latin1')),
} as const satisfies Record<string, StreamHeader>;

/** The dump does not start with the expected magic number. */
export class HeaderMismatch extends Error {
  override readonly name = 'HeaderMismatch';
  constructor(
    readonly expected: string,
    readonly got: Buffer,
  ) {
    super(
      got.length === 0
        ? `the dump is empty (expected a ${expected}) — see the tool's log lines above`
        : `the dump does not start like a ${expected} (first bytes: ${got.subarray(0, 8).toString('hex')}) — the tool wrote something else to stdout`,
    );
  }
}

/** The run ran out of time (Lambda deadline) before the upload completed. */
export class DeadlineReached extends Error {
  override readonly name = 'DeadlineReached';
  constructor(what: string) {
    super(
      `${what} did not finish before the deadline — the upload was aborted; raise the target's timeout or use runtime: fargate`,
    );
  }
}

/** Another run already wrote this key (If-None-Match / HeadObject). */
export class ObjectExists extends Error {
  override readonly name = 'ObjectExists';
  constructor(readonly key: string) {
    super(`s3 object ${key} already exists — another run wrote it; nothing was overwritten`);
  }
}

/** The upload failed; `cause` is the first failure, `cleanup` says what happened to the parts. */
export class UploadFailed extends Error {
  override readonly name = 'UploadFailed';
  constructor(
    readonly key: string,
    readonly reason: string,
    readonly cleanup: 'aborted' | 'nothing-started' | 'unverified',
    options: { cause: unknown },
  ) {
    super(
      `upload of ${key} failed: ${reason}${cleanup === 'unverified' ? ' (the multipart upload could not be confirmed aborted — the bucket lifecycle rule removes incomplete uploads after 1 day)' : ''}`,
      options,
    );
  }
}

/** How long an empty dump waits for the tool's own exit before the tool is stopped. */
export const EMPTY_DUMP_GRACE_MS = 2_000;

export interface StreamSource {
  readonly stream: Readable;
  /** Resolves when the producer succeeded (tool exited 0); rejects with why it failed. */
  readonly done: Promise<unknown>;
  /** Stops the producer (kills the tool). */
  stop(): void;
}

export interface StreamUploadOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly header: StreamHeader;
  /** zstd level 1–19. */
  readonly compressionLevel: number;
  /** zstd frames compressed at once. @default defaultZstdConcurrency() (the cores, 2–4) */
  readonly compressionThreads?: number;
  /**
   * Uncompressed bytes per zstd frame. Smaller frames make the compressed count follow the input
   * more closely (the log archive rolls parts on it). @default ZSTD_FRAME_BYTES (4 MiB)
   */
  readonly frameBytes?: number;
  /**
   * Replace an existing object instead of failing with ObjectExists (no HeadObject, no If-None-Match).
   * For writers whose keys are unique per run and whose own checkpoint decides what is complete.
   * @default false
   */
  readonly overwrite?: boolean;
  /** Upper bound of the compressed size, to choose the part size (< 10,000 parts). */
  readonly expectedBytes?: number;
  /**
   * Multipart part size in bytes (S3: ≥ 5 MiB), for writers whose objects are bounded and small
   * (the log archive's parts). @default choosePartSize(expectedBytes)
   */
  readonly partSize?: number;
  /**
   * Input buffered ahead of the compressor. A tool's stdout needs room to drain while frames compress;
   * a producer in the process (StreamWriter) waits on backpressure instead. @default 4 MiB
   */
  readonly inputBufferBytes?: number;
  /** Parts uploaded at once. @default 2 */
  readonly queueSize?: number;
  /** KMS key id/ARN: SSE-KMS when set. */
  readonly kmsKeyId?: string | undefined;
  /** Object tags (sent as x-amz-tagging at creation and applied again after completion). */
  readonly tags?: Readonly<Record<string, string>>;
  readonly objectLock?:
    | { readonly mode: 'GOVERNANCE' | 'COMPLIANCE'; readonly retainUntil: Date }
    | undefined;
  readonly contentType?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  /** Epoch ms by which the upload must be done or aborted. */
  readonly deadline?: number | undefined;
  /** How long to keep retrying the abort when the store is unreachable. @default 30_000 */
  readonly abortRetryMs?: number;
  readonly log: Log;
  readonly now?: () => number;
  /** Called as bytes flow (at most every 64 KiB of input). */
  readonly onProgress?: (progress: { bytesIn: number; bytesOut: number }) => void;
  /** Receives the compressor, for producers that follow its progress (StreamWriter). */
  readonly onCompressor?: (zstd: ParallelZstdCompress) => void;
}

export interface StreamUploadResult {
  readonly key: string;
  /** Bytes read from the source (uncompressed). */
  readonly bytesIn: number;
  /** Bytes stored (compressed). */
  readonly bytesOut: number;
  /** SHA-256 (hex) of the stored object. */
  readonly sha256: string;
  readonly parts: number;
  readonly partSize: number;
  readonly durationMs: number;
}

const MiB = 1024 * 1024;
const MAX_PARTS = 10_000;

/** Part size for an expected size: ≥ 8 MiB, whole MiB, and room for twice the estimate in 9,000 parts. */
export function choosePartSize(expectedBytes: number | undefined): number {
  const wanted = Math.ceil(((expectedBytes ?? 0) * 2) / (MAX_PARTS - 1_000));
  return Math.max(8 * MiB, Math.ceil(wanted / MiB) * MiB);
}

/**
 * The compressor every dump goes through: independent zstd frames (4 MiB of input each, with a
 * content checksum) compressed on several libuv threads and emitted in order — a plain multi-frame
 * zstd stream for `zstd -d` and zlib.createZstdDecompress. See ./zstd-parallel for why not
 * ZSTD_c_nbWorkers.
 */
export function zstdCompressor(
  level: number,
  concurrency?: number,
  frameBytes?: number,
): ParallelZstdCompress {
  return new ParallelZstdCompress({
    level,
    ...(concurrency === undefined ? {} : { concurrency }),
    ...(frameBytes === undefined ? {} : { frameBytes }),
  });
}

/**
 * Checks the first bytes and counts; passes the source's reads on as they are (the compressor cuts
 * frames). Its 4 MiB write buffer keeps draining the tool's pipe while the frames compress.
 */
class HeaderCheck extends Transform {
  bytes = 0;
  private checked = false;
  private head: Buffer[] = [];
  private headLength = 0;
  constructor(
    private readonly header: StreamHeader,
    private readonly onBytes: (bytes: number) => void,
    inputBufferBytes: number,
  ) {
    super({ writableHighWaterMark: inputBufferBytes });
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.onBytes(this.bytes);
    if (this.checked) {
      callback(null, chunk);
      return;
    }
    this.head.push(chunk);
    this.headLength += chunk.length;
    if (this.headLength < this.header.length) {
      callback();
      return;
    }
    const head = Buffer.concat(this.head, this.headLength);
    this.head = [];
    if (!this.header.check(head)) {
      callback(new HeaderMismatch(this.header.name, head));
      return;
    }
    this.checked = true;
    callback(null, head);
  }
  override _flush(callback: TransformCallback): void {
    callback(this.checked ? null : new HeaderMismatch(this.header.name, Buffer.concat(this.head)));
  }
}

/** Hashes and counts what passes; holds the end of the stream until `gate` resolves. */
class HashGate extends Transform {
  bytes = 0;
  readonly hash = createHash('sha256');
  constructor(private readonly gate: Promise<unknown>) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }
  override _flush(callback: TransformCallback): void {
    this.gate.then(
      () => callback(),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  }
}

export async function streamUpload(
  source: StreamSource,
  options: StreamUploadOptions,
): Promise<StreamUploadResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const { s3, bucket, key, log } = options;
  const partSize = options.partSize ?? choosePartSize(options.expectedBytes);

  // Stores that ignore If-None-Match on writes (s3rver) still must not be overwritten by a second run.
  if (!options.overwrite && (await objectExists(s3, bucket, key))) {
    source.stop();
    throw new ObjectExists(key);
  }

  let failure: unknown;
  let lastProgress = 0;
  const check = new HeaderCheck(
    options.header,
    (bytes) => {
      if (options.onProgress && bytes - lastProgress >= 64 * 1024) {
        lastProgress = bytes;
        options.onProgress({ bytesIn: bytes, bytesOut: tap.bytes });
      }
    },
    options.inputBufferBytes ?? 4 * MiB,
  );
  const zstd = zstdCompressor(options.compressionLevel, options.compressionThreads, options.frameBytes);
  options.onCompressor?.(zstd);
  const tap = new HashGate(source.done);
  const tags = Object.entries(options.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
  const upload = new Upload({
    client: s3,
    queueSize: options.queueSize ?? 2,
    partSize,
    leavePartsOnError: false,
    tags,
    params: {
      Bucket: bucket,
      Key: key,
      Body: tap,
      ContentType: options.contentType ?? 'application/zstd',
      ...(options.overwrite ? {} : { IfNoneMatch: '*' }),
      ...(tags.length ? { Tagging: new URLSearchParams(options.tags).toString() } : {}),
      ...(options.kmsKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: options.kmsKeyId } : {}),
      ...(options.objectLock
        ? {
            ObjectLockMode: options.objectLock.mode,
            ObjectLockRetainUntilDate: options.objectLock.retainUntil,
          }
        : {}),
      ...(options.metadata ? { Metadata: { ...options.metadata } } : {}),
    },
  });
  let parts = 0;
  upload.on('httpUploadProgress', (progress) => {
    parts = Math.max(parts, progress.part ?? 0);
  });

  let bodyEnded = false;
  // An empty dump almost always means the tool failed (no connection, no permission): it closed its stdout
  // and is exiting on its own. It is given a moment to do so, and its exit status becomes the reason.
  let emptyDump = false;
  let stoppedByUs = false;
  let emptyGrace: NodeJS.Timeout | undefined;
  let sourceError: unknown;
  source.done.catch((error: unknown) => {
    sourceError = error;
  });
  const stopSource = () => {
    stoppedByUs = true;
    source.stop();
  };
  const fail = (error: unknown) => {
    if (failure !== undefined) return;
    // The deadline only matters while data still flows: once the body has ended, let the completion finish.
    if (error instanceof DeadlineReached && bodyEnded) return;
    failure = error;
    emptyDump = error instanceof HeaderMismatch && error.got.length === 0;
    if (emptyDump) emptyGrace = setTimeout(stopSource, EMPTY_DUMP_GRACE_MS);
    else stopSource();
    if (!tap.destroyed) tap.destroy(error instanceof Error ? error : new Error(String(error)));
    void upload.abort();
  };
  tap.once('end', () => {
    bodyEnded = true;
  });

  let timer: NodeJS.Timeout | undefined;
  if (options.deadline !== undefined) {
    timer = setTimeout(
      () => fail(new DeadlineReached(`the upload of ${key}`)),
      Math.max(0, options.deadline - now()),
    );
  }
  const piping = pipeline(source.stream, check, zstd, tap).catch(fail);
  source.done.catch(fail);
  let uploaded = false;
  const uploading = upload.done().then(
    () => {
      uploaded = true;
    },
    (error: unknown) => fail(conditionalFailure(error, key) ?? error),
  );
  try {
    await Promise.all([piping, uploading, source.done.catch(() => {})]);
  } finally {
    if (timer) clearTimeout(timer);
    if (emptyGrace) clearTimeout(emptyGrace);
  }

  if (failure === undefined && uploaded) {
    return {
      key,
      bytesIn: check.bytes,
      bytesOut: tap.bytes,
      sha256: tap.hash.digest('hex'),
      parts: Math.max(parts, 1),
      partSize,
      durationMs: now() - started,
    };
  }
  const cause =
    emptyDump && sourceError !== undefined && !stoppedByUs
      ? sourceError
      : (failure ?? new Error('the upload ended without completing'));
  const cleanup = await abortOpenUploads(s3, bucket, key, log, {
    until: Math.min(now() + (options.abortRetryMs ?? 30_000), options.deadline ?? Number.POSITIVE_INFINITY),
    now,
  });
  throw new UploadFailed(key, reasonOf(cause), cleanup, { cause });
}

function conditionalFailure(error: unknown, key: string): Error | undefined {
  const name = (error as { name?: string }).name;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (name === 'PreconditionFailed' || status === 412) return new ObjectExists(key);
  return undefined;
}

async function objectExists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404 || (error as { name?: string }).name === 'NotFound') return false;
    throw error;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Aborts every open multipart upload of `key` and checks that none remains, retrying (with backoff)
 * while the store is unreachable, until `until`. Returns how it ended.
 */
export async function abortOpenUploads(
  s3: S3Client,
  bucket: string,
  key: string,
  log: Log,
  options: { until: number; now?: () => number },
): Promise<'aborted' | 'nothing-started' | 'unverified'> {
  const now = options.now ?? Date.now;
  let delay = 250;
  let abortedAny = false;
  for (let attempt = 1; ; attempt++) {
    try {
      const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
      const open = (listed.Uploads ?? []).filter((u) => u.Key === key && u.UploadId);
      if (open.length === 0) {
        if (abortedAny || attempt > 1) log.info('no multipart upload remains', { key });
        return abortedAny ? 'aborted' : 'nothing-started';
      }
      for (const upload of open) {
        await s3.send(
          new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: upload.UploadId }),
        );
        abortedAny = true;
        log.info('aborted multipart upload', { key, uploadId: upload.UploadId });
      }
      // loop: list again to confirm (parts in flight can recreate state; S3 asks to re-abort then)
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'NotImplemented' || name === 'MethodNotAllowed') {
        log.warn(
          'this S3-compatible store cannot list or abort multipart uploads; leftover parts are removed by its own cleanup',
          { key, reason: reasonOf(error) },
        );
        return 'unverified';
      }
      if (now() + delay > options.until) {
        log.error('could not confirm the multipart upload was aborted', { key, reason: reasonOf(error) });
        return 'unverified';
      }
      log.warn(`abort of multipart upload failed (attempt ${attempt}); retrying`, {
        key,
        reason: reasonOf(error),
        retryInMs: delay,
      });
      await sleep(delay);
      delay = Math.min(delay * 2, 4_000);
    }
  }
}
