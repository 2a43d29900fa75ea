/** Shared wiring for the backup integration tests. */
import { GetObjectTaggingCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { z } from 'zod';
import type { BackupDeps } from '../../../lambdas/backup/backup';
import { noSecrets, type SecretsReader } from '../../../lambdas/shared/connections';
import { MemoryLog } from '../../../lambdas/shared/log';
import { MemoryMetrics } from '../../../lambdas/shared/metrics';
import { type BackupTarget, backupTargetSchema } from '../../../lib/config/schema';

type BackupTargetInput = z.input<typeof backupTargetSchema>;

export const BUCKET = 'nightshift-backups';

export function target(input: BackupTargetInput): BackupTarget {
  return backupTargetSchema.parse(input);
}

export function makeDeps(
  s3: S3Client,
  overrides: Partial<BackupDeps> = {},
): BackupDeps & { log: MemoryLog; metrics: MemoryMetrics } {
  return {
    s3,
    bucket: BUCKET,
    secrets: noSecrets,
    log: new MemoryLog(),
    metrics: new MemoryMetrics(),
    now: () => new Date(),
    project: 'shop',
    timeZone: 'UTC',
    retention: { daily: 7, weekly: 4, monthly: 3 },
    ...overrides,
  } as BackupDeps & { log: MemoryLog; metrics: MemoryMetrics };
}

/** A SecretsReader holding one JSON secret. */
export function secretsOf(values: Record<string, Record<string, unknown>>): SecretsReader {
  return {
    async getSecretString(id) {
      const value = values[id];
      if (!value) throw new Error(`no secret ${id}`);
      return JSON.stringify(value);
    },
  };
}

export async function keysUnder(s3: S3Client, prefix: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key ?? '').sort();
}

export async function tagsOf(s3: S3Client, key: string): Promise<Record<string, string>> {
  const out = await s3.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: key }));
  return Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}
