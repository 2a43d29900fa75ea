/**
 * A push-style front for ./stream-upload, for producers that generate their data in the process (the
 * log archive writes NDJSON lines as it reads pages) instead of reading a tool's stdout:
 *
 *   const writer = new StreamWriter({ ...streamUploadOptions });
 *   await writer.write(lines);          // resolves when the pipeline accepts more (backpressure)
 *   const stored = await writer.finish(); // the object exists once this resolves
 *   // or: await writer.abort();         // nothing is stored; the multipart upload is aborted and checked
 *
 * Everything else is stream-upload's: parallel zstd frames, SHA-256, multipart upload whose last part
 * is held back until `finish`, abort-and-verify on any failure.
 */
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { type StreamUploadOptions, type StreamUploadResult, streamUpload } from './stream-upload';
import type { ParallelZstdCompress } from './zstd-parallel';

/** The producer gave up (StreamWriter.abort): the reason the upload was aborted. */
export class WriterAborted extends Error {
  override readonly name = 'WriterAborted';
  constructor(key: string) {
    super(`writing ${key} was abandoned by its producer`);
  }
}

/** Input buffered between write() and the compressor (the producer waits beyond it). */
const BUFFER_BYTES = 64 * 1024;

export class StreamWriter {
  private readonly body = new PassThrough({ highWaterMark: BUFFER_BYTES });
  private readonly result: Promise<StreamUploadResult>;
  /** Settles with the result, never rejects: for waiting on it beside 'drain'. */
  private readonly settled: Promise<unknown>;
  private readonly succeed: () => void;
  private readonly give: (reason: Error) => void;
  private failure: unknown;
  private bytesIn = 0;
  private zstd: ParallelZstdCompress | undefined;

  constructor(private readonly options: Omit<StreamUploadOptions, 'onCompressor'>) {
    let succeed!: () => void;
    let give!: (reason: Error) => void;
    const done = new Promise<void>((resolve, reject) => {
      succeed = resolve;
      give = reject;
    });
    done.catch(() => {});
    this.succeed = succeed;
    this.give = give;
    this.result = streamUpload(
      {
        stream: this.body,
        done,
        stop: () => {
          give(new WriterAborted(options.key));
          this.body.destroy();
        },
      },
      {
        inputBufferBytes: BUFFER_BYTES,
        ...options,
        onCompressor: (zstd) => {
          this.zstd = zstd;
        },
      },
    );
    this.settled = this.result.then(
      () => undefined,
      (error: unknown) => {
        this.failure ??= error;
      },
    );
  }

  /** Compressed bytes produced so far (lags the input by the frames being compressed). */
  get compressedBytes(): number {
    return this.zstd?.outputEmitted ?? 0;
  }

  /**
   * What the compressed size would be if everything written so far were compressed: the bytes
   * produced plus the input not yet compressed at the ratio seen so far (1 before the first frame).
   */
  get estimatedBytes(): number {
    const zstd = this.zstd;
    if (!zstd) return this.bytesIn;
    const ratio = zstd.inputEmitted > 0 ? zstd.outputEmitted / zstd.inputEmitted : 1;
    return zstd.outputEmitted + (this.bytesIn - zstd.inputEmitted) * ratio;
  }

  /**
   * Waits until every full frame of what was written has been compressed, so that `compressedBytes`
   * counts all of it but the last partial frame (< frameBytes of input).
   */
  async settle(): Promise<void> {
    const zstd = this.zstd;
    if (!zstd) return;
    const full = Math.floor(this.bytesIn / zstd.frameBytes) * zstd.frameBytes;
    while (zstd.inputEmitted < full && this.failure === undefined) {
      await Promise.race([once(zstd, 'frame'), this.settled]);
    }
    if (this.failure !== undefined) throw this.failure;
  }

  /** Bytes written so far (uncompressed). */
  get uncompressedBytes(): number {
    return this.bytesIn;
  }

  /** Writes text or bytes; resolves once the pipeline accepts more. Throws the upload's failure. */
  async write(data: string | Buffer): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    const buffer = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.bytesIn += buffer.length;
    if (!this.body.write(buffer)) {
      await Promise.race([once(this.body, 'drain'), this.settled]);
      if (this.failure !== undefined) throw this.failure;
    }
  }

  /** Ends the object and waits until the store has it complete. */
  async finish(): Promise<StreamUploadResult> {
    this.body.end();
    this.succeed();
    return await this.result;
  }

  /** Drops the object: the multipart upload is aborted (and checked) and nothing is stored. */
  async abort(): Promise<void> {
    this.give(new WriterAborted(this.options.key));
    this.body.destroy();
    await this.settled;
  }
}
