/**
 * One Nightshift backup, run as its own process by bench/backup.ts (bundled with esbuild first, like
 * the Lambda, so the peak RSS measured is the job's, not a TypeScript loader's). Prints a JSON report.
 * Usage: node backup-child.mjs <postgres|redis|redis-rdb> <url> <s3 endpoint> <bucket> [zstd level]
 * (the level defaults to the config default, backups.compressionLevel; `redis` is the logical mode).
 * BENCH_S3_CHECKSUMS=1 makes the SDK send its per-part CRC32 (what the deployed function does against
 * AWS S3); without it the client sends checksums only when required, like the CLI with --endpoint.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { run as backup } from '../../lambdas/backup/backup';
import { noSecrets } from '../../lambdas/shared/connections';
import { silentLog } from '../../lambdas/shared/log';
import { MemoryMetrics } from '../../lambdas/shared/metrics';
import { backupsSchema, backupTargetSchema } from '../../lib/config/schema';

const [kind, url, endpoint, bucket, levelArg] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string?,
];
const compressionLevel = levelArg ? Number(levelArg) : backupsSchema.parse({}).compressionLevel;
const s3 = new S3Client({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  forcePathStyle: true,
  requestChecksumCalculation: process.env.BENCH_S3_CHECKSUMS === '1' ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
const target = backupTargetSchema.parse(
  kind === 'postgres'
    ? { name: `bench-pg-${Date.now()}`, postgres: { url, ssl: 'disable' } }
    : {
        name: `bench-redis-${Date.now()}`,
        redis: { url, mode: kind === 'redis-rdb' ? 'rdb' : 'logical' },
      },
);
const started = performance.now();
const result = await backup(
  {
    s3,
    bucket,
    secrets: noSecrets,
    log: silentLog,
    metrics: new MemoryMetrics(),
    now: () => new Date(),
    project: 'bench',
    timeZone: 'UTC',
    retention: { daily: 7, weekly: 4, monthly: 3 },
  },
  { target, compressionLevel },
);
const ms = performance.now() - started;
s3.destroy();
process.stdout.write(
  `${JSON.stringify({
    ms,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    bytesIn: result.manifest.bytesIn,
    bytesOut: result.manifest.bytesOut,
  })}\n`,
);
