/**
 * Parallel zstd: a Transform that cuts its input into fixed-size chunks and compresses each one as
 * its own zstd frame with the asynchronous `zlib.zstdCompress` (which runs on the libuv threadpool),
 * so several chunks compress on several cores while the main thread keeps reading, hashing and
 * uploading. Frames are emitted strictly in input order; concatenated frames are a valid zstd stream
 * (RFC 8878 §3.1), read back by `zlib.createZstdDecompress` and `zstd -d` like a single frame.
 *
 * After each emitted frame the stream emits 'frame' (`inputEmitted`/`outputEmitted` are then
 * up to date): a producer that must know the compressed size of what it wrote waits on it.
 *
 * Memory is bounded: at most `concurrency` chunks are being compressed, at most one partial chunk is
 * being filled, and the write callback is held until every full chunk has started — a slow consumer
 * therefore stops the producer instead of growing a buffer.
 *
 * Why not zstd's own workers (ZSTD_c_nbWorkers)? Node 24's streaming zstd pushes after EOF when zstd
 * runs its own threads (ERR_STREAM_PUSH_AFTER_EOF). Independent frames also cost almost nothing in
 * ratio at 4 MiB (level 1–3 windows are 0.5–2 MiB).
 */
import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';

const MiB = 1024 * 1024;

/** Default uncompressed bytes per frame. */
export const ZSTD_FRAME_BYTES = 4 * MiB;

/** Frames compressed at once by default: the cores, at least 2, at most 4 (libuv's default pool). */
export function defaultZstdConcurrency(): number {
  return Math.min(4, Math.max(2, availableParallelism()));
}

export interface ParallelZstdOptions {
  /** zstd level 1–19. */
  readonly level: number;
  /** Uncompressed bytes per frame. @default ZSTD_FRAME_BYTES (4 MiB) */
  readonly frameBytes?: number;
  /** Frames compressed at once. @default defaultZstdConcurrency() */
  readonly concurrency?: number;
}

interface Job {
  readonly inputLength: number;
  output?: Buffer;
  /** The pooled buffer holding the frame's input, returned to the pool when the frame is done. */
  input?: Buffer;
}

/** Thrown by the constructor for options that cannot work. */
export class ZstdOptionsInvalid extends Error {
  override readonly name = 'ZstdOptionsInvalid';
}

export class ParallelZstdCompress extends Transform {
  /** Uncompressed bytes per frame. */
  readonly frameBytes: number;
  /** Frames compressed at once, at most. */
  readonly concurrency: number;
  /** Frames started so far. */
  frames = 0;
  /** The most frames that were in flight (compressing or compressed but not yet emitted) at once. */
  peakInFlight = 0;
  /** Input bytes of the frames emitted so far. */
  inputEmitted = 0;
  /** Compressed bytes emitted so far. */
  outputEmitted = 0;

  private readonly zlibOptions: zlib.ZstdOptions;
  private readonly queue: Job[] = [];
  private pending: Buffer[] = [];
  /**
   * Frame-sized input buffers, reused: copying the small reads into them instead of concatenating
   * keeps Buffer allocations (which V8 counts as external memory, and answers with full GCs) down.
   */
  private readonly pool: Buffer[] = [];
  private pendingBytes = 0;
  private flushing = false;
  private transformCallback: TransformCallback | undefined;
  private flushCallback: TransformCallback | undefined;

