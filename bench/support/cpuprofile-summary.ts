/**
 * Summarizes a V8 .cpuprofile (node --cpu-prof) by where the main thread's time went: self time per
 * category (GC, idle, hashing, zstd calls, streams, the AWS SDK, …) and the top functions.
 * Usage: npx tsx bench/support/cpuprofile-summary.ts <file.cpuprofile> [top]
 * (Only the main thread: zstd frames compress on libuv threads and V8 marks concurrently on its own
 * workers — `perf record -g` sees those; see docs/backup.md "Performance".)
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: cpuprofile-summary.ts <file.cpuprofile> [top]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
};
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => {
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
});
const total = [...self.values()].reduce((a, b) => a + b, 0);

function category(n: Node): string {
  const { functionName: f, url } = n.callFrame;
  if (f === '(garbage collector)') return 'GC (main thread part)';
  if (f === '(idle)') return 'idle (waiting: pipe, threadpool, network)';
  if (f === '(program)') return 'native, outside JS (libuv, syscalls, V8 runtime)';
  if (/hash|digest|sha256|getPayloadHash/i.test(f) || url.includes('internal/crypto'))
    return 'hashing (SHA-256)';
  if (/crc32|checksum/i.test(f) || /flexible-checksums|crc32/.test(url)) return 'checksums (CRC32)';
  if (url.includes('node:zlib') || /zstd/i.test(f)) return 'zstd calls (main-thread side)';
  if (url.includes('node:internal/streams') || url.includes('node:stream')) return 'streams';
  if (url.includes('node:net') || url.includes('node:_http') || url.includes('node:http'))
    return 'HTTP / sockets';
  if (url.includes('node:buffer') || /^(concat|copy|subarray|slice|allocUnsafe)/.test(f))
    return 'Buffer copies / allocations';
  if (url.startsWith('node:')) return `node: other (${url.replace(/^node:(internal\/)?/, '')})`;
  return 'bundle JS (SDK, Nightshift)';
}
const cats = new Map<string, number>();
for (const [id, ms] of self) {
  const n = byId.get(id);
  if (!n) continue;
  const c = category(n);
  cats.set(c, (cats.get(c) ?? 0) + ms);
}
console.log(`main thread, ${(total / 1000).toFixed(2)} s sampled`);
for (const [c, ms] of [...cats].sort((a, b) => b[1] - a[1]))
  console.log(
    `${(ms / 1000).toFixed(2).padStart(7)} s  ${((100 * ms) / total).toFixed(1).padStart(5)} %  ${c}`,
  );
console.log('\ntop functions (self time):');
for (const [id, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 15))) {
  const n = byId.get(id);
  if (!n) continue;
  const { functionName, url, lineNumber } = n.callFrame;
  console.log(
    `${(ms / 1000).toFixed(2).padStart(7)} s  ${functionName || '(anonymous)'}  ${url.split('/').slice(-1)[0]}:${lineNumber + 1}`,
  );
}
