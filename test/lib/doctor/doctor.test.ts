/**
 * `nightshift doctor` against the inventory example: the expected model read from the synthesized app,
 * then a simulated account (aws-sdk-client-mock, response shapes from the AWS API references) that is
 * healthy, and one failure injected at a time.
 */
import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  ListMetricsCommand,
} from '@aws-sdk/client-cloudwatch';
import { DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetBucketLifecycleConfigurationCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import {
  GetScheduleCommand,
  ResourceNotFoundException as ScheduleNotFound,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import {
  GetSMSAttributesCommand,
  GetSMSSandboxAccountStatusCommand,
  ListSubscriptionsByTopicCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  assertCredentials,
  type DoctorReport,
  MissingCredentials,
  runDoctor,
} from '../../../lib/cli/commands/doctor';
import { main } from '../../../lib/cli/main';
import { loadConfig } from '../../../lib/config/load';
import type { CheckRow } from '../../../lib/doctor/checks';
import { expectedFromTemplates, type SynthesizedStack } from '../../../lib/doctor/expected';
import { synthesizeTemplates } from '../../../lib/doctor/synth';
import { runCli } from '../../support/cli';

const CONFIG_FILE = 'examples/inventory.yaml';
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const NOW = new Date('2026-06-10T16:00:00Z');
const LONG_AGO = '2026-05-01T09:00:00.000+0000';

const cloudwatch = mockClient(CloudWatchClient);
const scheduler = mockClient(SchedulerClient);
const sqs = mockClient(SQSClient);
const sns = mockClient(SNSClient);
const s3 = mockClient(S3Client);
const dynamo = mockClient(DynamoDBClient);
const lambda = mockClient(LambdaClient);

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' };
const clients = () => ({
  cloudwatch: new CloudWatchClient({ region: REGION, credentials }),
  scheduler: new SchedulerClient({ region: REGION, credentials }),
  sqs: new SQSClient({ region: REGION, credentials }),
  sns: new SNSClient({ region: REGION, credentials }),
  s3: new S3Client({ region: REGION, credentials }),
  dynamo: new DynamoDBClient({ region: REGION, credentials }),
  lambda: new LambdaClient({ region: REGION, credentials }),
});

let stacks: SynthesizedStack[];

interface RawResource {
  Type?: string;
  Properties?: Record<string, unknown>;
}
/** Resources of one type straight from the templates: what CloudFormation creates. */
function raw(type: string): Record<string, unknown>[] {
  return stacks.flatMap((s) =>
    Object.values((s.template.Resources ?? {}) as Record<string, RawResource>)
      .filter((r) => r.Type === type)
      .map((r) => r.Properties ?? {}),
  );
}

const topicArn = (level: string) => `arn:aws:sns:${REGION}:${ACCOUNT}:inventory-alerts-${level}`;
const subscription = (level: string, protocol: string, endpoint: string, confirmed = true) => ({
  SubscriptionArn: confirmed
    ? `${topicArn(level)}:0b5c3a1e-7d2f-4c11-9a8e-3f6b2d1c0e9a`
    : 'PendingConfirmation',
  Owner: ACCOUNT,
  Protocol: protocol,
  Endpoint: endpoint,
  TopicArn: topicArn(level),
});
const SUBSCRIPTIONS: Record<string, ReturnType<typeof subscription>[]> = {
  [topicArn('team')]: [subscription('team', 'email', 'inventory-dev@example.com')],
  [topicArn('oncall')]: [
    subscription('oncall', 'email', 'oncall@example.com'),
    subscription('oncall', 'sms', '+12025550143'),
  ],
  [topicArn('lead')]: [
    subscription('lead', 'email', 'cto@example.com'),
    subscription('lead', 'sms', '+12025550178'),
  ],
};

/** A healthy account: everything the templates declare exists, ran and is quiet. */
function healthyAccount(deployedAt = LONG_AGO): void {
  for (const mock of [cloudwatch, scheduler, sqs, sns, s3, dynamo, lambda]) mock.reset();
  lambda.on(GetFunctionConfigurationCommand).callsFake((input: { FunctionName: string }) => ({
    FunctionName: input.FunctionName,
    FunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${input.FunctionName}`,
    Runtime: 'nodejs24.x',
    LastModified: deployedAt,
    State: 'Active',
  }));
  cloudwatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
    MetricDataResults: (input.MetricDataQueries ?? []).map((q) => ({
      Id: q.Id,
      Label: q.MetricStat?.Metric?.MetricName,
      Timestamps: [new Date(NOW.getTime() - 86_400_000)],
      Values: [q.Id?.startsWith('i') ? 96 : 0],
      StatusCode: 'Complete',
    })),
    Messages: [],
  }));
  // Every metric is published with exactly the dimensions the alarm asks for.
  cloudwatch.on(ListMetricsCommand).callsFake((input) => ({
    Metrics: [{ Namespace: input.Namespace, MetricName: input.MetricName, Dimensions: input.Dimensions }],
  }));
  scheduler.on(GetScheduleCommand).callsFake((input: { Name: string }) => {
    const found = raw('AWS::Scheduler::Schedule').find((s) => s.Name === input.Name);
    if (!found)
      throw new ScheduleNotFound({
        message: `Schedule ${input.Name} does not exist.`,
        Message: `Schedule ${input.Name} does not exist.`,
        $metadata: {},
      });
    return {
      Arn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/${input.Name}`,
      GroupName: 'default',
      Name: input.Name,
      State: found.State,
      ScheduleExpression: found.ScheduleExpression,
      ScheduleExpressionTimezone: found.ScheduleExpressionTimezone,
      FlexibleTimeWindow: { Mode: 'OFF' },
    };
  });
  sqs.on(GetQueueUrlCommand).callsFake((input: { QueueName: string }) => ({
    QueueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${input.QueueName}`,
  }));
  sqs.on(GetQueueAttributesCommand).resolves({
    Attributes: {
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      ApproximateNumberOfMessagesDelayed: '0',
    },
  });
  sns
    .on(ListSubscriptionsByTopicCommand)
    .callsFake((input: { TopicArn: string }) => ({ Subscriptions: SUBSCRIPTIONS[input.TopicArn] ?? [] }));
  sns.on(GetSMSSandboxAccountStatusCommand).resolves({ IsInSandbox: false });
  sns.on(GetSMSAttributesCommand).resolves({ attributes: { MonthlySpendLimit: '50' } });
  s3.on(GetBucketLifecycleConfigurationCommand).callsFake((input: { Bucket: string }) => {
    const bucket = raw('AWS::S3::Bucket').find((b) => b.BucketName === input.Bucket);
    const rules = (bucket?.LifecycleConfiguration as { Rules?: Record<string, unknown>[] })?.Rules ?? [];
    return {
      Rules: rules.map((r) => ({ ID: r.Id, Status: r.Status, Filter: { Prefix: r.Prefix ?? '' } })),
      TransitionDefaultMinimumObjectSize: 'all_storage_classes_128K',
    };
  });
  dynamo.on(DescribeTableCommand).callsFake((input: { TableName: string }) => ({
    Table: { TableName: input.TableName, TableStatus: 'ACTIVE', ItemCount: 0 },
  }));
}

async function doctor(): Promise<DoctorReport> {
  return runDoctor(clients(), stacks, { project: 'inventory', region: REGION, now: NOW });
}

function row(report: DoctorReport, area: CheckRow['area'], name: string): CheckRow | undefined {
  return report.checks.find((r) => r.area === area && r.name === name);
}

function failing(report: DoctorReport): string[] {
  return report.checks.filter((r) => r.status === 'fail').map((r) => `${r.area} ${r.name}`);
}

beforeAll(async () => {
  stacks = await synthesizeTemplates(loadConfig(CONFIG_FILE));
}, 120_000);

beforeEach(() => healthyAccount());

describe('the expected model comes from the synthesized app', () => {
  it('resolves names, exact dimension sets, DLQs, subscriptions and lifecycle rules from the templates', () => {
    const expected = expectedFromTemplates(stacks, { region: REGION, partition: 'aws', account: ACCOUNT });
    const down = expected.alarms.find((a) => a.name === 'inventory-health-api-down');
    expect(down?.metrics).toEqual([
      {
        namespace: 'Nightshift',
        metricName: 'Up',
        dimensions: [
          { name: 'Project', value: 'inventory' },
          { name: 'Target', value: 'api' },
        ],
        source: 'job',
        // the inventory checks send Up only for a failed check (no dashboard: metricsSent breaches)
        onlyWhenBreaching: true,
      },
    ]);
    expect(down?.emitter).toBe('inventory-health-check');
    // a Ref to the function resolves to its FunctionName; Fn::GetAtt QueueName to the queue's name
    expect(
      expected.alarms.find((a) => a.name === 'inventory-backup-redis-failed')?.metrics[0]?.dimensions,
    ).toEqual([{ name: 'FunctionName', value: 'inventory-backup-redis' }]);
    expect(expected.alarms.find((a) => a.name === 'inventory-jobs-dlq')?.metrics[0]?.dimensions).toEqual([
      { name: 'QueueName', value: 'inventory-jobs-dlq' },
    ]);
    expect(
      expected.alarms.find((a) => a.name === 'inventory-escalation-failed')?.metrics[0]?.dimensions,
    ).toEqual([
      {
        name: 'StateMachineArn',
        value: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:inventory-escalation`,
      },
    ]);
    expect(expected.alarms.find((a) => a.name === 'inventory-api-5xx')?.metrics).toHaveLength(2);
    expect(expected.deadLetterQueues).toContain('inventory-jobs-dlq');
    expect(expected.deadLetterQueues).toContain('inventory-alert-delivery-dlq');
    expect(expected.topics.find((t) => t.name === 'inventory-alerts-oncall')?.subscriptions).toEqual([
      { protocol: 'email', endpoint: 'oncall@example.com' },
      { protocol: 'sms', endpoint: '+12025550143' },
    ]);
    expect(expected.buckets.map((b) => b.name)).toEqual([
      `inventory-nightshift-backups-${ACCOUNT}-${REGION}`,
      `inventory-nightshift-logs-${ACCOUNT}-${REGION}`,
    ]);
    expect(expected.tables).toEqual(['inventory-nightshift-ack-links', 'inventory-nightshift-acks']);
    expect(expected.smsSpendThresholdUsd).toBe(20);
    // every alarm in the templates is checked, none invented
    expect(expected.alarms.map((a) => a.name).sort()).toEqual(
      raw('AWS::CloudWatch::Alarm')
        .map((a) => a.AlarmName)
        .sort(),
    );
  });
});