  constructor(options: ParallelZstdOptions) {
    super();
    const { level } = options;
    this.frameBytes = options.frameBytes ?? ZSTD_FRAME_BYTES;
    this.concurrency = options.concurrency ?? defaultZstdConcurrency();
    if (!Number.isInteger(level) || level < 1 || level > 19)
      throw new ZstdOptionsInvalid(`zstd level must be an integer from 1 to 19 (got ${level})`);
    if (!Number.isInteger(this.frameBytes) || this.frameBytes < 1)
      throw new ZstdOptionsInvalid(`frameBytes must be a positive integer (got ${this.frameBytes})`);
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1)
      throw new ZstdOptionsInvalid(`concurrency must be a positive integer (got ${this.concurrency})`);
    const c = zlib.constants;
    this.zlibOptions = {
      // one threadpool round trip per 512 KiB of output instead of per 16 KiB
      chunkSize: Math.min(512 * 1024, Math.max(64 * 1024, this.frameBytes)),
      params: {
        [c.ZSTD_c_compressionLevel]: level,
        // every frame carries an XXH64 of its content: decompression detects corruption itself
        [c.ZSTD_c_checksumFlag]: 1,
      },
    };
  }

  /** Frames being compressed or waiting to be emitted. */
  get inFlight(): number {
    return this.queue.length;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (chunk.length > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    this.transformCallback = callback;
    this.pump();
  }

  override _flush(callback: TransformCallback): void {
    this.flushing = true;
    this.flushCallback = callback;
    this.pump();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // results of frames still compressing are dropped (their callbacks see `destroyed`)
    this.queue.length = 0;
    this.pool.length = 0;
    this.pending = [];
    this.pendingBytes = 0;
    this.transformCallback = undefined;
    this.flushCallback = undefined;
    callback(error);
  }

  /** Emits finished frames in order, starts frames while there is room, releases held callbacks. */
  private pump(): void {
    if (this.destroyed) return;
    for (let head = this.queue[0]; head?.output; head = this.queue[0]) {
      this.queue.shift();
      if (head.input) this.pool.push(head.input);
      this.inputEmitted += head.inputLength;
      this.outputEmitted += head.output.length;
      this.push(head.output);
      this.emit('frame');
    }
    while (this.queue.length < this.concurrency) {
      if (this.pendingBytes >= this.frameBytes) this.start(this.takePending(this.frameBytes));
      // the last, partial frame; an empty input still yields one (empty) frame: a valid zstd stream
      else if (this.flushing && (this.pendingBytes > 0 || this.frames === 0))
        this.start(this.takePending(this.pendingBytes));
      else break;
    }
    if (this.flushing) {
      if (this.queue.length === 0 && this.pendingBytes === 0 && this.flushCallback) {
        const callback = this.flushCallback;
        this.flushCallback = undefined;
        callback();
      }
      return;
    }
    // accept more input once every full chunk has started (at most one partial chunk waits)
    if (this.pendingBytes < this.frameBytes && this.transformCallback) {
      const callback = this.transformCallback;
      this.transformCallback = undefined;
      callback();
    }
  }

  /**
   * Removes exactly `bytes` from the front of the pending input: a slice of one write when it holds
   * them all, else a copy into a pooled frame buffer (returned as `pooled`).
   */
  private takePending(bytes: number): { input: Buffer; pooled?: Buffer } {
    const first = this.pending[0];
    if (first === undefined || first.length >= bytes) {
      const input = first === undefined ? Buffer.alloc(0) : first.subarray(0, bytes);
      if (first !== undefined && first.length === bytes) this.pending.shift();
      else if (first !== undefined) this.pending[0] = first.subarray(bytes);
      this.pendingBytes -= bytes;
      return { input };
    }
    const pooled = this.pool.pop() ?? Buffer.allocUnsafeSlow(this.frameBytes);
    let filled = 0;
    while (filled < bytes) {
      const part = this.pending[0] as Buffer;
      const n = Math.min(part.length, bytes - filled);
      part.copy(pooled, filled, 0, n);
      filled += n;
      if (n === part.length) this.pending.shift();
      else this.pending[0] = part.subarray(n);
    }
    this.pendingBytes -= bytes;
    return { input: pooled.subarray(0, bytes), pooled };
  }

  private start({ input, pooled }: { input: Buffer; pooled?: Buffer }): void {
    const job: Job = pooled ? { inputLength: input.length, input: pooled } : { inputLength: input.length };
    this.queue.push(job);
    this.frames++;
    this.peakInFlight = Math.max(this.peakInFlight, this.queue.length);
    // the size is known: zstd sizes its tables to it and records it in the frame header
    zlib.zstdCompress(input, { ...this.zlibOptions, pledgedSrcSize: input.length }, (error, output) => {
      if (this.destroyed) return;
      if (error) {
        this.destroy(error);
        return;
      }
      job.output = output;
      this.pump();
    });
  }
}
