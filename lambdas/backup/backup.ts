/**
 * The backup job core: dump one target through the streaming pipeline into S3, tag it with its
 * retention tier, write the manifest last, and emit metrics. Called by the Lambda handler, the Fargate
 * task, `nightshift backup` and `nightshift run` alike.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { backupEngine } from '../../lib/config/resolved';
import type { BackupTarget } from '../../lib/config/schema';
import {
  describeMongo,
  describePostgres,
  describeRedis,
  resolveMongo,
  resolvePostgres,
  resolveRedis,
  type SecretsReader,
  secretValuesOf,
} from '../shared/connections';
import type { Log } from '../shared/log';
import type { MetricsSink } from '../shared/metrics';
import { reasonOf } from '../shared/redact';
import { streamUpload } from '../shared/stream-upload';
import type { DumpPlan, ToolPaths } from './engines/types';
import {
  type ArtifactEntry,
  type BackupManifest,
  backupBase,
  DEFAULT_ROOT,
  type ListedBackup,
  MANIFEST_FORMAT,
  manifestKeyOf,
  recentBackups,
} from './layout';
import { BackupMetric, backupDimensions } from './metrics';
import { decideTier, type RetentionCounts, TIER_TAG, type Tier, tierExpiry } from './retention';

export interface BackupDeps {
  readonly s3: S3Client;
  readonly bucket: string;
  /** Key prefix under which `<target>/…` goes. @default "backups" */
  readonly root?: string;
  /** SSE-KMS key id/ARN; without it the bucket default encryption applies. */
  readonly kmsKeyId?: string | undefined;
  /** S3 Object Lock mode: each object is retained until its tier expires. */
  readonly objectLock?: 'GOVERNANCE' | 'COMPLIANCE' | undefined;
  readonly secrets: SecretsReader;
  readonly log: Log;
  readonly metrics: MetricsSink;
  readonly now: () => Date;
  readonly project: string;
  readonly timeZone: string;
  readonly retention: RetentionCounts;
  /** Epoch ms by which the run must have finished or aborted (Lambda: remaining time minus a margin). */
  readonly deadline?: number | undefined;
  readonly tools?: ToolPaths;
  /** Parts uploaded in parallel. @default 2 */
  readonly queueSize?: number;
  /** Progress of the data stream (CLI progress line). */
  readonly onProgress?: (progress: { bytesIn: number; bytesOut: number; elapsedMs: number }) => void;
}

export interface BackupInput {
  readonly target: BackupTarget;
  /** zstd level (target's or the section's). */
  readonly compressionLevel: number;
}

export interface BackupResult {
  readonly target: string;
  readonly key: string;
  readonly manifestKey: string;
  readonly manifest: BackupManifest;
}

/** A backup run failed; nothing that looks like a backup was left behind. */
export class BackupFailed extends Error {
  override readonly name = 'BackupFailed';
  constructor(
    readonly target: string,
    readonly reason: string,
    options: { cause: unknown },
  ) {
    super(`backup of ${target} failed: ${reason}`, options);
  }
}

async function prepare(
  target: BackupTarget,
  deps: BackupDeps,
): Promise<{ plan: DumpPlan; secrets: string[]; describe: string; mode?: 'rdb' | 'logical' }> {
  const context = { log: deps.log, tools: deps.tools ?? {} };
  const engine = backupEngine(target);
  if (engine === 'postgres' && target.postgres) {
    const p = await resolvePostgres(target.postgres, deps.secrets);
    const secrets = secretValuesOf(p);
    // engines load on demand: a pg backup does not pay for the MongoDB driver's memory
    const { preparePostgres } = await import('./engines/postgres');
    return {
      plan: await preparePostgres(p, { globals: target.postgres.globals, secrets }, context),
      secrets,
      describe: describePostgres(p),
    };
  }
  if (engine === 'mongodb' && target.mongodb) {
    const p = await resolveMongo(target.mongodb, deps.secrets);
    const secrets = secretValuesOf(p);
    const { prepareMongo } = await import('./engines/mongodb');
    return {
      plan: await prepareMongo(p, { oplog: target.mongodb.oplog, secrets }, context),
      secrets,
      describe: describeMongo(p),
    };
  }
  if (engine === 'redis' && target.redis) {
    const p = await resolveRedis(target.redis, deps.secrets);
    const secrets = secretValuesOf(p);
    const { prepareRedis } = await import('./engines/redis');
    return {
      plan: await prepareRedis(p, target.redis.mode, { secrets }, context),
      secrets,
      describe: describeRedis(p),
      mode: target.redis.mode,
    };
  }
  throw new Error(`backup target ${target.name} has no engine`);
}

