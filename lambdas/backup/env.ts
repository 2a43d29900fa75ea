/**
 * The environment contract between the Backups construct (CDK) and the backup job (Lambda handler,
 * Fargate task), lambdas/shared/env.ts. Only names, ids and password-less URLs go here — never secret
 * values.
 *
 *   NIGHTSHIFT_PROJECT        project name (metric dimension)
 *   NIGHTSHIFT_TIME_ZONE      IANA zone for the tier decision
 *   BACKUP_BUCKET             bucket name                         } set by job.bindBucket
 *   BACKUP_BUCKET_PREFIX      the target's prefix "<root>/<target>/" } (Lambda and Fargate)
 *   BACKUP_KMS_KEY_ID         SSE-KMS key id/ARN (optional)
 *   BACKUP_OBJECT_LOCK        GOVERNANCE | COMPLIANCE (optional)
 *   BACKUP_RETENTION          {"daily":7,"weekly":4,"monthly":3}
 *   BACKUP_TARGET             one backup target (config JSON, secret names only)
 *   BACKUP_COMPRESSION_LEVEL  zstd level (its default lives in the config schema only)
 *   NODE_OPTIONS              read by Node.js: source maps plus a 4 MB V8 semi-space
 *   NIGHTSHIFT_DEADLINE_MS    Fargate task only: the task's time budget
 */
import type { BackupTarget } from '../../lib/config/schema';
import { backupTargetSchema } from '../../lib/config/schema';
import {
  type BucketVariables,
  type EnvContract,
  envReader,
  handlerVariable,
  NODE_OPTIONS,
  PROJECT_VAR,
  TIME_ZONE_VAR,
  type WrittenEnv,
  writeEnv,
} from '../shared/env';
import { targetPrefix } from './layout';
import type { RetentionCounts } from './retention';

export const BACKUP_BUCKET_VARS: BucketVariables = {
  bucket: 'BACKUP_BUCKET',
  prefix: 'BACKUP_BUCKET_PREFIX',
};
export const DEADLINE_VAR = 'NIGHTSHIFT_DEADLINE_MS';
const KMS_VAR = 'BACKUP_KMS_KEY_ID';
const LOCK_VAR = 'BACKUP_OBJECT_LOCK';
const RETENTION_VAR = 'BACKUP_RETENTION';
const TARGET_VAR = 'BACKUP_TARGET';
const LEVEL_VAR = 'BACKUP_COMPRESSION_LEVEL';

/** Lambda and Fargate: a dump's allocation rate would otherwise grow the young generation (bench/backup). */
export const BACKUP_NODE_FLAGS = ['--max-semi-space-size=4'] as const;

/**
 * A 64 MB initial old space (bench/backup, docs/backup.md "Performance"): V8 counts the Buffers
 * allocated since the last full GC (every pipe read, zstd output and upload part) against an
 * old-generation limit that starts near 24 MB for this 14 MB heap, so it ran a mark-compact for every
 * ≈ 12 MB streamed (60–90 per GB, ≈ 20–30 % of the job's CPU); from 64 MB it runs ≈ 3.5× fewer. Node
 * refuses this flag in NODE_OPTIONS, so it goes on the command line: the Fargate task's entry point
 * (lib/constructs/backup.ts). Not yet on Lambda, whose runtime starts node itself.
 */
export const BACKUP_COMMAND_LINE_FLAGS = ['--initial-old-space-size=64'] as const;

export interface BackupEnv {
  readonly project: string;
  readonly timeZone: string;
  readonly bucket: string;
  /** Key root, e.g. "backups": the target's prefix without "<target>/". */
  readonly root: string;
  readonly kmsKeyId?: string | undefined;
  readonly objectLock?: 'GOVERNANCE' | 'COMPLIANCE' | undefined;
  readonly retention: RetentionCounts;
  readonly target: BackupTarget;
  readonly compressionLevel: number;
}

export interface BackupTaskEnv extends BackupEnv {
  /** The Fargate task's time budget. */
  readonly deadlineMs: number;
}

const BACKUP_VARIABLES = [
  handlerVariable(PROJECT_VAR),
  handlerVariable(TIME_ZONE_VAR),
  handlerVariable(BACKUP_BUCKET_VARS.bucket),
  handlerVariable(BACKUP_BUCKET_VARS.prefix),
  handlerVariable(KMS_VAR, false),
  handlerVariable(LOCK_VAR, false),
  handlerVariable(RETENTION_VAR),
  handlerVariable(TARGET_VAR),
  handlerVariable(LEVEL_VAR),
  NODE_OPTIONS,
];

