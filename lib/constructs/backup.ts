/**
 * Database backups (issue 5, docs/retention.md): per target, the container-image job on its own
 * schedule — one ScheduledJob, whose runtime is a Lambda function or, with `runtime: fargate`, an ECS
 * Fargate task — plus the monthly restore test when `verify` is configured, write-only
 * access to `backups/<target>/` (no delete: S3 lifecycle and Object Lock decide what goes), the
 * target's secret by name, and the alarms: backup failed, newest backup too old, verification failed,
 * dead-letter queue not empty.
 *
 * The retention rules live on the backup bucket in the DataStack (backupLifecycleRules).
 */

import { resolve } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { ComparisonOperator, GraphWidget, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IVpc } from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { Cluster, ContainerImage, ContainerInsights, type FargateTaskDefinition } from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import {
  BACKUP_BUCKET_VARS,
  BACKUP_COMMAND_LINE_FLAGS,
  type BackupEnvOptions,
  backupEnvironment,
  backupTaskEnvironment,
} from '../../lambdas/backup/env';
import { targetPrefix } from '../../lambdas/backup/layout';
import { BackupMetric, type BackupMetricName, backupDimensions } from '../../lambdas/backup/metrics';
import { METRICS_NAMESPACE } from '../../lambdas/shared/metrics';
import { durationMs } from '../config/primitives';
import { type EffectiveBackupTarget, effectiveBackupTargets, usesVpc } from '../config/resolved';
import type { BackupsConfig } from '../config/schema';
import { zeroFilled } from './alarms';
import { BACKUP_ROOT } from './backup-bucket-rules';
import type { NightshiftContext } from './context';
import { type JobAlarmProps, JobCode, ScheduledJob } from './scheduled-job';

/**
 * Default memory of a target's backup function: 1 vCPU (Lambda gives 1 vCPU per 1,769 MB). A dump is
 * CPU-bound (pg_dump, zstd, the upload all run in the function), so below 1 vCPU the time grows as the
 * memory shrinks and the cost per GB stays the same; at 1 vCPU it runs fastest for that cost (the
 * sizing table in docs/backup.md, from bench/backup).
 */
export const BACKUP_LAMBDA_MEMORY_MB = 1769;

/** The Docker build context (repository root, filtered by /.dockerignore) and the Dockerfile in it. */
export const BACKUP_IMAGE_CONTEXT = resolve(import.meta.dirname, '../..');
export const BACKUP_DOCKERFILE = 'docker/backup/Dockerfile';
/** Lambda handler (module.export) inside the image; the event's `action` selects backup or verify. */
export const BACKUP_LAMBDA_CMD = ['handler.handler'];
/**
 * Fargate: the same image runs `node --initial-old-space-size=64 /var/task/task.mjs <action>` once and
 * exits non-zero on failure (the flag: lambdas/backup/env.ts BACKUP_COMMAND_LINE_FLAGS).
 */
export const BACKUP_TASK_ENTRYPOINT = ['node', ...BACKUP_COMMAND_LINE_FLAGS, '/var/task/task.mjs'];

const HOUR = 3_600_000;

export interface BackupsProps {
  readonly context: NightshiftContext;
}

/** One target's deployed job, for tests and the dashboard. */
export interface BackupTargetJob {
  readonly target: string;
  readonly runtime: 'lambda' | 'fargate';
  /** The target's job, either runtime. */
  readonly job: ScheduledJob;
  /** The task definitions by action (runtime fargate): job.tasks. */
  readonly tasks?: Record<string, FargateTaskDefinition>;
}

export class Backups extends Construct {
  readonly jobs: BackupTargetJob[] = [];
  private readonly context: NightshiftContext;
  private readonly section: BackupsConfig;
  private cluster?: Cluster;

  constructor(scope: Construct, id: string, props: BackupsProps) {
    super(scope, id);
    const { context } = props;
    const section = context.config.backups;
    // the stack builds Backups only with backups.targets; validateConfig keeps their names unique
    if (!section) throw new Error('internal: Backups built without config.backups');
    this.context = context;
    this.section = section;
    const targets = effectiveBackupTargets(context.config);
    for (const effective of targets) {
      this.jobs.push(this.targetJob(effective));
    }
    if (context.dashboard && targets.length > 0) {
      const metric = (name: BackupMetricName, target: string, statistic: string) =>
        this.metric(name, target, statistic, Duration.hours(1));
      context.dashboard.addSection('Backups', [
        new GraphWidget({
          title: 'Backup size (bytes)',
          left: targets.map((t) => metric(BackupMetric.BackupBytes, t.target.name, 'Maximum')),
          width: 12,
        }),
        new GraphWidget({
          title: 'Newest backup age (hours)',
          left: targets.map((t) => metric(BackupMetric.NewestBackupAgeHours, t.target.name, 'Maximum')),
          width: 12,
        }),
      ]);
    }
  }

