/**
 * One job = one construct (DESIGN "Shape"): the function with the project defaults, its log group,
 * EventBridge Scheduler schedules in the project's time zone (retry policy, maximum event age, encrypted
 * DLQ), least-privilege bindings, and the alarms every job has — "failed", "did not run", "DLQ not empty".
 */
import { Duration, Stack, TimeZone } from 'aws-cdk-lib';
import { ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { DockerImageCode, type Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  assertDeclared,
  type BucketVariables,
  type EnvContract,
  type WrittenEnv,
} from '../../lambdas/shared/env';
import { parseSchedule, type Severity, schedulePeriodMs } from '../config/primitives';
import { type NightshiftAlarmProps, nightshiftAlarm, zeroFilled } from './alarms';
import type { NightshiftContext } from './context';
import { deadLetterQueue } from './dead-letter-queue';
import { jobFunction } from './function-defaults';
import { grantPrefix, grantSecretRead, grantSendToQueue } from './grants';
import { acknowledgeWildcard } from './nag';

/** The code a job runs: a TypeScript handler bundled with esbuild, or a container image. */
export type JobCode =
  | { readonly kind: 'nodejs'; readonly entry: string }
  | { readonly kind: 'image'; readonly code: DockerImageCode; readonly directory: string };

export const JobCode = {
  /** A Node.js handler file exporting `handler`. */
  nodejs(entry: string): JobCode {
    return { kind: 'nodejs', entry };
  },
  /** A container image built from `directory` at deploy time (synth only stages it, no Docker needed). */
  image(directory: string, options: { cmd?: string[]; file?: string } = {}): JobCode {
    return {
      kind: 'image',
      directory,
      code: DockerImageCode.fromImageAsset(directory, {
        cmd: options.cmd,
        file: options.file,
        platform: Platform.LINUX_ARM64,
      }),
    };
  },
};

export interface JobSchedule {
  /** Short name, unique within the job, e.g. "every-minute". */
  readonly name: string;
  /** EventBridge Scheduler expression, evaluated in the project's time zone. */
  readonly expression: string;
  /** Event passed to the function. No secrets: names and ARNs only. */
  readonly input?: Record<string, unknown>;
}

export interface ScheduledJobProps {
  readonly context: NightshiftContext;
  /** Kebab-case job name, e.g. "health-check" or "backup-postgres"; prefixes resource names. */
  readonly jobName: string;
  readonly description: string;
  readonly code: JobCode;
  /** At least one schedule. */
  readonly schedules: JobSchedule[];
  /** Severity of the job's own alarms (failed, did not run, DLQ). */
  readonly severity: Severity;
  readonly runbook?: string | undefined;
  /** @default 1 minute */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /**
   * The job's environment, written by its contract (lambdas/<job>/env.ts); later additions
   * (addEnvironment, bindBucket, bindSecret) must be variables of the same contract.
   */
  readonly environment: WrittenEnv;
  /** Run inside config.network. @default false */
  readonly vpc?: boolean;
  /** Scheduler retries of a failed invocation. @default 2 */
  readonly retryAttempts?: number;
  /** How long Scheduler keeps retrying an event. @default 1 hour */
  readonly maxEventAge?: Duration;
  /**
   * Create the `-did-not-run` alarm. Off when another alarm of the job already pages for a run that
   * never happens (a backup's `-too-old`): the same condition would cost a second alarm. @default true
   */
  readonly didNotRunAlarm?: boolean;
  /**
   * What the `-failed` alarm says (Lambda Errors), when it also stands for a failure the job reports
   * itself (a backup's). @default "<job> job failed"
   */
  readonly failedSummary?: string;
}

export interface BucketBinding {
  /** The contract's variables that receive the bucket name and the prefix. */
  readonly variables: BucketVariables;
  /** Key prefix the job may touch, e.g. "backups/postgres/". */
  readonly prefix: string;
  readonly access: 'read' | 'write' | 'readwrite';
  /** Also allow setting Object Lock retention on written objects. @default false */
  readonly objectLock?: boolean;
}

const FIVE_MINUTES = 300_000;
const HOUR = 3_600_000;
/** CloudWatch evaluates at most 7 days of datapoints for an alarm with 1-hour periods. */
const MAX_HOURLY_PERIODS = 168;

/**
 * How the "did not run" alarm looks at Invocations: for frequent jobs one period of twice the schedule
 * (at least 5 minutes); for hourly-or-rarer jobs hourly periods covering the schedule plus one hour, all
 * of which must be empty to alarm. CloudWatch evaluates at most 7 days of hourly datapoints, so a job
 * rarer than weekly gets no such alarm (undefined) rather than one that would fire between runs.
 */
export function didNotRunWindow(
  expression: string,
  timeZone: string,
): { periodMs: number; periods: number } | undefined {
  const scheduleMs = schedulePeriodMs(expression, timeZone);
  if (scheduleMs < HOUR) {
    return {
      periodMs: Math.min(HOUR, Math.max(FIVE_MINUTES, Math.ceil((2 * scheduleMs) / 60_000) * 60_000)),
      periods: 1,
    };
  }
  if (scheduleMs > MAX_HOURLY_PERIODS * HOUR) return undefined;
  return { periodMs: HOUR, periods: Math.min(MAX_HOURLY_PERIODS, Math.ceil(scheduleMs / HOUR) + 1) };
}

export class ScheduledJob extends Construct {
  readonly function: LambdaFunction;
  readonly logGroup: LogGroup;
  readonly role: Role;
  readonly deadLetterQueue: Queue;
  readonly schedules: Schedule[] = [];
  readonly alarms: ReturnType<typeof nightshiftAlarm>[] = [];
  readonly jobName: string;
  private readonly context: NightshiftContext;
  private readonly severity: Severity;
  private readonly runbook?: string | undefined;
  private readonly boundSecrets = new Set<string>();
  private readonly envContract: EnvContract<unknown>;

  constructor(scope: Construct, id: string, props: ScheduledJobProps) {
    super(scope, id);
    const { context } = props;
    if (props.schedules.length === 0) throw new Error(`internal: ${props.jobName} was given no schedule`);
    const names = new Set<string>();
    for (const schedule of props.schedules) {
      parseSchedule(schedule.expression);
      if (names.has(schedule.name))
        throw new Error(`internal: ${props.jobName} was given schedule name "${schedule.name}" twice`);
      names.add(schedule.name);
    }
    this.context = context;
    this.jobName = props.jobName;
    this.severity = props.severity;
    this.runbook = props.runbook;
    this.envContract = props.environment.contract;

    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue', {
      context,
      queueName: `${context.project}-${props.jobName}-dlq`,
      holds: 'the schedules and of the function',
    });

    const fn = jobFunction(this, 'Function', {
      context,
      name: props.jobName,
      description: props.description,
      ...(props.code.kind === 'nodejs' ? { entry: props.code.entry } : { image: props.code.code }),
      timeout: props.timeout,
      memorySize: props.memorySize,
      environment: props.environment,
      vpc: props.vpc,
      deadLetterQueue: this.deadLetterQueue,
    });
    this.function = fn.function;
    this.logGroup = fn.logGroup;
    this.role = fn.role;

    // One role for this job's schedules, so its findings are acknowledged here and nowhere broader.
    const schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: `EventBridge Scheduler invoking ${context.project}-${props.jobName}`,
    });
    acknowledgeWildcard(
      schedulerRole,
      `${this.function.functionArn}:*`,
      'lambda:InvokeFunction on the job function and its versions; the scheduler invokes nothing else.',
    );
    for (const schedule of props.schedules) {
      this.schedules.push(
        new Schedule(this, `Schedule-${schedule.name}`, {
          scheduleName: `${context.project}-${props.jobName}-${schedule.name}`.slice(0, 64),
          description: `${props.description} (${schedule.expression}, ${context.timeZone})`,
          schedule: ScheduleExpression.expression(schedule.expression, TimeZone.of(context.timeZone)),
          target: new LambdaInvoke(this.function, {
            role: schedulerRole,
            input: ScheduleTargetInput.fromObject({ schedule: schedule.name, ...schedule.input }),
            deadLetterQueue: this.deadLetterQueue,
            retryAttempts: props.retryAttempts ?? 2,
            maxEventAge: props.maxEventAge ?? Duration.hours(1),
          }),
        }),
      );
    }
    grantSendToQueue(schedulerRole, this.deadLetterQueue);
    this.createJobAlarms(props.schedules, props.didNotRunAlarm ?? true, props.failedSummary);
  }

  private createJobAlarms(schedules: JobSchedule[], didNotRun: boolean, failedSummary?: string): void {
    const target = this.jobName;
    this.addAlarm('Failed', {
      name: `${this.jobName}-failed`,
      metric: this.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      // Lambda publishes Errors (0 without errors) only for periods with invocations: a daily job's
      // failure must stay in ALARM until its next run succeeds, not resolve itself 5 minutes later
      treatMissingData: TreatMissingData.IGNORE,
      target,
      summary: failedSummary ?? `${this.jobName} job failed`,
    });
    // The most frequent schedule decides how soon a missing run is noticed.
    const windows = schedules
      .map((s) => didNotRunWindow(s.expression, this.context.timeZone))
      .filter((w): w is { periodMs: number; periods: number } => w !== undefined);
    const window = windows.reduce<(typeof windows)[number] | undefined>(
      (best, w) => (best && best.periodMs * best.periods <= w.periodMs * w.periods ? best : w),
      undefined,
    );
    if (window && didNotRun) {
      this.addAlarm('DidNotRun', {
        name: `${this.jobName}-did-not-run`,
        metric: zeroFilled(
          this.function.metricInvocations({ period: Duration.millis(window.periodMs), statistic: 'Sum' }),
        ),
        threshold: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: window.periods,
        datapointsToAlarm: window.periods,
        treatMissingData: TreatMissingData.BREACHING,
        target,
        summary: `${this.jobName} job did not run`,
      });
    }
    this.addAlarm('DeadLetters', {
      name: `${this.jobName}-dlq`,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      target,
      summary: `${this.jobName} has undelivered schedule events in its dead-letter queue`,
    });
  }

  /** Adds an alarm with this job's defaults (severity, runbook), routed like every Nightshift alarm. */
  addAlarm(
    id: string,
    props: Omit<NightshiftAlarmProps, 'context' | 'severity' | 'metric'> & {
      severity?: Severity;
      metric: IMetric;
    },
  ) {
    const alarm = nightshiftAlarm(this, id, {
      context: this.context,
      severity: this.severity,
      runbook: this.runbook,
      ...props,
    });
    this.alarms.push(alarm);
    return alarm;
  }

  /** Sets one variable of the job's contract; any other name throws (it would never be read). */
  addEnvironment(key: string, value: string): void {
    assertDeclared(this.envContract, key);
    this.function.addEnvironment(key, value);
  }

  /**
   * Gives the job access to one prefix of a bucket and tells it where via environment variables.
   * write: put, tag, abort and list parts of its own uploads — never delete. read: get and list the prefix.
   */
  bindBucket(bucket: IBucket, binding: BucketBinding): void {
    const prefix = binding.prefix.replace(/^\/+/, '');
    this.addEnvironment(binding.variables.bucket, bucket.bucketName);
    this.addEnvironment(binding.variables.prefix, prefix);
    grantPrefix(this.role, bucket, { prefix, access: binding.access, objectLock: binding.objectLock });
  }

  /**
   * Grants read access to one secret reference (a Secrets Manager name or ARN, or an SSM SecureString
   * written ssm:/name; grants.ts grantSecretRead) and, if given, puts the reference (never its value)
   * into that variable of the job's contract.
   */
  bindSecret(ref: string, envVar?: string): void {
    if (envVar) assertDeclared(this.envContract, envVar);
    if (!this.boundSecrets.has(ref)) {
      const id = `Secret${this.boundSecrets.size}`;
      grantSecretRead(this, id, this.role, ref, this.context.config.ssmParameterKey);
      this.boundSecrets.add(ref);
    }
    if (envVar) this.addEnvironment(envVar, ref);
  }
}
