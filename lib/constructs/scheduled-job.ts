/**
 * One job = one construct (DESIGN "Shape"), for both runtimes: a Lambda function with the project
 * defaults, or an ECS Fargate task (one task definition per schedule) started by the scheduler. Written
 * once for both: its log group, EventBridge Scheduler schedules in the project's time zone (one scheduler
 * role, retry policy, maximum event age, the jobs' shared DLQ), the environment contract, least-privilege
 * bindings (bucket prefix, secrets), and the alarms every job has — "failed" and "did not run" (from
 * Lambda's metrics, so Lambda only: a Fargate job reports its failures in its own metrics); "DLQ not
 * empty" is the shared jobs-dlq alarm. The runtime is the only difference.
 */
import { Duration, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import { ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IVpc } from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import {
  type ContainerDefinition,
  type ContainerImage,
  CpuArchitecture,
  FargateTaskDefinition,
  type ICluster,
  LogDrivers,
  OperatingSystemFamily,
} from 'aws-cdk-lib/aws-ecs';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { DockerImageCode, type Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import {
  type IScheduleTarget,
  Schedule,
  ScheduleExpression,
  ScheduleTargetInput,
} from 'aws-cdk-lib/aws-scheduler';
import { EcsRunFargateTask, LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DID_NOT_RUN_VALUE, FAILED_OR_DID_NOT_RUN } from '../../lambdas/alert-router/event';
import {
  assertDeclared,
  type BucketVariables,
  type EnvContract,
  type WrittenEnv,
} from '../../lambdas/shared/env';
import { parseSchedule, type Severity, schedulePeriodMs } from '../config/primitives';
import { filledWith, type NightshiftAlarmProps, nightshiftAlarm, zeroFilled } from './alarms';
import type { NightshiftContext } from './context';
import { jobFunction, jobLogGroup } from './function-defaults';
import { grantPrefix, grantSecretRead, grantSendToQueue } from './grants';
import { jobsDeadLetterQueue } from './jobs-dead-letter-queue';
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
  /** Event passed to the function (Lambda). No secrets: names and ARNs only. */
  readonly input?: Record<string, unknown>;
  /** What this schedule starts, for its description. @default the job's description */
  readonly description?: string;
}

/**
 * The Fargate runtime: one task definition per schedule (`<project>-<job>-<schedule>`), ARM64, read-only
 * root file system, in config.network's subnets and security groups, logging to the job's log group.
 */
export interface FargateRuntime {
  /** The cluster the tasks run in, in config.network's VPC (the caller may share one between jobs). */
  readonly cluster: (vpc: IVpc) => ICluster;
  readonly image: ContainerImage;
  readonly containerName: string;
  readonly entryPoint: string[];
  /** The container's command for one schedule, e.g. the action it runs. */
  readonly command: (schedule: JobSchedule) => string[];
  /** A valid Fargate combination (backup.ts fargateSize). */
  readonly cpu: number;
  readonly memoryLimitMiB: number;
}

/** A Lambda job: the function's code and settings. */
export interface LambdaJobProps {
  readonly runtime?: 'lambda';
  readonly code: JobCode;
  /** @default 1 minute */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** Run inside config.network. @default false */
  readonly vpc?: boolean;
}

/** A Fargate job: always inside config.network. */
export interface FargateJobProps {
  readonly runtime: 'fargate';
  readonly fargate: FargateRuntime;
}

export type ScheduledJobProps = JobCommonProps & (LambdaJobProps | FargateJobProps);

export interface JobCommonProps {
  readonly context: NightshiftContext;
  /** Kebab-case job name, e.g. "health-check" or "backup-postgres"; prefixes resource names. */
  readonly jobName: string;
  readonly description: string;
  /** At least one schedule. */
  readonly schedules: JobSchedule[];
  /** Severity of the job's own alarms (failed, did not run, DLQ). */
  readonly severity: Severity;
  readonly runbook?: string | undefined;
  /**
   * The job's environment, written by its contract (lambdas/<job>/env.ts); later additions
   * (addEnvironment, bindBucket, bindSecret) must be variables of the same contract.
   */
  readonly environment: WrittenEnv;
  /** Scheduler retries of a failed invocation. @default 2 */
  readonly retryAttempts?: number;
  /** How long Scheduler keeps retrying an event. @default 1 hour */
  readonly maxEventAge?: Duration;
  /**
   * Create the `-did-not-run` alarm (Lambda: from its Invocations). Off when another alarm of the job already pages for a run that
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

/** What differs between the runtimes: the wording of the scheduler's descriptions. */
const RUNTIME_WORDS = {
  lambda: { scheduler: (job: string) => `EventBridge Scheduler invoking ${job}` },
  fargate: { scheduler: (job: string) => `EventBridge Scheduler starting ${job} tasks` },
} as const;

/** An alarm of a job: a Nightshift alarm whose severity and runbook default to the job's. */
export type JobAlarmProps = Omit<NightshiftAlarmProps, 'context' | 'severity'> & {
  readonly severity?: Severity;
};

export class ScheduledJob extends Construct {
  readonly runtime: 'lambda' | 'fargate';
  readonly logGroup: LogGroup;
  /** The role the job's code runs as (Lambda execution role or Fargate task role). */
  readonly role: Role;
  readonly deadLetterQueue: Queue;
  readonly schedules: Schedule[] = [];
  readonly alarms: ReturnType<typeof nightshiftAlarm>[] = [];
  /** Fargate: the task definition of each schedule, by schedule name. */
  readonly tasks: Record<string, FargateTaskDefinition> = {};
  readonly jobName: string;
  private readonly lambda?: LambdaFunction;
  private readonly containers: ContainerDefinition[] = [];
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
    this.runtime = props.runtime ?? 'lambda';
    const words = RUNTIME_WORDS[this.runtime];
    const fullName = `${context.project}-${props.jobName}`;

    // one queue and one alarm for every job (lib/constructs/jobs-dead-letter-queue.ts)
    this.deadLetterQueue = jobsDeadLetterQueue(this, context, {
      name: props.jobName,
      severity: props.severity,
    });

    // One role for this job's schedules, so its findings are acknowledged here and nowhere broader.
    const schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: words.scheduler(fullName),
    });
    const retry = {
      role: schedulerRole,
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: props.retryAttempts ?? 2,
      maxEventAge: props.maxEventAge ?? Duration.hours(1),
    };

    let target: (schedule: JobSchedule) => IScheduleTarget;
    if (props.runtime === 'fargate') {
      const network = context.network;
      if (!network) {
        throw new Error(
          `${props.jobName}: runtime fargate needs config.network (subnets and security groups for the task)`,
        );
      }
      const cluster = props.fargate.cluster(network.vpc);
      const stack = Stack.of(this);
      acknowledgeWildcard(
        schedulerRole,
        `arn:${stack.partition}:ecs:${cluster.env.region}:${stack.account}:task/${cluster.clusterName}/*`,
        'ecs:TagResource on the tasks this job starts in its cluster (propagated tags); a task id exists only once the task runs.',
      );
      // construct ids kept from the hand-built Fargate backup job, so deployed stacks keep their resources
      this.logGroup = jobLogGroup(this, 'Logs', context, props.jobName);
      this.role = new Role(this, 'TaskRole', {
        assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'),
        description: `Runs ${fullName} (Fargate)`,
      });
      target = (schedule) =>
        new EcsRunFargateTask(cluster, {
          ...retry,
          taskDefinition: this.fargateTask(props.fargate, schedule, props.environment),
          vpcSubnets: { subnets: network.subnets },
          securityGroups: network.securityGroups,
          assignPublicIp: false,
          propagateTags: true,
        });
    } else {
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
      this.lambda = fn.function;
      this.logGroup = fn.logGroup;
      this.role = fn.role;
      acknowledgeWildcard(
        schedulerRole,
        `${fn.function.functionArn}:*`,
        'lambda:InvokeFunction on the job function and its versions; the scheduler invokes nothing else.',
      );
      target = (schedule) =>
        new LambdaInvoke(fn.function, {
          ...retry,
          input: ScheduleTargetInput.fromObject({ schedule: schedule.name, ...schedule.input }),
        });
    }

    for (const schedule of props.schedules) {
      this.schedules.push(
        new Schedule(this, `Schedule-${schedule.name}`, {
          scheduleName: `${fullName}-${schedule.name}`.slice(0, 64),
          description: `${schedule.description ?? props.description} (${schedule.expression}, ${context.timeZone})`,
          schedule: ScheduleExpression.expression(schedule.expression, TimeZone.of(context.timeZone)),
          target: target(schedule),
        }),
      );
    }
    grantSendToQueue(schedulerRole, this.deadLetterQueue);
    this.createJobAlarms(props.schedules, props.didNotRunAlarm ?? true, props.failedSummary);
  }

  /** The Lambda function (runtime lambda); a Fargate job has none. */
  get function(): LambdaFunction {
    if (!this.lambda) throw new Error(`${this.jobName}: a Fargate job has no Lambda function`);
    return this.lambda;
  }

  private fargateTask(runtime: FargateRuntime, schedule: JobSchedule, environment: WrittenEnv) {
    const task = new FargateTaskDefinition(this, `Task-${schedule.name}`, {
      family: `${this.context.project}-${this.jobName}-${schedule.name}`,
      cpu: runtime.cpu,
      memoryLimitMiB: runtime.memoryLimitMiB,
      taskRole: this.role,
      runtimePlatform: {
        cpuArchitecture: CpuArchitecture.ARM64,
        operatingSystemFamily: OperatingSystemFamily.LINUX,
      },
    });
    this.containers.push(
      task.addContainer(runtime.containerName, {
        image: runtime.image,
        entryPoint: runtime.entryPoint,
        command: runtime.command(schedule),
        environment: { ...environment.variables },
        logging: LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: schedule.name }),
        readonlyRootFilesystem: true,
        stopTimeout: Duration.seconds(30),
      }),
    );
    Validations.of(task).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason: 'Only names are passed in environment variables (bucket, prefix, secret NAME); no values.',
    });
    this.tasks[schedule.name] = task;
    return task;
  }

  private createJobAlarms(schedules: JobSchedule[], didNotRun: boolean, failedSummary?: string): void {
    // the "DLQ not empty" page is the shared jobs-dlq alarm's (jobs-dead-letter-queue.ts)
    if (this.lambda) this.lambdaAlarms(this.lambda, schedules, didNotRun, failedSummary);
  }

  /**
   * -failed (Errors) and -did-not-run (Invocations): Lambda publishes both; ECS has no such metrics.
   * A job that runs more often than hourly gets ONE alarm for both: Lambda publishes Errors (0 without
   * errors) for every period with an invocation, so Errors over the did-not-run window, with a period
   * without any filled with 0.5, pages for a failed run and for no run at all ($0.10 an alarm metric
   * saved). The router tells the two apart by the value (lambdas/alert-router/event.ts
   * mergedJobSummary). A rarer job keeps two alarms: its Errors must ignore the hours between runs.
   */
  private lambdaAlarms(
    fn: LambdaFunction,
    schedules: JobSchedule[],
    didNotRun: boolean,
    failedSummary?: string,
  ): void {
    const target = this.jobName;
    // The most frequent schedule decides how soon a missing run is noticed.
    const windows = schedules
      .map((s) => didNotRunWindow(s.expression, this.context.timeZone))
      .filter((w): w is { periodMs: number; periods: number } => w !== undefined);
    const window = windows.reduce<(typeof windows)[number] | undefined>(
      (best, w) => (best && best.periodMs * best.periods <= w.periodMs * w.periods ? best : w),
      undefined,
    );
    if (window && didNotRun && window.periods === 1) {
      this.addAlarm('Failed', {
        name: `${this.jobName}-failed`,
        // a period without a run reads DID_NOT_RUN_VALUE (0.5): breaching, and told apart from a
        // failure (a whole number of errors) by the router; a range without any datapoint is breaching
        metric: filledWith(
          fn.metricErrors({ period: Duration.millis(window.periodMs), statistic: 'Sum' }),
          DID_NOT_RUN_VALUE,
        ),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.BREACHING,
        target,
        summary: `${failedSummary ?? `${this.jobName} job failed`} ${FAILED_OR_DID_NOT_RUN}`,
      });
      return;
    }
    this.addAlarm('Failed', {
      name: `${this.jobName}-failed`,
      metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      // Lambda publishes Errors (0 without errors) only for periods with invocations: a daily job's
      // failure must stay in ALARM until its next run succeeds, not resolve itself 5 minutes later
      treatMissingData: TreatMissingData.IGNORE,
      target,
      summary: failedSummary ?? `${this.jobName} job failed`,
    });
    if (window && didNotRun) {
      this.addAlarm('DidNotRun', {
        name: `${this.jobName}-did-not-run`,
        metric: zeroFilled(
          fn.metricInvocations({ period: Duration.millis(window.periodMs), statistic: 'Sum' }),
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
  }

  /** Adds an alarm with this job's defaults (severity, runbook), routed like every Nightshift alarm. */
  addAlarm(id: string, props: JobAlarmProps) {
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
    this.lambda?.addEnvironment(key, value);
    for (const container of this.containers) container.addEnvironment(key, value);
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
