/**
 * One archive object: NDJSON lines → zstd → sha256 + byte count → S3 multipart upload
 * (@aws-sdk/lib-storage). Memory is bounded by the upload's queueSize × partSize plus stream
 * buffers, whatever the object's size; nothing touches the disk.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, Transform } from 'node:stream';
import { constants, createZstdCompress, type ZstdCompress } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

export interface PartWriterOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly key: string;
  /** zstd level. @default 3 */
  readonly level?: number;
  /** Multipart part size in bytes. @default 5 MiB (the S3 minimum) */
  readonly uploadPartSize?: number;
  /** Parts uploaded in parallel. @default 2 */
  readonly queueSize?: number;
}

export interface WrittenPart {
  readonly key: string;
  /** compressed bytes */
  readonly bytes: number;
  readonly uncompressedBytes: number;
  /** sha256 of the object's bytes, hex */
  readonly sha256: string;
}

export class PartUploadError extends Error {
  constructor(key: string, cause: unknown) {
    super(
      `writing s3 object ${key} failed: ${cause instanceof Error ? cause.message : String(cause)} — check the bucket, its KMS key and the job's s3:PutObject permission on logs/*`,
      { cause },
    );
    this.name = 'PartUploadError';
  }
}

export class PartWriter {
  private readonly compressor: ZstdCompress;
  private readonly hash = createHash('sha256');
  private readonly upload: Upload;
  private readonly done: Promise<unknown>;
  private failure: unknown;
  private compressed = 0;
  private raw = 0;

  constructor(private readonly options: PartWriterOptions) {
    this.compressor = createZstdCompress({
      params: { [constants.ZSTD_c_compressionLevel]: options.level ?? 3 },
    });
    const counter = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        this.hash.update(chunk);
        this.compressed += chunk.length;
        callback(null, chunk);
      },
    });
    const body = new PassThrough();
    this.compressor.pipe(counter).pipe(body);
    this.compressor.on('error', (error) => this.fail(error));
    this.upload = new Upload({
      client: options.s3,
      params: {
        Bucket: options.bucket,
        Key: options.key,
        Body: body,
        ContentType: 'application/zstd',
      },
      partSize: options.uploadPartSize ?? 5 * 1024 * 1024,
      queueSize: options.queueSize ?? 2,
      leavePartsOnError: false,
    });
    this.done = this.upload.done();
    this.done.catch((error: unknown) => this.fail(error));
  }

  private fail(error: unknown): void {
    this.failure ??= error;
  }

  /** Compressed bytes produced so far (lags the input by zstd's internal buffer). */
  get compressedBytes(): number {
    return this.compressed;
  }

  get uncompressedBytes(): number {
    return this.raw;
  }

  /** Writes text; resolves once the compressor accepts more (backpressure). */
  async write(text: string): Promise<void> {
    if (this.failure) throw new PartUploadError(this.options.key, this.failure);
    const buffer = Buffer.from(text, 'utf8');
    this.raw += buffer.length;
    if (!this.compressor.write(buffer)) {
      await Promise.race([once(this.compressor, 'drain'), this.done]);
      if (this.failure) throw new PartUploadError(this.options.key, this.failure);
    }
  }

  /** Ends the object and waits until S3 has it. */
  async finish(): Promise<WrittenPart> {
    this.compressor.end();
    try {
      await this.done;
    } catch (error) {
      throw new PartUploadError(this.options.key, error);
    }
    if (this.failure) throw new PartUploadError(this.options.key, this.failure);
    return {
      key: this.options.key,
      bytes: this.compressed,
      uncompressedBytes: this.raw,
      sha256: this.hash.digest('hex'),
    };
  }

  /** Drops the object: the multipart upload is aborted and nothing is written. */
  async abort(): Promise<void> {
    this.compressor.destroy();
    try {
      await this.upload.abort();
    } catch {
      // some S3-compatible stores do not implement AbortMultipartUpload; an unfinished upload is invisible
    }
    await this.done.catch(() => {});
  }
}
