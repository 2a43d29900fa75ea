/**
 * The per-GB CPU floors of what a backup must do in any process, measured on a file (a dump):
 * zstd at a level in 4 MiB frames (as lambdas/shared/zstd-parallel.ts, one thread), SHA-256 and CRC32
 * over the compressed bytes, and one memcpy of the input. Prints CPU-seconds per GB of input.
 * Usage: npx tsx bench/support/floors.ts <file> [level]   (docs/backup.md "Performance")
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import zlib from 'node:zlib';

const [file, levelArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: floors.ts <file> [level]');
  process.exit(2);
}
const level = Number(levelArg ?? 1);
const input = readFileSync(file);
const GB = 1024 ** 3;
const FRAME = 4 * 1024 * 1024;
const perGb = (cpuMicros: number) => ((cpuMicros / 1e6) * GB) / input.length;
function cpu<T>(what: string, f: () => T): T {
  const start = process.cpuUsage();
  const out = f();
  const used = process.cpuUsage(start);
  console.log(`${what.padEnd(44)} ${perGb(used.user + used.system).toFixed(2)} CPU-s per GB of input`);
  return out;
}
const c = zlib.constants;
const frames = cpu(`zstd -${level}, 4 MiB frames, checksummed`, () => {
  const out: Buffer[] = [];
  for (let at = 0; at < input.length; at += FRAME) {
    const chunk = input.subarray(at, Math.min(input.length, at + FRAME));
    out.push(
      zlib.zstdCompressSync(chunk, {
        params: { [c.ZSTD_c_compressionLevel]: level, [c.ZSTD_c_checksumFlag]: 1 },
        pledgedSrcSize: chunk.length,
      }),
    );
  }
  return out;
});
const compressed = Buffer.concat(frames);
console.log(
  `(input ${(input.length / 1024 ** 2).toFixed(0)} MiB → ${(compressed.length / 1024 ** 2).toFixed(0)} MiB)`,
);
cpu('SHA-256 of the compressed bytes (manifest)', () => createHash('sha256').update(compressed).digest());
cpu('SHA-256 again (SigV4 payload hash, per part)', () => createHash('sha256').update(compressed).digest());
cpu('CRC32 of the compressed bytes (S3 part checksum)', () => zlib.crc32(compressed));
cpu('one memcpy of the input', () => {
  const target = Buffer.allocUnsafeSlow(FRAME);
  for (let at = 0; at < input.length; at += FRAME)
    input.copy(target, 0, at, Math.min(input.length, at + FRAME));
});
