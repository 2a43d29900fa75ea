/**
 * Parallel zstd frames: the multi-frame output must read back byte-identically with what restore uses
 * (node:zlib createZstdDecompress) and with the zstd CLI, around frame boundaries, with errors and
 * under backpressure.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ParallelZstdCompress, ZstdOptionsInvalid } from '../../../lambdas/shared/zstd-parallel';

const FRAME = 64 * 1024;
const hasZstdCli = spawnSync('zstd', ['--version']).status === 0;
const work = mkdtempSync(join(tmpdir(), 'nightshift-zstd-parallel-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Text-like data zstd compresses well, but not trivially (no two frames alike). */
function compressible(size: number): Buffer {
  const out = Buffer.alloc(size);
  let offset = 0;
  for (let i = 0; offset < size; i++) {
    offset += out.write(
      `${i},user-${(i * 2654435761) % 9973},event ${i % 97},${'x'.repeat(i % 40)}\n`,
      offset,
    );
  }
  return out;
}

/** Feeds `data` in pieces of `piece` bytes (not aligned to frames). */
function source(data: Buffer, piece = 10_000): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= data.length) {
        this.push(null);
        return;
      }
      this.push(data.subarray(offset, offset + piece));
      offset += piece;
    },
  });
}

async function collect(readable: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of readable) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function compress(data: Buffer, options: { level?: number; concurrency?: number } = {}) {
  const compressor = new ParallelZstdCompress({ level: options.level ?? 3, frameBytes: FRAME, ...options });
  const [output] = await Promise.all([collect(compressor), pipeline(source(data), compressor)]);
  return { output, compressor };
}

const zlibDecompress = (compressed: Buffer) =>
  collect(Readable.from([compressed]).pipe(zlib.createZstdDecompress()));

function cliDecompress(compressed: Buffer): Promise<Buffer> {
  const child = spawn('zstd', ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin.end(compressed);
  const out = collect(child.stdout);
  return new Promise((resolve, reject) => {
    child.once('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`zstd -d exited ${code}: ${stderr}`)),
    );
  });
}

/** `zstd -lv` on the output: number of frames and the checksum kind of all of them. */
function cliList(compressed: Buffer): { frames: number; check: string } {
  const file = join(work, `list-${compressed.length}.zst`);
  writeFileSync(file, compressed);
  const listed = spawnSync('zstd', ['-lv', file], { encoding: 'utf8' });
  return {
    frames: Number(/# Zstandard Frames: (\d+)/.exec(listed.stdout)?.[1]),
    check: /Check: (\S+)/.exec(listed.stdout)?.[1] ?? '',
  };
}

describe('ParallelZstdCompress round trip', () => {
  const sizes = [0, 1, FRAME - 1, FRAME, FRAME + 1, 13 * FRAME + 7];
  for (const [kind, make] of [
    ['random', randomBytes],
    ['compressible', compressible],
  ] as const) {
    for (const size of sizes) {
      it(`${kind} ${size} bytes: one frame per ${FRAME} bytes, read back by node:zlib`, async () => {
        const data = make(size);
        const { output, compressor } = await compress(data);
        expect(compressor.frames).toBe(Math.max(1, Math.ceil(size / FRAME)));
        expect((await zlibDecompress(output)).equals(data)).toBe(true);
      });
      it.skipIf(!hasZstdCli)(`${kind} ${size} bytes: read back by zstd -d (needs the zstd CLI)`, async () => {
        const data = make(size);
        const { output } = await compress(data);
        expect((await cliDecompress(output)).equals(data)).toBe(true);
        expect(cliList(output)).toEqual({ frames: Math.max(1, Math.ceil(size / FRAME)), check: 'XXH64' });
      });
    }
  }

  it('compresses several frames at once and still emits them in order', async () => {
    const data = randomBytes(10 * FRAME + 123);
    const compressor = new ParallelZstdCompress({ level: 1, frameBytes: FRAME, concurrency: 3 });
    const collected = collect(compressor);
    compressor.end(data); // one write holding ten frames: three start at once
    const output = await collected;
    expect(compressor.peakInFlight).toBe(3);
    expect(compressor.frames).toBe(11);
    expect((await zlibDecompress(output)).equals(data)).toBe(true);
  });

  it('compresses text smaller at a higher level, both readable', async () => {
    const data = compressible(8 * FRAME);
    const fast = await compress(data, { level: 1 });
    const small = await compress(data, { level: 9 });
    expect(small.output.length).toBeLessThan(fast.output.length);
    expect(fast.output.length).toBeLessThan(data.length / 3);
    expect((await zlibDecompress(small.output)).equals(data)).toBe(true);
  });

  it('puts a content checksum in every frame: a flipped byte in a later frame fails decompression', async () => {
    // random data is stored in raw blocks: only the XXH64 content checksum can notice the change
    const data = randomBytes(3 * FRAME);
    const { output } = await compress(data);
    const damaged = Buffer.from(output);
    const inThirdFrame = output.length - 1000;
    damaged[inThirdFrame] = (damaged[inThirdFrame] as number) ^ 0xff;
    await expect(zlibDecompress(damaged)).rejects.toThrow(/checksum|corrupt/i);
  });
});

describe('ParallelZstdCompress failures', () => {
  it('rejects levels and sizes that cannot work', () => {
    expect(() => new ParallelZstdCompress({ level: 0 })).toThrow(ZstdOptionsInvalid);
    expect(() => new ParallelZstdCompress({ level: 20 })).toThrow(/1 to 19/);
    expect(() => new ParallelZstdCompress({ level: 3, frameBytes: 0 })).toThrow(ZstdOptionsInvalid);
    expect(() => new ParallelZstdCompress({ level: 3, concurrency: 0 })).toThrow(/concurrency/);
  });

  it('passes an error of the source on, with frames still compressing, and stops', async () => {
    let sent = 0;
    const failing = new Readable({
      read() {
        if (sent >= 5 * FRAME) {
          this.destroy(new Error('pg_dump exited 1'));
          return;
        }
        sent += FRAME;
        this.push(randomBytes(FRAME));
      },
    });
    const compressor = new ParallelZstdCompress({ level: 3, frameBytes: FRAME, concurrency: 2 });
    const errors: string[] = [];
    compressor.on('error', (error) => errors.push(error.message));
    const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    await expect(pipeline(failing, compressor, sink)).rejects.toThrow('pg_dump exited 1');
    expect(compressor.destroyed).toBe(true);
    expect(compressor.inFlight).toBe(0);
    // the frames that were compressing finish on the threadpool and are dropped: no second error
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(errors).toEqual(['pg_dump exited 1']);
  });

  it('stops when the consumer fails', async () => {
    const compressor = new ParallelZstdCompress({ level: 3, frameBytes: FRAME, concurrency: 2 });
    let written = 0;
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        written += chunk.length;
        callback(written > 2 * FRAME ? new Error('S3 said no') : null);
      },
    });
    await expect(pipeline(source(randomBytes(20 * FRAME)), compressor, sink)).rejects.toThrow('S3 said no');
    expect(compressor.destroyed).toBe(true);
    expect(compressor.frames).toBeLessThan(20);
  });
});