  /**
   * One target's job: the same ScheduledJob for both runtimes (schedules, scheduler role, DLQ and its
   * alarm, log group, environment, bucket and secret bindings); only the runtime differs.
   */
  private targetJob(effective: EffectiveBackupTarget): BackupTargetJob {
    const { context } = this;
    const { target } = effective;
    const name = target.name;
    const jobName = `backup-${name}`;
    const fargate = target.runtime === 'fargate';
    const common = {
      context,
      jobName,
      description: `Backs up ${effective.engine} target ${name} to S3`,
      schedules: this.schedulesOf(effective).map((schedule) =>
        fargate ? { ...schedule, description: `${schedule.name} ${name} on Fargate` } : schedule,
      ),
      severity: effective.severity,
      runbook: effective.runbook,
      // A retry is a new backup under a new key (conditional writes): safe, but one is enough.
      retryAttempts: 1,
      maxEventAge: Duration.hours(2),
      // a night that never runs pages through -too-old (no success within maxAge, ≤ 7 days): a
      // -did-not-run alarm would page for the same night about an hour earlier, for another $0.10
      didNotRunAlarm: false,
    };
    const job = fargate
      ? new ScheduledJob(this, `Target-${name}`, {
          ...common,
          runtime: 'fargate',
          fargate: {
            cluster: (vpc) => this.sharedCluster(vpc),
            image: ContainerImage.fromAsset(BACKUP_IMAGE_CONTEXT, {
              file: BACKUP_DOCKERFILE,
              platform: Platform.LINUX_ARM64,
            }),
            containerName: 'backup',
            entryPoint: BACKUP_TASK_ENTRYPOINT,
            command: (schedule) => [schedule.name],
            ...fargateSize(target.memoryMb ?? 2048),
          },
          environment: backupTaskEnvironment({
            ...this.envOptionsOf(effective),
            deadlineMs: effective.timeoutMs,
          }),
        })
      : new ScheduledJob(this, `Target-${name}`, {
          ...common,
          code: JobCode.image(BACKUP_IMAGE_CONTEXT, { file: BACKUP_DOCKERFILE, cmd: BACKUP_LAMBDA_CMD }),
          timeout: Duration.millis(Math.min(effective.timeoutMs, 15 * 60_000)),
          memorySize: target.memoryMb ?? BACKUP_LAMBDA_MEMORY_MB,
          environment: backupEnvironment(this.envOptionsOf(effective)),
          vpc: usesVpc(context.config, 'backups'),
          // the core throws after sending BackupFailed 1, so Lambda's Errors counts every failed backup
          // (and also a timeout or an out-of-memory kill the core cannot report): -failed is the page
          failedSummary: target.verify
            ? `backup of ${name} or its restore test failed (the ${jobName} job's log says which and why)`
            : `backup of ${name} failed (the ${jobName} job's log says why)`,
        });
    job.bindBucket(context.backupBucket, {
      variables: BACKUP_BUCKET_VARS,
      prefix: this.prefixOf(name),
      access: target.verify ? 'readwrite' : 'write',
      objectLock: this.section.objectLock !== 'off',
    });
    for (const secret of this.secretsOf(effective)) job.bindSecret(secret);
    // Fargate has no Lambda Errors (-failed): -backup-failed, from the job's own metric, pages there
    this.metricAlarms(effective, (id, props) => job.addAlarm(id, props), { failure: fargate });
    return fargate
      ? { target: name, runtime: 'fargate', job, tasks: job.tasks }
      : { target: name, runtime: 'lambda', job };
  }

  /** One cluster for every Fargate target. */
  private sharedCluster(vpc: IVpc): Cluster {
    this.cluster ??= new Cluster(this, 'Cluster', {
      clusterName: `${this.context.project}-nightshift-backups`,
      vpc,
      containerInsightsV2: ContainerInsights.ENABLED,
    });
    return this.cluster;
  }

  // -------------------------------------------------------------------------------------------
  // Shared
  // -------------------------------------------------------------------------------------------

  private prefixOf(target: string): string {
    return targetPrefix(BACKUP_ROOT, target);
  }