describe('nightshift doctor', () => {
  it('finds a healthy account healthy, with a row for every check', async () => {
    const report = await doctor();
    expect(failing(report)).toEqual([]);
    expect(report.healthy).toBe(true);
    expect(report.account).toBe(ACCOUNT);
    const areas = new Set(report.checks.map((r) => r.area));
    expect([...areas].sort()).toEqual([
      'alarm',
      'bucket',
      'dlq',
      'job',
      'schedule',
      'sms',
      'subscription',
      'table',
    ]);
    expect(row(report, 'job', 'inventory-health-check')?.detail).toBe('96 runs, 0 errors in the last 24 h');
    expect(row(report, 'schedule', 'inventory-backup-postgres-backup')?.detail).toMatch(
      /enabled, cron\(0 2 \* \* \? \*\), next run Thu 2026-06-11 02:00 EDT/,
    );
    // ListMetrics is asked with the alarm's full dimension set
    const calls = cloudwatch.commandCalls(ListMetricsCommand).map((c) => c.args[0].input);
    expect(calls).toContainEqual({
      Namespace: 'Nightshift',
      MetricName: 'BackupSucceeded',
      Dimensions: [
        { Name: 'Project', Value: 'inventory' },
        { Name: 'Target', Value: 'postgres' },
      ],
      NextToken: undefined,
    });
  });

  it('fails an alarm whose metric is published with one dimension too many (the Powertools service dimension)', async () => {
    cloudwatch.on(ListMetricsCommand, { Namespace: 'Nightshift', MetricName: 'Up' }).callsFake((input) => ({
      Metrics: [
        {
          Namespace: 'Nightshift',
          MetricName: 'Up',
          Dimensions: [{ Name: 'service', Value: 'health-check' }, ...(input.Dimensions ?? [])],
        },
      ],
    }));
    const report = await doctor();
    expect(report.healthy).toBe(false);
    expect(row(report, 'alarm', 'inventory-health-api-down')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(
        'published with {service=health-check, Project=inventory, Target=api} but the alarm watches {Project=inventory, Target=api}',
      ),
    });
  });

  it('finds a healthy target without Up data healthy: the checks send Up only for a failed check', async () => {
    cloudwatch
      .on(ListMetricsCommand, { Namespace: 'Nightshift', MetricName: 'Up' })
      .resolves({ Metrics: [] });
    const report = await doctor();
    expect(failing(report)).toEqual([]);
    expect(row(report, 'alarm', 'inventory-health-api-down')).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining(
        'no failure in the last 2 weeks (the checks send it only when breaching)',
      ),
    });
  });

  it('fails an alarm whose metric does not exist although its job ran', async () => {
    cloudwatch
      .on(ListMetricsCommand, { Namespace: 'Nightshift', MetricName: 'BackupSucceeded' })
      .resolves({ Metrics: [] });
    const report = await doctor();
    expect(report.healthy).toBe(false);
    expect(failing(report)).toEqual([
      'alarm inventory-backup-postgres-too-old',
      'alarm inventory-backup-redis-too-old',
    ]);
    expect(row(report, 'alarm', 'inventory-backup-redis-too-old')?.detail).toMatch(
      /no data in the last 2 weeks although inventory-backup-redis was scheduled to run/,
    );
  });

  it('says "no data yet — first run at …" for a metric whose job has not run since the deployment', async () => {
    healthyAccount('2026-06-10T15:50:00.000+0000');
    cloudwatch.on(ListMetricsCommand, { Namespace: 'Nightshift' }).resolves({ Metrics: [] });
    cloudwatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
      MetricDataResults: (input.MetricDataQueries ?? []).map((q) => ({
        Id: q.Id,
        Timestamps: [],
        Values: [],
      })),
    }));
    const report = await doctor();
    expect(row(report, 'alarm', 'inventory-backup-redis-too-old')).toMatchObject({
      status: 'pending',
      detail: expect.stringMatching(/^no data yet — first run at Thu 2026-06-11 02:00 EDT/),
    });
    expect(row(report, 'job', 'inventory-backup-redis')).toMatchObject({
      status: 'pending',
      detail: 'no runs yet — first run at Thu 2026-06-11 02:00 EDT',
    });
    // the every-minute health check should have run in those 10 minutes: its job row fails (its alarm
    // metric is sent only for a failed check, so missing Up data is no finding of its own)
    expect(row(report, 'job', 'inventory-health-check')?.status).toBe('fail');
    expect(row(report, 'alarm', 'inventory-health-api-down')?.status).toBe('ok');
  });

  it('warns, without failing, about an alarm on a resource outside the app that has no data', async () => {
    cloudwatch.on(ListMetricsCommand, { Namespace: 'AWS/RDS' }).resolves({ Metrics: [] });
    const report = await doctor();
    expect(report.healthy).toBe(true);
    expect(row(report, 'alarm', 'inventory-db-cpu')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(
        /no data in the last 2 weeks — check that \{DBInstanceIdentifier=inventory-prod\} names a live resource/,
      ),
    });
  });

  it('fails a disabled schedule and a missing one', async () => {
    scheduler.on(GetScheduleCommand, { Name: 'inventory-backup-redis-backup' }).resolves({
      Name: 'inventory-backup-redis-backup',
      State: 'DISABLED',
      ScheduleExpression: 'cron(0 2 * * ? *)',
      ScheduleExpressionTimezone: 'America/New_York',
    });
    scheduler.on(GetScheduleCommand, { Name: 'inventory-log-archive-daily' }).rejects(
      new ScheduleNotFound({
        message: 'Schedule inventory-log-archive-daily does not exist.',
        Message: 'Schedule inventory-log-archive-daily does not exist.',
        $metadata: {},
      }),
    );
    const report = await doctor();
    expect(failing(report)).toEqual([
      'schedule inventory-backup-redis-backup',
      'schedule inventory-log-archive-daily',
    ]);
    expect(row(report, 'schedule', 'inventory-backup-redis-backup')?.detail).toMatch(
      /^DISABLED: the job does not run/,
    );
  });

  it('fails a job with errors in the last 24 hours', async () => {
    cloudwatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
      MetricDataResults: (input.MetricDataQueries ?? []).map((q) => ({
        Id: q.Id,
        Timestamps: [NOW],
        Values: [
          q.Id?.startsWith('i')
            ? 1
            : q.MetricStat?.Metric?.Dimensions?.[0]?.Value === 'inventory-backup-postgres'
              ? 1
              : 0,
        ],
      })),
    }));
    const report = await doctor();
    expect(failing(report)).toEqual(['job inventory-backup-postgres']);
    expect(row(report, 'job', 'inventory-backup-postgres')?.detail).toMatch(
      /^1 run, 1 error in the last 24 h/,
    );
  });

  it('fails a dead-letter queue with messages', async () => {
    sqs
      .on(GetQueueAttributesCommand, {
        QueueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/inventory-jobs-dlq`,
      })
      .resolves({
        Attributes: {
          ApproximateNumberOfMessages: '3',
          ApproximateNumberOfMessagesNotVisible: '0',
          ApproximateNumberOfMessagesDelayed: '0',
        },
      });
    const report = await doctor();
    expect(failing(report)).toEqual(['dlq inventory-jobs-dlq']);
    expect(row(report, 'dlq', 'inventory-jobs-dlq')?.detail).toMatch(/^3 messages \(3 visible/);
  });

  it('fails a pending e-mail confirmation and shows the address masked, never in full', async () => {
    SUBSCRIPTIONS[topicArn('oncall')] = [
      subscription('oncall', 'email', 'oncall@example.com', false),
      subscription('oncall', 'sms', '+12025550143'),
    ];
    try {
      const report = await doctor();
      expect(failing(report)).toEqual(['subscription inventory-alerts-oncall email o…@example.com']);
      expect(row(report, 'subscription', 'inventory-alerts-oncall email o…@example.com')?.detail).toMatch(
        /^pending confirmation: o…@example.com has to open the "AWS Notification - Subscription Confirmation" e-mail/,
      );
      const text = JSON.stringify(report);
      for (const contact of [
        'oncall@example.com',
        'inventory-dev@example.com',
        '+12025550143',
        '+12025550178',
      ]) {
        expect(text).not.toContain(contact);
      }
      expect(row(report, 'subscription', 'inventory-alerts-oncall sms +1…43')?.status).toBe('ok');
    } finally {
      SUBSCRIPTIONS[topicArn('oncall')] = [
        subscription('oncall', 'email', 'oncall@example.com'),
        subscription('oncall', 'sms', '+12025550143'),
      ];
    }
  });

  it('fails an account in the SMS sandbox, and a spend limit below the sms-spend alarm', async () => {
    sns.on(GetSMSSandboxAccountStatusCommand).resolves({ IsInSandbox: true });
    sns.on(GetSMSAttributesCommand).resolves({ attributes: {} });
    const report = await doctor();
    expect(failing(report)).toEqual(['sms sandbox', 'sms spend limit']);
    expect(row(report, 'sms', 'sandbox')?.detail).toMatch(
      /in the SMS sandbox: texts reach only verified numbers \(2 SMS subscribers\)/,
    );
    expect(row(report, 'sms', 'spend limit')?.detail).toMatch(
      /account limit 1 USD \(AWS default\) is below the sms-spend alarm at 20 USD/,
    );
  });

  it('fails a bucket without its lifecycle rules, or with one missing', async () => {
    const backups = `inventory-nightshift-backups-${ACCOUNT}-${REGION}`;
    const logs = `inventory-nightshift-logs-${ACCOUNT}-${REGION}`;
    s3.on(GetBucketLifecycleConfigurationCommand, { Bucket: backups }).rejects(
      new S3ServiceException({
        name: 'NoSuchLifecycleConfiguration',
        $fault: 'client',
        $metadata: { httpStatusCode: 404 },
        message: 'The lifecycle configuration does not exist',
      }),
    );
    s3.on(GetBucketLifecycleConfigurationCommand, { Bucket: logs }).resolves({
      Rules: [
        { ID: 'abort-incomplete-uploads', Status: 'Enabled', Filter: { Prefix: '' } },
        { ID: 'expire-noncurrent-versions', Status: 'Enabled', Filter: { Prefix: '' } },
        { ID: 'log-archive-cold-storage', Status: 'Disabled', Filter: { Prefix: 'logs/' } },
      ],
    });
    const report = await doctor();
    expect(failing(report)).toEqual([`bucket ${backups}`, `bucket ${logs}`]);
    expect(row(report, 'bucket', backups)?.detail).toMatch(
      /abort-incomplete-uploads, .*backups-expire-monthly missing or disabled/,
    );
    expect(row(report, 'bucket', logs)?.detail).toMatch(
      /^lifecycle rule log-archive-cold-storage missing or disabled/,
    );
  });

  it('fails missing acknowledgement and ack link tables', async () => {
    dynamo
      .on(DescribeTableCommand)
      .rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
    const report = await doctor();
    expect(failing(report)).toEqual([
      'table inventory-nightshift-ack-links',
      'table inventory-nightshift-acks',
    ]);
  });

  it('stops with a clear error when the stacks are not deployed', async () => {
    lambda.on(GetFunctionConfigurationCommand).rejects(
      Object.assign(
        new Error(
          'Function not found: arn:aws:lambda:us-east-1:123456789012:function:inventory-alert-router',
        ),
        {
          name: 'ResourceNotFoundException',
        },
      ),
    );
    await expect(doctor()).rejects.toThrow(
      /inventory-alert-router does not exist in us-east-1 — deploy the stacks first/,
    );
  });
});

describe('credentials', () => {
  it('turns a failing credential chain into exit 2 before any AWS call', async () => {
    const error = await assertCredentials(
      () => Promise.reject(new Error('Could not load credentials from any providers')),
      REGION,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingCredentials);
    expect((error as MissingCredentials).exitCode).toBe(2);
    expect((error as Error).message).toMatch(
      /AWS_PROFILE=<profile>.*AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.*region, us-east-1/,
    );
  });

  it('the real CLI exits 2 with that message when no credentials are configured', async () => {
    const result = await runCli(['doctor', '--config', CONFIG_FILE], {
      env: {
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_SESSION_TOKEN: undefined,
        AWS_PROFILE: undefined,
        AWS_DEFAULT_PROFILE: undefined,
        AWS_CONFIG_FILE: '/nonexistent/nightshift-doctor-config',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/nightshift-doctor-credentials',
        AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
        AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
        AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no AWS credentials found/);
    expect(result.stderr).toMatch(/AWS_PROFILE=<profile>/);
    expect(result.stdout).toBe('');
  }, 60_000);
});

describe('the command', () => {
  it('prints --json and exits 0 when healthy, 1 when not', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'example');
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['node', 'nightshift', 'doctor', '--config', CONFIG_FILE, '--json'])).toBe(0);
      expect(JSON.parse(out.join('')).healthy).toBe(true);
      out.length = 0;
      process.exitCode = undefined;
      sqs.on(GetQueueAttributesCommand).resolves({
        Attributes: {
          ApproximateNumberOfMessages: '1',
          ApproximateNumberOfMessagesNotVisible: '0',
          ApproximateNumberOfMessagesDelayed: '0',
        },
      });
      expect(await main(['node', 'nightshift', 'doctor', '--config', CONFIG_FILE])).toBe(1);
      // every queue holds a message: the jobs' shared DLQ and the alerting path's
      expect(out.join('')).toMatch(
        /inventory in us-east-1 \(account 123456789012\): not healthy — \d+ ok, \d+ pending, \d+ warnings, 2 failing/,
      );
    } finally {
      process.exitCode = undefined;
      write.mockRestore();
      vi.restoreAllMocks();
      vi.unstubAllEnvs();
    }
  }, 120_000);
});
