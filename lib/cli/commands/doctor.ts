/**
 * `nightshift doctor` — a read-only check of a deployed project, after `cdk deploy`. What to look for
 * comes from the synthesized app (lib/doctor/expected.ts); what is found comes from the account; the
 * verdicts are pure (lib/doctor/checks.ts). Exit 0 healthy, 1 not, 2 on usage errors or no credentials.
 */
import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandOutput,
  ListMetricsCommand,
  type ListMetricsCommandOutput,
} from '@aws-sdk/client-cloudwatch';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetBucketLifecycleConfigurationCommand, S3Client } from '@aws-sdk/client-s3';
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import {
  GetSMSAttributesCommand,
  GetSMSSandboxAccountStatusCommand,
  ListSubscriptionsByTopicCommand,
  type ListSubscriptionsByTopicCommandOutput,
  SNSClient,
} from '@aws-sdk/client-sns';
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type QueueAttributeName,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Command } from 'commander';
import { reasonOf } from '../../../lambdas/shared/redact';
import {
  ACTIVITY_WINDOW_MS,
  type CheckRow,
  type CheckStatus,
  checkAlarm,
  checkBucket,
  checkDeadLetterQueue,
  checkJob,
  checkSchedule,
  checkSms,
  checkSubscriptions,
  checkTable,
  type FunctionState,
  type ListedDimensions,
  type ListedSubscription,
  type QueueDepth,
  summarize,
} from '../../doctor/checks';
import {
  alarmRouterFunction,
  type ExpectedMetric,
  expectedFromTemplates,
  type SynthesizedStack,
} from '../../doctor/expected';
import {
  CliError,
  cliOptions,
  color,
  EXIT,
  loadConfigForCli,
  MissingCredentials,
  print,
  printJson,
  printTable,
  progress,
} from '../output';

export { MissingCredentials };

export interface DoctorClients {
  readonly cloudwatch: Pick<CloudWatchClient, 'send'>;
  readonly scheduler: Pick<SchedulerClient, 'send'>;
  readonly sqs: Pick<SQSClient, 'send'>;
  readonly sns: Pick<SNSClient, 'send'>;
  readonly s3: Pick<S3Client, 'send'>;
  readonly dynamo: Pick<DynamoDBClient, 'send'>;
  readonly lambda: Pick<LambdaClient, 'send'>;
}

export interface DoctorReport {
  readonly project: string;
  readonly region: string;
  readonly account: string;
  /** When the checks ran (ISO). */
  readonly at: string;
  readonly healthy: boolean;
  readonly counts: Readonly<Record<CheckStatus, number>>;
  readonly checks: readonly CheckRow[];
}

/** Resolves the credential provider chain once, so a missing login fails fast and clearly. */
export async function assertCredentials(resolve: () => Promise<unknown>, region: string): Promise<void> {
  try {
    await resolve();
  } catch (error) {
    throw new MissingCredentials(region, reasonOf(error));
  }
}

export function doctorClients(region: string) {
  return {
    cloudwatch: new CloudWatchClient({ region }),
    scheduler: new SchedulerClient({ region }),
    sqs: new SQSClient({ region }),
    sns: new SNSClient({ region }),
    s3: new S3Client({ region }),
    dynamo: new DynamoDBClient({ region }),
    lambda: new LambdaClient({ region }),
  } satisfies DoctorClients;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

/** Runs `fn` and returns undefined when it fails with one of the "does not exist" errors `names`. */
async function unlessMissing<T>(names: readonly string[], fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (error) {
    if (names.includes(errorName(error))) return undefined;
    throw error;
  }
}

/** Runs `fn` over `items`, at most `limit` at a time, keeping the order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      out[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Lambda writes LastModified as "2024-05-01T10:00:00.000+0000". */
function parseLastModified(text: string | undefined): Date | undefined {
  if (!text) return undefined;
  const date = new Date(text.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

async function functionConfiguration(clients: DoctorClients, name: string) {
  return unlessMissing(['ResourceNotFoundException'], () =>
    clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name })),
  );
}

/** Sums of AWS/Lambda Invocations and Errors per function over the last 24 hours. */
async function recentActivity(
  clients: DoctorClients,
  functions: readonly string[],
  now: Date,
): Promise<Map<string, { invocations: number; errors: number }>> {
  const sums = new Map(functions.map((name) => [name, { invocations: 0, errors: 0 }]));
  if (functions.length === 0) return sums;
  const query = (id: string, metric: string, name: string) => ({
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: 'AWS/Lambda',
        MetricName: metric,
        Dimensions: [{ Name: 'FunctionName', Value: name }],
      },
      Period: ACTIVITY_WINDOW_MS / 1000,
      Stat: 'Sum',
    },
    ReturnData: true,
  });
  const queries = functions.flatMap((name, i) => [
    query(`i${i}`, 'Invocations', name),
    query(`e${i}`, 'Errors', name),
  ]);
  let token: string | undefined;
  do {
    const page: GetMetricDataCommandOutput = await clients.cloudwatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: queries,
        StartTime: new Date(now.getTime() - ACTIVITY_WINDOW_MS),
        EndTime: now,
        NextToken: token,
      }),
    );
    for (const result of page.MetricDataResults ?? []) {
      const match = /^([ie])(\d+)$/.exec(result.Id ?? '');
      const name = match ? functions[Number(match[2])] : undefined;
      const entry = name ? sums.get(name) : undefined;
      if (!match || !entry) continue;
      const total = (result.Values ?? []).reduce((a, b) => a + b, 0);
      if (match[1] === 'i') entry.invocations += total;
      else entry.errors += total;
    }
    token = page.NextToken;
  } while (token);
  return sums;
}