describe('ParallelZstdCompress backpressure', () => {
  it('a stalled consumer stops the producer: input taken stays within a few frames', async () => {
    const total = 100 * FRAME;
    const data = randomBytes(total);
    let produced = 0;
    let offset = 0;
    const producer = new Readable({
      highWaterMark: 16 * 1024,
      read() {
        const piece = data.subarray(offset, offset + 16 * 1024);
        offset += piece.length;
        produced += piece.length;
        this.push(piece.length > 0 ? piece : null);
      },
    });
    const concurrency = 2;
    const compressor = new ParallelZstdCompress({ level: 1, frameBytes: FRAME, concurrency });
    const received: Buffer[] = [];
    let release: (() => void) | undefined;
    const stalled = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, callback) {
        received.push(chunk);
        if (received.length === 1)
          release = callback; // hold the first frame: the consumer is stuck
        else callback();
      },
    });
    const done = pipeline(producer, compressor, stalled);

    // wait until nothing moves any more (the compressor has filled what it may hold)
    let last = -1;
    let peakInFlight = 0;
    while (produced !== last) {
      last = produced;
      for (let i = 0; i < 20; i++) {
        peakInFlight = Math.max(peakInFlight, compressor.inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    expect(release).toBeDefined();
    // in flight ≤ concurrency; one partial frame; the emitted (incompressible) frames up to the
    // readable high-water mark; the stream buffers on either side
    const bound =
      (concurrency + 3) * FRAME +
      compressor.readableHighWaterMark +
      compressor.writableHighWaterMark +
      producer.readableHighWaterMark;
    expect(produced).toBeLessThanOrEqual(bound);
    expect(produced).toBeLessThan(total / 10);
    expect(peakInFlight).toBeLessThanOrEqual(concurrency);
    expect(compressor.peakInFlight).toBeLessThanOrEqual(concurrency);

    release?.();
    await done;
    expect(produced).toBe(total);
    expect((await zlibDecompress(Buffer.concat(received))).equals(data)).toBe(true);
  });
});
