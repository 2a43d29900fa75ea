/**
 * Log archiving (docs/log-archive.md): the daily job that archives yesterday's CloudWatch Logs to the
 * log bucket (`mode: api`), the export state machine (`mode: export-task`), Firehose delivery streams
 * with subscription filters (`mode: firehose`), the retention of the configured named log groups, and
 * the alarms: job failed (ScheduledJob), day not archived by the deadline, sustained throttling,
 * export failed.
 */
import { join } from 'node:path';
import { Duration, Size, Stack, Validations } from 'aws-cdk-lib';
import { ComparisonOperator, GraphWidget, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { DeliveryStream, S3Bucket, StreamEncryption } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { FilterPattern, LogGroup, RetentionDays, SubscriptionFilter } from 'aws-cdk-lib/aws-logs';
import { FirehoseDestination } from 'aws-cdk-lib/aws-logs-destinations';
import { type IBucket, type LifecycleRule, StorageClass } from 'aws-cdk-lib/aws-s3';
import {
  Choice,
  Condition,
  DefinitionBody,
  Fail,
  JsonPath,
  LogLevel,
  Map as MapState,
  Pass,
  StateMachine,
  Succeed,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { CallAwsService } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import {
  EXPORT_STATE_MACHINE_VAR,
  LOG_BUCKET_VARS,
  logArchiveEnvironment,
} from '../../lambdas/log-archive/env';
import { ARCHIVE_PREFIX, groupPath } from '../../lambdas/log-archive/keys';
import {
  LogArchiveMetric,
  type LogArchiveMetricName,
  logArchiveDimensions,
} from '../../lambdas/log-archive/metrics';
import { METRICS_NAMESPACE } from '../../lambdas/shared/metrics';
import type { LogArchiveConfig } from '../config/schema';
import type { NightshiftContext } from './context';
import { acknowledgeTracingOff, jobLogGroup, tracingEnabled } from './function-defaults';
import { acknowledgeWildcard, acknowledgeWildcardAction } from './nag';
import { JobCode, ScheduledJob } from './scheduled-job';

const STORAGE_CLASS: Record<LogArchiveConfig['cold']['transitions'][number]['storageClass'], StorageClass> = {
  STANDARD_IA: StorageClass.INFREQUENT_ACCESS,
  INTELLIGENT_TIERING: StorageClass.INTELLIGENT_TIERING,
  GLACIER_IR: StorageClass.GLACIER_INSTANT_RETRIEVAL,
  GLACIER: StorageClass.GLACIER,
  DEEP_ARCHIVE: StorageClass.DEEP_ARCHIVE,
};

/** Key prefix of everything the log archive writes: the job's own key layout (keys.ts). */
export const LOG_ARCHIVE_PREFIX = ARCHIVE_PREFIX;

/**
 * The log bucket's lifecycle for archives: the cold transitions and the expiry, for everything under
 * logs/. S3 does not transition objects smaller than 128 KiB (the job rolls parts at ≥ 128 KiB).
 * The config is valid (validateConfig): STANDARD_IA after ≥ 30 days, the expiry after every transition.
 */
export function logArchiveLifecycleRules(config: LogArchiveConfig): LifecycleRule[] {
  const transitions = [...config.cold.transitions].sort((a, b) => a.afterDays - b.afterDays);
  return [
    {
      id: 'log-archive-cold-storage',
      prefix: LOG_ARCHIVE_PREFIX,
      transitions: transitions.map((t) => ({
        storageClass: STORAGE_CLASS[t.storageClass],
        transitionAfter: Duration.days(t.afterDays),
      })),
      expiration: Duration.days(config.cold.expireAfterDays),
    },
  ];
}

/**
 * Everything the log bucket itself needs (call once, on the DataStack's bucket and key): the lifecycle
 * rules, and — when a group uses mode export-task — the bucket and key policy statements that let
 * CloudWatch Logs write export objects under logs/_export/.
 */
export function configureLogArchiveBucket(
  bucket: {
    addLifecycleRule(rule: LifecycleRule): void;
    addToResourcePolicy: IBucket['addToResourcePolicy'];
    bucketArn: string;
    stack: Stack;
  },
  key: IKey | undefined,
  config: LogArchiveConfig,
): void {
  for (const rule of logArchiveLifecycleRules(config)) bucket.addLifecycleRule(rule);
  if (!config.groups.some((g) => g.mode === 'export-task')) return;
  const stack = bucket.stack;
  const logs = new ServicePrincipal(`logs.${stack.region}.amazonaws.com`);
  const sourceAccount = { StringEquals: { 'aws:SourceAccount': stack.account } };
  bucket.addToResourcePolicy(
    new PolicyStatement({
      principals: [logs],
      actions: ['s3:GetBucketAcl'],
      resources: [bucket.bucketArn],
      conditions: sourceAccount,
    }),
  );
  bucket.addToResourcePolicy(
    new PolicyStatement({
      principals: [logs],
      actions: ['s3:PutObject'],
      resources: [`${bucket.bucketArn}/${LOG_ARCHIVE_PREFIX}_export/*`],
      conditions: {
        StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceAccount': stack.account },
      },
    }),
  );
  // Export tasks write with the bucket's key (none with encryption: aws-managed: SSE-S3).
  key?.addToResourcePolicy(
    new PolicyStatement({
      principals: [logs],
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: ['*'],
      conditions: sourceAccount,
    }),
  );
}

export interface LogArchiveProps {
  readonly context: NightshiftContext;
  /** Compressed bytes per archive object before the job rolls a new part. @default 8 MiB */
  readonly partTargetBytes?: number;
}

type Selector = LogArchiveConfig['groups'][number];

export class LogArchive extends Construct {
  readonly job: ScheduledJob;
  readonly exportStateMachine?: StateMachine;
  readonly deliveryStreams: DeliveryStream[] = [];

  constructor(scope: Construct, id: string, props: LogArchiveProps) {
    super(scope, id);
    const { context } = props;
    const config = context.config.logArchive;
    // the stack creates the archive only with a logArchive section, which validateConfig has checked
    if (!config) throw new Error('internal: LogArchive built without config.logArchive');
    const stack = Stack.of(this);
    const groupArn = (pattern: string) =>
      `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:${pattern}`;
    const functionName = `${context.project}-log-archive`;

    this.job = new ScheduledJob(this, 'Job', {
      context,
      jobName: 'log-archive',
      description: 'Archives the previous day of CloudWatch Logs to S3 (zstd NDJSON, manifest)',
      code: JobCode.nodejs(join(import.meta.dirname, '..', '..', 'lambdas', 'log-archive', 'handler.ts')),
      schedules: [
        { name: 'daily', expression: config.schedule, input: { action: 'archive' } },
        // the deadline check: ArchivedDay / ArchiveLagHours every 15 minutes
        { name: 'deadline-check', expression: 'cron(0/15 * * * ? *)', input: { action: 'check' } },
      ],
      severity: 'medium',
      timeout: Duration.minutes(15),
      memorySize: 1024,
      // NODE_OPTIONS carries LOG_ARCHIVE_NODE_FLAGS: flat memory whatever the volume (bench/log-archive)
      environment: logArchiveEnvironment({
        project: context.project,
        timeZone: context.timeZone,
        config,
        partTargetBytes: props.partTargetBytes,
      }),
    });
    const role = this.job.role;
    this.job.bindBucket(context.logBucket, {
      variables: LOG_BUCKET_VARS,
      prefix: LOG_ARCHIVE_PREFIX,
      access: 'readwrite',
    });
    // no s3:DeleteObject: each run writes its parts under a run-unique key that the manifest lists
    // (lambdas/log-archive/keys.ts), so a re-archive never removes or overwrites another run's parts

    // Reading: only the configured groups. Names and prefixes become ARNs; tag selectors are limited
    // by the tag itself (aws:ResourceTag). DescribeLogGroups has no resource-level permissions.
    const api = config.groups.filter((g) => g.mode === 'api');
    const patterns = api.flatMap((g) => namePatterns(g));
    if (patterns.length) {
      const resources = patterns.map((p) => groupArn(`${p}:*`));
      role.addToPrincipalPolicy(new PolicyStatement({ actions: ['logs:FilterLogEvents'], resources }));
      for (const resource of resources) {
        acknowledgeWildcard(
          role,
          resource,
          'FilterLogEvents on one configured log group (or name prefix); ":*" covers its streams.',
        );
      }
    }
    for (const g of api.filter((s) => s.tag)) {
      const tag = g.tag as { key: string; value?: string };
      role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['logs:FilterLogEvents', 'logs:ListTagsForResource'],
          resources: [groupArn('*')],
          conditions: tag.value
            ? { StringEquals: { [`aws:ResourceTag/${tag.key}`]: tag.value } }
            : { Null: { [`aws:ResourceTag/${tag.key}`]: 'false' } },
        }),
      );
    }
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['logs:DescribeLogGroups'], resources: [groupArn('*')] }),
    );
    acknowledgeWildcard(
      role,
      groupArn('*'),
      'DescribeLogGroups has no resource-level permissions (it lists names, no log data); tag selectors read only groups carrying the tag (aws:ResourceTag condition).',
    );
    // continuing after a checkpoint: the function invokes itself (ARN by name, no dependency cycle)
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [
          `arn:${stack.partition}:lambda:${stack.region}:${stack.account}:function:${functionName}`,
        ],
      }),
    );

    const exportGroups = config.groups.filter((g) => g.mode === 'export-task');
    if (exportGroups.length) {
      this.exportStateMachine = this.exportMachine(context, exportGroups, groupArn);
      this.job.addEnvironment(EXPORT_STATE_MACHINE_VAR, this.exportStateMachine.stateMachineArn);
      this.exportStateMachine.grantStartExecution(role);
      const executions = `arn:${stack.partition}:states:${stack.region}:${stack.account}:execution:${context.project}-log-export:*`;
      role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executions] }),
      );
      acknowledgeWildcard(
        role,
        executions,
        'DescribeExecution on executions of the log export state machine only.',
      );
      // export-task groups are resolved (names, prefixes, tags) by the job before it starts the export
      if (exportGroups.some((g) => g.tag)) {
        role.addToPrincipalPolicy(
          new PolicyStatement({ actions: ['logs:ListTagsForResource'], resources: [groupArn('*')] }),
        );
      }
    }

    for (const selector of config.groups.filter((g) => g.mode === 'firehose')) {
      this.deliveryStreams.push(this.firehose(context, selector.name as string));
    }

    if (config.manageRetention) this.retention(context, config, groupArn);
    this.alarms(context, config);
  }

  private exportMachine(
    context: NightshiftContext,
    groups: Selector[],
    groupArn: (pattern: string) => string,
  ): StateMachine {
    const patterns = groups.flatMap((g) => namePatterns(g));
    const tagged = groups.some((g) => g.tag);
    const exportResources = tagged ? [groupArn('*')] : patterns.map((p) => groupArn(`${p}:*`));
    const create = new CallAwsService(this, 'CreateExportTask', {
      service: 'cloudwatchlogs',
      action: 'createExportTask',
      iamAction: 'logs:CreateExportTask',
      iamResources: exportResources,
      parameters: {
        TaskName: JsonPath.format('{}-{}', JsonPath.stringAt('$.date'), JsonPath.stringAt('$.group')),
        LogGroupName: JsonPath.stringAt('$.group'),
        From: JsonPath.numberAt('$.from'),
        To: JsonPath.numberAt('$.to'),
        Destination: JsonPath.stringAt('$.bucket'),
        DestinationPrefix: JsonPath.stringAt('$.destinationPrefix'),
      },
      resultPath: '$.task',
    });
    // one running export task per account: wait and retry while another one runs
    create.addRetry({
      errors: ['CloudWatchLogs.LimitExceededException'],
      interval: Duration.minutes(1),
      maxAttempts: 90,
      backoffRate: 1,
    });
    create.addRetry({
      errors: ['CloudWatchLogs.ThrottlingException'],
      interval: Duration.seconds(10),
      maxAttempts: 6,
      backoffRate: 2,
    });
    const describe = new CallAwsService(this, 'DescribeExportTask', {
      service: 'cloudwatchlogs',
      action: 'describeExportTasks',
      iamAction: 'logs:DescribeExportTasks',
      iamResources: ['*'],
      parameters: { TaskId: JsonPath.stringAt('$.task.TaskId') },
      resultSelector: { code: JsonPath.stringAt('$.ExportTasks[0].Status.Code') },
      resultPath: '$.status',
    });
    describe.addRetry({
      errors: ['CloudWatchLogs.ThrottlingException'],
      interval: Duration.seconds(10),
      maxAttempts: 6,
      backoffRate: 2,
    });
    const wait = new Wait(this, 'WaitForExport', { time: WaitTime.duration(Duration.seconds(30)) });
    const failed = new Pass(this, 'GroupFailed', {
      parameters: { outcome: 'failed' },
      outputPath: '$.outcome',
    });
    const done = new Pass(this, 'GroupDone', { parameters: { outcome: 'ok' }, outputPath: '$.outcome' });
    create.addCatch(failed, { resultPath: '$.error' });
    describe.addCatch(failed, { resultPath: '$.error' });
    const item = create
      .next(wait)
      .next(describe)
      .next(
        new Choice(this, 'ExportFinished?')
          .when(Condition.stringEquals('$.status.code', 'COMPLETED'), done)
          .when(
            Condition.or(
              Condition.stringEquals('$.status.code', 'FAILED'),
              Condition.stringEquals('$.status.code', 'CANCELLED'),
            ),
            failed,
          )
          .otherwise(wait),
      );
    const each = new MapState(this, 'EachGroup', {
      itemsPath: '$.groups',
      maxConcurrency: 1,
      itemSelector: {
        group: JsonPath.stringAt('$$.Map.Item.Value.group'),
        destinationPrefix: JsonPath.stringAt('$$.Map.Item.Value.destinationPrefix'),
        date: JsonPath.stringAt('$.date'),
        from: JsonPath.numberAt('$.from'),
        to: JsonPath.numberAt('$.to'),
        bucket: JsonPath.stringAt('$.bucket'),
      },
      resultPath: '$.outcomes',
    });
    each.itemProcessor(item);
    const summary = new Pass(this, 'AnyFailed', {
      parameters: { failed: JsonPath.arrayContains(JsonPath.listAt('$.outcomes'), 'failed') },
    });
    const definition = each.next(summary).next(
      new Choice(this, 'AllExported?')
        .when(
          Condition.booleanEquals('$.failed', true),
          new Fail(this, 'ExportFailed', {
            error: 'ExportFailed',
            cause: 'at least one log group export failed; see the execution history',
          }),
        )
        .otherwise(new Succeed(this, 'Exported')),
    );
    const logGroup = jobLogGroup(this, 'ExportLogs', context, 'log-export', {
      retention: RetentionDays.ONE_MONTH,
    });
    const machine = new StateMachine(this, 'ExportStateMachine', {
      stateMachineName: `${context.project}-log-export`,
      definitionBody: DefinitionBody.fromChainable(definition),
      timeout: Duration.hours(23),
      tracingEnabled: tracingEnabled(context),
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
    });
    acknowledgeTracingOff(machine, context);
    if (tagged || exportResources.some((r) => r.includes('*'))) {
      for (const resource of exportResources) {
        acknowledgeWildcard(
          machine.role,
          resource,
          'CreateExportTask on the configured export-task log groups (prefix or tag) only.',
        );
      }
    }
    acknowledgeWildcard(
      machine.role,
      '*',
      'DescribeExportTasks and X-Ray/log delivery have no resource-level permissions.',
    );
    this.job.addAlarm('ExportFailed', {
      name: 'log-export-failed',
      metric: machine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      target: 'log-archive/export-task',
      summary: 'a CloudWatch Logs export task of the log archive failed',
    });
    return machine;
  }

  private firehose(context: NightshiftContext, group: string): DeliveryStream {
    const path = groupPath(group);
    const id = `Firehose-${path.replace(/[^A-Za-z0-9]/g, '-')}`;
    const stream = new DeliveryStream(this, id, {
      deliveryStreamName: `${context.project}-logs-${path.replace(/[^A-Za-z0-9_.-]/g, '-')}`.slice(0, 64),
      encryption: context.key
        ? StreamEncryption.customerManagedKey(context.key)
        : StreamEncryption.awsOwnedKey(),
      destination: new S3Bucket(context.logBucket, {
        dataOutputPrefix: `${LOG_ARCHIVE_PREFIX}_firehose/${path}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/`,
        errorOutputPrefix: `${LOG_ARCHIVE_PREFIX}_firehose-errors/${path}/!{firehose:error-output-type}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/`,
        ...(context.key ? { encryptionKey: context.key } : {}),
        bufferingInterval: Duration.minutes(5),
        bufferingSize: Size.mebibytes(64),
      }),
    });
    for (const child of stream.node.findAll()) {
      if (child.node.id !== 'DefaultPolicy') continue;
      for (const action of [
        'kms:ReEncrypt*',
        'kms:GenerateDataKey*',
        's3:GetObject*',
        's3:GetBucket*',
        's3:List*',
        's3:DeleteObject*',
        's3:Abort*',
      ]) {
        acknowledgeWildcardAction(
          child,
          action,
          'aws-cdk-lib Firehose S3 destination and stream-encryption grants (fixed by aws-cdk-lib): the log bucket and the project key only.',
        );
      }
      acknowledgeWildcard(
        child,
        context.logBucket.arnForObjects('*'),
        'aws-cdk-lib Firehose S3 destination grant: objects of the log bucket it delivers to.',
      );
    }
    new SubscriptionFilter(this, `${id}-Subscription`, {
      logGroup: LogGroup.fromLogGroupName(this, `${id}-Group`, group),
      destination: new FirehoseDestination(stream),
      filterPattern: FilterPattern.allEvents(),
      filterName: `${context.project}-log-archive`,
    });
    return stream;
  }

  private retention(
    context: NightshiftContext,
    config: LogArchiveConfig,
    groupArn: (pattern: string) => string,
  ): void {
    const named = config.groups.flatMap((g) => (g.name ? [g.name] : []));
    if (named.length === 0) return;
    const resources = named.map((name) => groupArn(name));
    // the provider function's own logs: otherwise Lambda creates /aws/lambda/<provider> with no
    // retention and no encryption. Every AwsCustomResource here passes the same group, since the
    // provider is one function per stack.
    const providerLogs = jobLogGroup(this, 'RetentionProviderLogs', context, 'log-retention-provider');
    for (const [i, name] of named.entries()) {
      const call = {
        service: 'CloudWatchLogs',
        action: 'putRetentionPolicy',
        parameters: { logGroupName: name, retentionInDays: config.hotRetentionDays },
        physicalResourceId: PhysicalResourceId.of(`retention:${name}`),
      };
      new AwsCustomResource(this, `Retention${i}`, {
        onCreate: call,
        onUpdate: call,
        // on delete the group keeps its retention: removing it would keep logs forever
        policy: AwsCustomResourcePolicy.fromStatements([
          new PolicyStatement({ effect: Effect.ALLOW, actions: ['logs:PutRetentionPolicy'], resources }),
        ]),
        installLatestAwsSdk: false,
        logGroup: providerLogs,
      });
    }
    // the provider function AwsCustomResource shares across the stack
    const provider = Stack.of(this).node.tryFindChild('AWS679f53fac002430cb0da5b7982bd2287');
    if (provider) {
      const reasons: Record<string, string> = {
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]':
          'aws-cdk-lib AwsCustomResource provider: the basic execution role only lets it write its own logs; its PutRetentionPolicy grant is limited to the configured groups.',
        'Serverless-LambdaDefaultMemorySize':
          'aws-cdk-lib AwsCustomResource provider: runs one SDK call at deploy time; its memory is set by aws-cdk-lib.',
        'Serverless-LambdaDLQ':
          'aws-cdk-lib AwsCustomResource provider: invoked synchronously by CloudFormation, which reports its failures.',
        'Serverless-LambdaTracing':
          'aws-cdk-lib AwsCustomResource provider: deploy-time only; CloudFormation events show its calls.',
      };
      for (const [id, reason] of Object.entries(reasons))
        Validations.of(provider).acknowledge({ id, reason });
    }
  }

  private alarms(context: NightshiftContext, config: LogArchiveConfig): void {
    const metric = (metricName: LogArchiveMetricName, statistic: string, period: Duration) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: logArchiveDimensions(context.project),
        statistic,
        period,
      });
    this.job.addAlarm('NotArchived', {
      name: 'log-archive-late',
      metric: metric(LogArchiveMetric.ArchivedDay, 'Minimum', Duration.minutes(15)),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      // a check that stops running is log-archive-failed's page (Errors, missing data breaching: no
      // invocation in 30 minutes); breaching here would also page
      // at every fresh deploy, before the first check
      treatMissingData: TreatMissingData.IGNORE,
      target: 'log-archive',
      summary: `the previous day's logs are not archived by ${config.deadline} (${context.timeZone}); if the run logs many throttles, raise the FilterLogEvents quota or move big groups to mode export-task`,
    });
    // No alarm on throttling: it matters only when it makes a day late (-late) or a run fail (-failed),
    // which page; the throttle count is on the dashboard and in the run's log line (`throttles`).
    context.dashboard.addSection('Log archive', [
      new GraphWidget({
        title: 'Events archived / throttles',
        left: [metric(LogArchiveMetric.LogEventsArchived, 'Sum', Duration.hours(1))],
        right: [metric(LogArchiveMetric.LogArchiveThrottles, 'Sum', Duration.hours(1))],
        width: 12,
      }),
      new GraphWidget({
        title: 'Archive lag (hours)',
        left: [metric(LogArchiveMetric.ArchiveLagHours, 'Maximum', Duration.minutes(15))],
        width: 12,
      }),
    ]);
  }
}

function namePatterns(selector: Selector): string[] {
  if (selector.name) return [selector.name];
  if (selector.prefix) return [`${selector.prefix}*`];
  return [];
}