/** The dimension sets ListMetrics knows for a metric queried with its full dimension set (supersets included). */
async function listedDimensions(clients: DoctorClients, metric: ExpectedMetric): Promise<ListedDimensions[]> {
  const found: ListedDimensions[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page: ListMetricsCommandOutput = await clients.cloudwatch.send(
      new ListMetricsCommand({
        Namespace: metric.namespace,
        MetricName: metric.metricName,
        Dimensions: metric.dimensions.map((d) => ({ Name: d.name, Value: d.value })),
        NextToken: token,
      }),
    );
    for (const m of page.Metrics ?? []) {
      found.push((m.Dimensions ?? []).map((d) => ({ name: d.Name ?? '', value: d.Value ?? '' })));
    }
    token = page.NextToken;
    pages++;
  } while (token && pages < 5);
  return found;
}

async function queueDepth(clients: DoctorClients, name: string): Promise<QueueDepth | undefined> {
  const url = await unlessMissing(['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue'], () =>
    clients.sqs.send(new GetQueueUrlCommand({ QueueName: name })),
  );
  if (!url?.QueueUrl) return undefined;
  const out = await clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url.QueueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  const n = (key: QueueAttributeName) => Number(out.Attributes?.[key] ?? 0);
  return {
    visible: n('ApproximateNumberOfMessages'),
    inFlight: n('ApproximateNumberOfMessagesNotVisible'),
    delayed: n('ApproximateNumberOfMessagesDelayed'),
  };
}

async function subscriptionsOf(
  clients: DoctorClients,
  topicArn: string,
): Promise<ListedSubscription[] | undefined> {
  const out: ListedSubscription[] = [];
  let token: string | undefined;
  do {
    const page: ListSubscriptionsByTopicCommandOutput | undefined = await unlessMissing(
      ['NotFoundException', 'NotFound'],
      () => clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: token })),
    );
    if (!page) return undefined;
    out.push(...(page.Subscriptions ?? []));
    token = page.NextToken;
  } while (token);
  return out;
}

export interface DoctorOptions {
  readonly project: string;
  readonly region: string;
  readonly now: Date;
}

