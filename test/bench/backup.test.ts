/**
 * bench/backup's pure parts: its flags (what `npm run bench -- backup …` accepts) and the derived
 * Lambda sizing table. The benchmark itself is not run here (minutes, timings are never asserted).
 */
import { describe, expect, it } from 'vitest';
import { appMixSql, MB_PER_VCPU, parseFlags, SIZING_MEMORY_MB, sizingTable } from '../../bench/backup';

describe('bench/backup flags', () => {
  it('defaults to 0.2 GB + 1 GB, 3 rounds, pinned runs and 1 M Redis keys', () => {
    expect(parseFlags([])).toEqual({
      pgGb: 1,
      pgSmallGb: 0.2,
      rounds: 3,
      redisKeys: 1_000_000,
      pin: true,
      checksums: false,
      cpuProfDir: undefined,
      variants: [],
    });
  });

  it('reads sizes, rounds, switches and A/B variants (node flags and environment)', () => {
    const options = parseFlags([
      '--pg-gb=2.5',
      '--pg-small-gb=0',
      '--rounds=1',
      '--redis-keys=0',
      '--no-pin',
      '--checksums',
      '--cpu-prof=/tmp/p',
      '--variant=before:--initial-old-space-size=0,MALLOC_ARENA_MAX=2',
      '--variant=plain',
    ]);
    expect(options).toMatchObject({ pgGb: 2.5, pgSmallGb: 0, rounds: 1, redisKeys: 0, pin: false });
    expect(options.checksums).toBe(true);
    expect(options.cpuProfDir).toBe('/tmp/p');
    expect(options.variants).toEqual([
      { name: 'before', nodeFlags: ['--initial-old-space-size=0'], env: { MALLOC_ARENA_MAX: '2' } },
      { name: 'plain', nodeFlags: [], env: {} },
    ]);
  });

  it('refuses a size that is not a number', () => {
    expect(() => parseFlags(['--pg-gb=big'])).toThrow(/--pg-gb must be a number/);
  });

  it('scales the data with the size (and always keeps at least one incompressible blob)', () => {
    const rowsIn = (sql: string[]) =>
      sql.flatMap((s) =>
        [...s.matchAll(/generate_series\(1(?:::bigint)?, (\d+)\)/g)].map((m) => Number(m[1])),
      );
    expect(rowsIn(appMixSql(1))).toEqual([2_200_000, 1_300_000, 5_000_000, 65536, 52]);
    expect(rowsIn(appMixSql(0.01))).toEqual([22_000, 13_000, 50_000, 65536, 1]);
  });
});

describe('derived Lambda sizing', () => {
  const price = 0.0000133334;
  const table = sizingTable(100, price); // 100 MB of dump per CPU-second

  it('gives 1 vCPU per 1,769 MB and scales throughput with the vCPU share', () => {
    expect(table.map((r) => r.memoryMb)).toEqual([...SIZING_MEMORY_MB]);
    const one = table.find((r) => r.memoryMb === MB_PER_VCPU);
    expect(one?.vcpu).toBe(1);
    expect(one?.mbPerS).toBe(100);
    const small = table.find((r) => r.memoryMb === 512);
    expect(small?.mbPerS).toBeCloseTo((100 * 512) / 1769, 6);
  });

  it('costs memory × time × price per GB, the same at every size of a CPU-bound job', () => {
    for (const r of table)
      expect(r.usdPerGb).toBeCloseTo((r.memoryMb / 1024) * (1024 / r.mbPerS) * price, 12);
    // 1769 MB for 10.24 s per GB
    expect(table.find((r) => r.memoryMb === 1769)?.usdPerGb).toBeCloseTo((1769 / 1024) * 10.24 * price, 12);
    const costs = new Set(table.map((r) => r.usdPerGb.toFixed(9)));
    expect(costs.size).toBe(1);
  });
});