export async function run(deps: BackupDeps, input: BackupInput): Promise<BackupResult> {
  const { target } = input;
  const name = target.name;
  const root = deps.root ?? DEFAULT_ROOT;
  const dimensions = backupDimensions(deps.project, name);
  const started = deps.now();
  const log = deps.log;
  let secrets: string[] = [];
  let previous: ListedBackup[] | undefined;
  try {
    const prepared = await prepare(target, deps);
    secrets = prepared.secrets;
    const { plan } = prepared;
    try {
      previous = await recentBackups(deps.s3, deps.bucket, root, name, started);
      const tier: Tier = decideTier(previous, started, deps.timeZone);
      const expiresAt = tierExpiry(tier, started, deps.retention);
      const base = backupBase(root, name, started);
      log.info('backup started', {
        target: name,
        source: prepared.describe,
        tier,
        base,
        serverVersion: plan.serverVersion,
        toolVersion: plan.toolVersion,
      });
      const common = {
        s3: deps.s3,
        bucket: deps.bucket,
        compressionLevel: input.compressionLevel,
        queueSize: deps.queueSize,
        kmsKeyId: deps.kmsKeyId,
        tags: { [TIER_TAG]: tier },
        objectLock: deps.objectLock ? { mode: deps.objectLock, retainUntil: expiresAt } : undefined,
        deadline: deps.deadline,
        log,
        now: () => deps.now().getTime(),
      };
      const artifacts: ArtifactEntry[] = [];
      // companions first, the dump last: a failure of either leaves no manifest, so no backup
      const ordered = [...plan.streams].sort(
        (a, b) => (a.role === 'data' ? 1 : 0) - (b.role === 'data' ? 1 : 0),
      );
      for (const stream of ordered) {
        const key = `${base}.${stream.ext}.zst`;
        const streamStarted = deps.now().getTime();
        const result = await streamUpload(stream.start(), {
          ...common,
          key,
          header: stream.header,
          expectedBytes: stream.expectedBytes,
          metadata: { 'nightshift-target': name, 'nightshift-role': stream.role },
          onProgress:
            stream.role === 'data' && deps.onProgress
              ? (p) => deps.onProgress?.({ ...p, elapsedMs: deps.now().getTime() - streamStarted })
              : undefined,
        });
        artifacts.push({
          role: stream.role,
          key,
          bytesIn: result.bytesIn,
          bytesOut: result.bytesOut,
          sha256: result.sha256,
        });
      }
      const data = artifacts.find((a) => a.role === 'data');
      if (!data) throw new Error('the engine produced no data stream');
      const durationMs = deps.now().getTime() - started.getTime();
      const manifest: BackupManifest = {
        format: MANIFEST_FORMAT,
        project: deps.project,
        target: name,
        engine: backupEngine(target),
        mode: prepared.mode,
        key: data.key,
        createdAt: started.toISOString(),
        tier,
        expiresAt: expiresAt.toISOString(),
        serverVersion: plan.serverVersion,
        toolVersion: plan.toolVersion,
        bytesIn: data.bytesIn,
        bytesOut: data.bytesOut,
        sha256: data.sha256,
        compression: { algorithm: 'zstd', level: input.compressionLevel },
        durationMs,
        counts: plan.counts,
        artifacts,
        details: plan.details,
      };
      const manifestKey = manifestKeyOf(base);
      await deps.s3.send(
        new PutObjectCommand({
          Bucket: deps.bucket,
          Key: manifestKey,
          Body: `${JSON.stringify(manifest, null, 2)}\n`,
          ContentType: 'application/json',
          IfNoneMatch: '*',
          Tagging: `${TIER_TAG}=${tier}`,
          ...(deps.kmsKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: deps.kmsKeyId } : {}),
          ...(deps.objectLock
            ? { ObjectLockMode: deps.objectLock, ObjectLockRetainUntilDate: expiresAt }
            : {}),
        }),
      );
      deps.metrics.put(BackupMetric.BackupSucceeded, 'Count', 1, dimensions);
      deps.metrics.put(BackupMetric.BackupFailed, 'Count', 0, dimensions);
      deps.metrics.put(BackupMetric.BackupBytes, 'Bytes', data.bytesOut, dimensions);
      deps.metrics.put(BackupMetric.NewestBackupAgeHours, 'None', 0, dimensions);
      log.info('backup done', {
        target: name,
        key: data.key,
        tier,
        expiresAt: manifest.expiresAt,
        bytesIn: data.bytesIn,
        bytesOut: data.bytesOut,
        durationMs,
      });
      return { target: name, key: data.key, manifestKey, manifest };
    } finally {
      await plan.close();
    }
  } catch (error) {
    const reason = reasonOf(error, secrets);
    log.error('backup failed', { target: name, reason });
    deps.metrics.put(BackupMetric.BackupFailed, 'Count', 1, dimensions);
    deps.metrics.put(BackupMetric.BackupSucceeded, 'Count', 0, dimensions);
    const newest = previous?.at(-1);
    if (newest)
      deps.metrics.put(
        BackupMetric.NewestBackupAgeHours,
        'None',
        (deps.now().getTime() - newest.time.getTime()) / 3_600_000,
        dimensions,
      );
    throw new BackupFailed(name, reason, { cause: error });
  }
}
