/**
 * The environment contract between the Backups construct (CDK) and the backup job (Lambda handler,
 * Fargate task). Only names, ids and password-less URLs go here — never secret values.
 *
 *   NIGHTSHIFT_PROJECT        project name (metric dimension)
 *   NIGHTSHIFT_TIME_ZONE      IANA zone for the tier decision
 *   BACKUP_BUCKET             bucket name (set by job.bindBucket)
 *   BACKUP_ROOT               key prefix, default "backups"
 *   BACKUP_KMS_KEY_ID         SSE-KMS key id/ARN (optional)
 *   BACKUP_OBJECT_LOCK        GOVERNANCE | COMPLIANCE (optional)
 *   BACKUP_RETENTION          {"daily":7,"weekly":4,"monthly":3}
 *   BACKUP_TARGET             one backup target (config JSON, secret names only)
 *   BACKUP_COMPRESSION_LEVEL  zstd level
 */
import type { BackupsConfig, BackupTarget } from '../../lib/config/schema';
import { backupTargetSchema } from '../../lib/config/schema';
import type { RetentionCounts } from './retention';

export interface BackupEnv {
  readonly project: string;
  readonly timeZone: string;
  readonly bucket: string;
  readonly root: string;
  readonly kmsKeyId?: string | undefined;
  readonly objectLock?: 'GOVERNANCE' | 'COMPLIANCE' | undefined;
  readonly retention: RetentionCounts;
  readonly target: BackupTarget;
  readonly compressionLevel: number;
}

export class BackupEnvInvalid extends Error {
  override readonly name = 'BackupEnvInvalid';
  constructor(variable: string, reason: string) {
    super(`environment variable ${variable} ${reason} — redeploy the Nightshift stack`);
  }
}

/** The variables for one target's job (the construct adds BACKUP_BUCKET via bindBucket). */
export function backupEnvironment(options: {
  project: string;
  timeZone: string;
  section: BackupsConfig;
  target: BackupTarget;
  kmsKeyId?: string;
}): Record<string, string> {
  const { section, target } = options;
  return {
    NIGHTSHIFT_PROJECT: options.project,
    NIGHTSHIFT_TIME_ZONE: options.timeZone,
    BACKUP_RETENTION: JSON.stringify(section.retention),
    BACKUP_TARGET: JSON.stringify(target),
    BACKUP_COMPRESSION_LEVEL: String(target.compressionLevel ?? section.compressionLevel),
    ...(section.objectLock !== 'off' ? { BACKUP_OBJECT_LOCK: section.objectLock.toUpperCase() } : {}),
    ...(options.kmsKeyId ? { BACKUP_KMS_KEY_ID: options.kmsKeyId } : {}),
  };
}

function required(env: Record<string, string | undefined>, name: string): string {
  const value = env[name];
  if (!value) throw new BackupEnvInvalid(name, 'is not set');
  return value;
}

function json(env: Record<string, string | undefined>, name: string): unknown {
  try {
    return JSON.parse(required(env, name));
  } catch (error) {
    if (error instanceof BackupEnvInvalid) throw error;
    throw new BackupEnvInvalid(name, 'is not valid JSON');
  }
}

export function parseBackupEnv(env: Record<string, string | undefined>): BackupEnv {
  const parsed = backupTargetSchema.safeParse(json(env, 'BACKUP_TARGET'));
  if (!parsed.success)
    throw new BackupEnvInvalid('BACKUP_TARGET', `is not a backup target (${parsed.error.message})`);
  const retention = json(env, 'BACKUP_RETENTION') as RetentionCounts;
  if (![retention.daily, retention.weekly, retention.monthly].every((n) => Number.isInteger(n)))
    throw new BackupEnvInvalid('BACKUP_RETENTION', 'needs integer daily, weekly and monthly');
  const lock = env.BACKUP_OBJECT_LOCK;
  if (lock && lock !== 'GOVERNANCE' && lock !== 'COMPLIANCE')
    throw new BackupEnvInvalid('BACKUP_OBJECT_LOCK', 'must be GOVERNANCE or COMPLIANCE');
  const level = Number(env.BACKUP_COMPRESSION_LEVEL ?? 3);
  if (!Number.isInteger(level) || level < 1 || level > 19)
    throw new BackupEnvInvalid('BACKUP_COMPRESSION_LEVEL', 'must be an integer 1–19');
  return {
    project: required(env, 'NIGHTSHIFT_PROJECT'),
    timeZone: env.NIGHTSHIFT_TIME_ZONE ?? 'UTC',
    bucket: required(env, 'BACKUP_BUCKET'),
    root: env.BACKUP_ROOT || 'backups',
    kmsKeyId: env.BACKUP_KMS_KEY_ID || undefined,
    objectLock: lock === 'GOVERNANCE' || lock === 'COMPLIANCE' ? lock : undefined,
    retention,
    target: parsed.data,
    compressionLevel: level,
  };
}