  /** One schedule per action; its name is the action (the Lambda event's, the Fargate task's command). */
  private schedulesOf(effective: EffectiveBackupTarget) {
    const name = effective.target.name;
    const schedules: { name: string; expression: string; input: Record<string, unknown> }[] = [
      { name: 'backup', expression: effective.schedule, input: { action: 'backup', target: name } },
    ];
    const verify = effective.target.verify;
    if (verify) {
      schedules.push({
        name: 'verify',
        expression: verify.schedule,
        input: { action: 'verify', target: name },
      });
    }
    return schedules;
  }

  /**
   * What the job's environment contract (lambdas/backup/env.ts) needs: names and settings only — the
   * target's config JSON carries secret NAMES, resolved by the job at run time.
   */
  private envOptionsOf(effective: EffectiveBackupTarget): BackupEnvOptions {
    return {
      project: this.context.project,
      timeZone: this.context.timeZone,
      retention: this.section.retention,
      objectLock: this.section.objectLock,
      target: effective.target,
      compressionLevel: effective.compressionLevel,
      // without the project key the bucket's default encryption (SSE-S3) applies
      kmsKeyId: this.context.key?.keyArn,
    };
  }

  /** Secret names/ARNs the job reads: the target's connection and its verify scratch database. */
  private secretsOf(effective: EffectiveBackupTarget): string[] {
    const { target } = effective;
    const out: string[] = [];
    const connection = target[effective.engine] as { secret?: string } | undefined;
    if (connection?.secret) out.push(connection.secret);
    if (target.verify?.secret) out.push(target.verify.secret);
    return out;
  }

  private metric(name: BackupMetricName, target: string, statistic: string, period: Duration): Metric {
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: backupDimensions(this.context.project, target),
      statistic,
      period,
    });
  }

  /**
   * Alarms on the job's own metrics. `failure: false` leaves out -backup-failed where the job's
   * -failed alarm (Lambda Errors) already pages for the same runs: $0.10 a target.
   */
  private metricAlarms(
    effective: EffectiveBackupTarget,
    addAlarm: (id: string, props: JobAlarmProps) => unknown,
    { failure = true }: { failure?: boolean } = {},
  ): void {
    const name = effective.target.name;
    const jobName = `backup-${name}`;
    if (failure)
      addAlarm('BackupFailed', {
        name: `${jobName}-backup-failed`,
        metric: this.metric(BackupMetric.BackupFailed, name, 'Sum', Duration.minutes(5)),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        // a failed night stays in ALARM until the next run reports BackupFailed 0
        treatMissingData: TreatMissingData.IGNORE,
        target: jobName,
        summary: `backup of ${name} failed`,
      });
    const maxAgeMs = durationMs(this.section.maxAge);
    // the schema keeps maxAge within the 7 days (168 hourly periods) an alarm may look back
    const periods = Math.ceil(maxAgeMs / HOUR);
    addAlarm('BackupTooOld', {
      name: `${jobName}-too-old`,
      metric: zeroFilled(this.metric(BackupMetric.BackupSucceeded, name, 'Sum', Duration.hours(1))),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: periods,
      datapointsToAlarm: periods,
      treatMissingData: TreatMissingData.BREACHING,
      target: jobName,
      summary: `no successful backup of ${name} in the last ${this.section.maxAge}`,
    });
    if (effective.target.verify) {
      addAlarm('VerifyFailed', {
        name: `${jobName}-verify-failed`,
        metric: this.metric(BackupMetric.BackupVerified, name, 'Minimum', Duration.hours(1)),
        threshold: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        // a failed monthly restore test stays in ALARM until the next one passes
        treatMissingData: TreatMissingData.IGNORE,
        target: jobName,
        summary: `restore test of ${name}'s newest backup failed`,
      });
    }
  }
}

/**
 * The smallest valid Fargate size with at least `memoryMb`, and at least 1 vCPU (zstd compression and
 * the dump tool share the CPU).
 */
export function fargateSize(memoryMb: number): { cpu: number; memoryLimitMiB: number } {
  const sizes: [number, number[]][] = [
    [1024, [2048, 3072, 4096, 5120, 6144, 7168, 8192]],
    [2048, Array.from({ length: 13 }, (_, i) => 4096 + i * 1024)],
  ];
  for (const [cpu, memories] of sizes) {
    const fit = memories.find((m) => m >= memoryMb);
    if (fit) return { cpu, memoryLimitMiB: fit };
  }
  return { cpu: 4096, memoryLimitMiB: Math.min(30720, Math.ceil(memoryMb / 1024) * 1024) };
}