/** Every check, in a fixed order: alarms, schedules, jobs, DLQs, subscriptions, SMS, buckets, tables. */
export async function runDoctor(
  clients: DoctorClients,
  stacks: readonly SynthesizedStack[],
  options: DoctorOptions,
): Promise<DoctorReport> {
  const { now, region } = options;
  // The router exists in every app and its ARN names the account and partition the stacks live in.
  const router = alarmRouterFunction(stacks, region);
  const routerConfig = await functionConfiguration(clients, router);
  const arn = routerConfig?.FunctionArn?.split(':');
  if (!routerConfig || !arn || arn.length < 5) {
    throw new CliError(
      `the alert router function ${router} does not exist in ${region} — deploy the stacks first (cdk deploy --all)`,
    );
  }
  const env = { region, partition: arn[1] ?? 'aws', account: arn[4] ?? '' };
  const expected = expectedFromTemplates(stacks, env);
  const rows: CheckRow[] = [];

  // functions: deployment time and last 24 h of runs
  const jobNames = expected.jobs.map((j) => j.functionName);
  const configs = await mapLimit(jobNames, 8, (name) => functionConfiguration(clients, name));
  const activity = await recentActivity(
    clients,
    jobNames.filter((_, i) => configs[i]),
    now,
  );
  const states = new Map<string, FunctionState>();
  for (const [i, name] of jobNames.entries()) {
    const config = configs[i];
    const counts = activity.get(name);
    if (config && counts)
      states.set(name, { name, deployedAt: parseLastModified(config.LastModified), ...counts });
  }
  const schedulesOf = (fn: string) => expected.schedules.filter((s) => s.functionName === fn);

  const listed = await mapLimit(expected.alarms, 8, (alarm) =>
    Promise.all(alarm.metrics.map((m) => listedDimensions(clients, m))),
  );
  for (const [i, alarm] of expected.alarms.entries()) {
    const emitter = alarm.emitter
      ? { state: states.get(alarm.emitter), schedules: schedulesOf(alarm.emitter) }
      : undefined;
    rows.push(checkAlarm(alarm, listed[i] ?? [], emitter, now));
  }

  const schedules = await mapLimit(expected.schedules, 8, (s) =>
    unlessMissing(['ResourceNotFoundException'], () =>
      clients.scheduler.send(new GetScheduleCommand({ Name: s.name, GroupName: s.group })),
    ),
  );
  for (const [i, schedule] of expected.schedules.entries()) {
    const got = schedules[i];
    rows.push(
      checkSchedule(
        schedule,
        got
          ? { state: got.State, expression: got.ScheduleExpression, timeZone: got.ScheduleExpressionTimezone }
          : undefined,
        now,
      ),
    );
  }

  for (const job of expected.jobs) {
    rows.push(
      checkJob(
        { functionName: job.functionName, schedules: schedulesOf(job.functionName) },
        states.get(job.functionName),
        now,
      ),
    );
  }

  const depths = await mapLimit(expected.deadLetterQueues, 8, (name) => queueDepth(clients, name));
  for (const [i, name] of expected.deadLetterQueues.entries())
    rows.push(checkDeadLetterQueue(name, depths[i]));

  const subscriptions = await mapLimit(expected.topics, 4, (topic) => subscriptionsOf(clients, topic.arn));
  for (const [i, topic] of expected.topics.entries())
    rows.push(...checkSubscriptions(topic, subscriptions[i]));

  const sandbox = await clients.sns.send(new GetSMSSandboxAccountStatusCommand({}));
  const attributes = await clients.sns.send(
    new GetSMSAttributesCommand({ attributes: ['MonthlySpendLimit'] }),
  );
  const limitText = attributes.attributes?.MonthlySpendLimit;
  rows.push(
    ...checkSms(
      expected.topics,
      {
        inSandbox: sandbox.IsInSandbox === true,
        monthlySpendLimitUsd: limitText !== undefined && limitText !== '' ? Number(limitText) : undefined,
      },
      expected.smsSpendThresholdUsd,
    ),
  );

  for (const bucket of expected.buckets) {
    let rules: { ID?: string | undefined; Status?: string | undefined }[] | undefined;
    try {
      const out = await clients.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket.name }));
      rules = out.Rules ?? [];
    } catch (error) {
      if (errorName(error) === 'NoSuchLifecycleConfiguration') rules = [];
      else if (errorName(error) === 'NoSuchBucket') rules = undefined;
      else throw error;
    }
    rows.push(checkBucket(bucket, rules));
  }

  for (const table of expected.tables) {
    const out = await unlessMissing(['ResourceNotFoundException'], () =>
      clients.dynamo.send(new DescribeTableCommand({ TableName: table })),
    );
    rows.push(checkTable(table, out ? (out.Table?.TableStatus ?? 'UNKNOWN') : undefined));
  }

  const summary = summarize(rows);
  return {
    project: options.project,
    region,
    account: env.account,
    at: now.toISOString(),
    healthy: summary.healthy,
    counts: summary.counts,
    checks: rows,
  };
}

const STATUS_TEXT: Record<CheckStatus, (text: string) => string> = {
  ok: color.green,
  pending: color.cyan,
  warn: color.yellow,
  fail: color.red,
};

/** The report as text: one table, then a one-line verdict. */
export function printDoctorReport(report: DoctorReport): void {
  printTable(report.checks, [
    { header: 'CHECK', value: 'area' },
    { header: 'NAME', value: 'name', maxWidth: 60 },
    { header: 'STATUS', value: (r) => STATUS_TEXT[r.status](r.status) },
    { header: 'DETAIL', value: 'detail' },
  ]);
  const { ok, pending, warn, fail } = report.counts;
  const verdict = report.healthy ? color.green('healthy') : color.red('not healthy');
  print(
    '',
    `${color.bold(report.project)} in ${report.region} (account ${report.account}): ${verdict} — ${ok} ok, ${pending} pending, ${warn} warnings, ${fail} failing`,
  );
}

/** The `doctor` command's action (its definition: lib/cli/definitions/doctor.ts). */
export const doctorAction = async (_flags: unknown, command: Command) => {
  const options = cliOptions(command);
  const { config } = loadConfigForCli(options);
  const clients = doctorClients(config.region);
  await assertCredentials(() => clients.cloudwatch.config.credentials(), config.region);
  progress('synthesizing the CDK app…');
  const { synthesizeTemplates } = await import('../../doctor/synth');
  const stacks = await synthesizeTemplates(config);
  progress(`checking ${config.project} in ${config.region}…`);
  let report: DoctorReport;
  try {
    report = await runDoctor(clients, stacks, {
      project: config.project,
      region: config.region,
      now: new Date(),
    });
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(
      `doctor could not finish in ${config.region}: ${reasonOf(error)} — check that your credentials may read the resources listed in "nightshift doctor --help"`,
      EXIT.FAILED,
      { cause: error },
    );
  }
  if (options.json) printJson(report);
  else printDoctorReport(report);
  process.exitCode = report.healthy ? EXIT.OK : EXIT.FAILED;
};