function readBackup(job: string, env: Readonly<Record<string, string | undefined>>): BackupEnv {
  const r = envReader(job, env);
  const parsed = backupTargetSchema.safeParse(r.json(TARGET_VAR));
  if (!parsed.success) throw r.fail(TARGET_VAR, `is not a backup target (${parsed.error.message})`);
  const target = parsed.data;
  const retention = r.json(RETENTION_VAR) as Partial<RetentionCounts> | null;
  if (!retention || ![retention.daily, retention.weekly, retention.monthly].every((n) => Number.isInteger(n)))
    throw r.fail(RETENTION_VAR, 'needs integer daily, weekly and monthly');
  const lock = r.optional(LOCK_VAR);
  if (lock && lock !== 'GOVERNANCE' && lock !== 'COMPLIANCE')
    throw r.fail(LOCK_VAR, 'must be GOVERNANCE or COMPLIANCE');
  // The job writes only under its target's prefix (that is all its role may write); the key layout
  // (layout.ts) wants the root above it.
  const prefix = r.required(BACKUP_BUCKET_VARS.prefix);
  const own = `/${target.name}/`;
  const root = prefix.endsWith(own) ? prefix.slice(0, -own.length) : '';
  if (!root || targetPrefix(root, target.name) !== prefix)
    throw r.fail(BACKUP_BUCKET_VARS.prefix, `must be "<root>/${target.name}/" for target ${target.name}`);
  return {
    project: r.required(PROJECT_VAR),
    timeZone: r.timeZone(TIME_ZONE_VAR),
    bucket: r.required(BACKUP_BUCKET_VARS.bucket),
    root,
    kmsKeyId: r.optional(KMS_VAR),
    objectLock: lock === 'GOVERNANCE' || lock === 'COMPLIANCE' ? lock : undefined,
    retention: retention as RetentionCounts,
    target,
    compressionLevel: r.integer(LEVEL_VAR, 1, 19),
  };
}

/** The backup Lambda function. */
export const backupEnv: EnvContract<BackupEnv> = {
  job: 'backup',
  variables: BACKUP_VARIABLES,
  nodeFlags: BACKUP_NODE_FLAGS,
  read: (env) => readBackup('backup', env),
};

/** The Fargate task: the Lambda contract plus its time budget. */
export const backupTaskEnv: EnvContract<BackupTaskEnv> = {
  job: 'backup',
  variables: [...BACKUP_VARIABLES, handlerVariable(DEADLINE_VAR)],
  nodeFlags: BACKUP_NODE_FLAGS,
  read(env) {
    const backup = readBackup('backup task', env);
    return { ...backup, deadlineMs: envReader('backup task', env).integer(DEADLINE_VAR, 60_000, 86_400_000) };
  },
};

export interface BackupEnvOptions {
  project: string;
  timeZone: string;
  retention: RetentionCounts;
  objectLock: 'off' | 'governance' | 'compliance';
  target: BackupTarget;
  /** The effective level (lib/config/resolved.ts): the target's, else the section's. */
  compressionLevel: number;
  kmsKeyId?: string | undefined;
}

function backupValues(options: BackupEnvOptions): Record<string, string | undefined> {
  return {
    [PROJECT_VAR]: options.project,
    [TIME_ZONE_VAR]: options.timeZone,
    [RETENTION_VAR]: JSON.stringify(options.retention),
    [TARGET_VAR]: JSON.stringify(options.target),
    [LEVEL_VAR]: String(options.compressionLevel),
    [LOCK_VAR]: options.objectLock !== 'off' ? options.objectLock.toUpperCase() : undefined,
    [KMS_VAR]: options.kmsKeyId,
  };
}

/** The Lambda function's variables; the construct adds BACKUP_BUCKET(_PREFIX) with job.bindBucket. */
export function backupEnvironment(options: BackupEnvOptions): WrittenEnv {
  return writeEnv(backupEnv, backupValues(options));
}

/** The Fargate task's variables: the Lambda's plus its time budget; bucket and prefix again by job.bindBucket. */
export function backupTaskEnvironment(options: BackupEnvOptions & { deadlineMs: number }): WrittenEnv {
  return writeEnv(backupTaskEnv, { ...backupValues(options), [DEADLINE_VAR]: String(options.deadlineMs) });
}
