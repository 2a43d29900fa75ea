import { Match, Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { escalationInput, escalationPlan } from '../../../lambdas/alert-router/alert-router';
import { ACK_TABLE_PLACEHOLDER, STATE } from '../../../lambdas/alert-router/escalation-definition';
import { renderAlarm } from '../../../lambdas/alert-router/format';
import { routerSettings } from '../../../lambdas/alert-router/settings';
import type { NightshiftConfig } from '../../../lib/config/schema';
import { Alerting } from '../../../lib/constructs/alerting';
import type { NightshiftContext } from '../../../lib/constructs/context';
import { ProjectDashboard } from '../../../lib/constructs/dashboard';
import { runEscalation, validateAsl } from '../../lambdas/alert-router/escalation-harness';
import { testConfig, testStack } from '../../support/cdk';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are untyped JSON
type Cfn = Record<string, any>;

const ALERTS = {
  levels: [
    { name: 'team', email: ['team@example.com', 'ops@example.com'] },
    { name: 'oncall', sms: ['+4915112345678'] },
    { name: 'lead', email: ['lead@example.com'], sms: ['+4915187654321'] },
  ],
  severities: {
    critical: { escalateAfter: '10m', repeatEvery: '20m', runbook: 'https://wiki.example.com/rb' },
  },
  smsMonthlySpendLimitUsd: 25,
  alarms: [
    {
      name: 'db-cpu',
      preset: 'rds-cpu',
      dimensions: { DBInstanceIdentifier: 'shop-prod' },
      severity: 'critical',
    },
    {
      name: 'db-storage',
      preset: 'rds-free-storage',
      dimensions: { DBInstanceIdentifier: 'shop-prod' },
      threshold: 10737418240,
    },
    {
      name: 'alb-errors',
      preset: 'alb-5xx-rate',
      dimensions: { LoadBalancer: 'app/shop/50dc6c495c0c9188' },
      threshold: 2,
      severity: 'high',
    },
    {
      name: 'alb-slow',
      preset: 'alb-p95-latency',
      dimensions: { LoadBalancer: 'app/shop/50dc6c495c0c9188' },
    },
    {
      name: 'api-memory',
      preset: 'ecs-memory',
      dimensions: { ClusterName: 'prod', ServiceName: 'api' },
      severity: 'medium',
    },
    {
      name: 'queue-depth',
      namespace: 'AWS/SQS',
      metric: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: 'jobs' },
      statistic: 'Maximum',
      threshold: 1000,
      comparison: '>=',
      period: '1m',
      datapoints: 3,
      evaluationPeriods: 5,
      missingData: 'breaching',
      severity: 'low',
    },
  ],
  logPatterns: [
    {
      name: 'auth-failed',
      logGroup: '/ecs/shop-api',
      pattern: '"authentication failed"',
      threshold: 5,
      severity: 'high',
    },
    { name: 'auth-001', logGroup: '/ecs/shop-api', pattern: '{ $.code = "AUTH_001" }', period: '10m' },
  ],
};

function build(config: NightshiftConfig) {
  const stack = testStack();
  const key = new Key(stack, 'Key');
  const context: NightshiftContext = {
    project: config.project,
    config,
    timeZone: config.timezone,
    key,
    backupBucket: Bucket.fromBucketName(stack, 'B', 'shop-backups'),
    logBucket: Bucket.fromBucketName(stack, 'L', 'shop-logs'),
    levelTopics: config.alerts.levels.map(
      (l, i) => new Topic(stack, `T${i}`, { topicName: `shop-alerts-${l.name}`, masterKey: key }),
    ),
    dashboard: new ProjectDashboard(stack, 'Dashboard', { dashboardName: 'shop-nightshift' }),
    alarms: [],
  };
  const alerting = new Alerting(stack, 'Alerting', { context });
  return { stack, context, alerting, template: Template.fromStack(stack) };
}

const config = testConfig({ alerts: ALERTS });
let built: ReturnType<typeof build>;
let template: Template;
beforeAll(() => {
  built = build(config);
  template = built.template;
});

function alarmProps(name: string): Cfn {
  const alarms = template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: name } });
  const [alarm] = Object.values(alarms);
  if (!alarm) throw new Error(`no alarm ${name}`);
  return alarm.Properties as Cfn;
}

describe('routing', () => {
  it('an EventBridge rule sends alarm state changes (not target tracking) to the router with a DLQ', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: [{ 'anything-but': { prefix: 'TargetTracking-' } }] },
      },
      Targets: [
        Match.objectLike({
          RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 7200 },
          DeadLetterConfig: Match.objectLike({ Arn: Match.anyValue() }),
        }),
      ],
    });
  });

  it('the router gets the settings and the state machine ARN', () => {
    const fns = template.findResources('AWS::Lambda::Function', {
      Properties: { FunctionName: 'shop-alert-router' },
    });
    const fn = Object.values(fns)[0]?.Properties as Cfn;
    expect(fn.Runtime).toBe('nodejs24.x');
    expect(fn.Architectures).toEqual(['arm64']);
    const env = fn.Environment.Variables;
    expect(env.ESCALATION_STATE_MACHINE_ARN).toEqual({ Ref: expect.stringMatching(/Escalation/) });
    const settingsJson = JSON.stringify(env.NIGHTSHIFT_ALERTS);
    expect(settingsJson).toContain('\\"escalateAfterMs\\":600000');
    expect(settingsJson).not.toContain('+4915112345678'); // contacts are counts, never numbers
    expect(settingsJson).not.toContain('team@example.com');
  });

  it('the router role: publish to level topics, start/list/stop escalations, read alarm tags/history and the log groups', () => {
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    for (const action of [
      'states:StartExecution',
      'states:ListExecutions',
      'states:StopExecution',
      'cloudwatch:ListTagsForResource',
      'cloudwatch:DescribeAlarmHistory',
      'cloudwatch:DescribeAlarms',
      'cloudwatch:GetMetricData',
      'logs:FilterLogEvents',
      'sns:Publish',
    ]) {
      expect(policies).toContain(action);
    }
    expect(policies).toContain('log-group:/ecs/shop-api:*');
    expect(policies).not.toMatch(/"Action":"\*"|"sns:\*"|"states:\*"/);
  });
});

describe('escalation state machine', () => {
  it('has its wait, choice and publish states with the ack table substituted', () => {
    const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0]
      ?.Properties as Cfn;
    const asl = JSON.parse(machine.DefinitionString) as {
      States: Record<string, { Type: string; Resource?: string }>;
    };
    expect(asl.States[STATE.waitEscalate]?.Type).toBe('Wait');
    expect(asl.States[STATE.waitRepeat]?.Type).toBe('Wait');
    expect(asl.States[STATE.metricState]?.Type).toBe('Choice');
    expect(asl.States[STATE.ackForEpisode]?.Type).toBe('Choice');
    expect(asl.States[STATE.publishStep]?.Resource).toBe('arn:aws:states:::sns:publish');
    expect(asl.States[STATE.describe]?.Resource).toBe('arn:aws:states:::aws-sdk:cloudwatch:describeAlarms');
    expect(asl.States[STATE.freshReminder]?.Resource).toBe('arn:aws:states:::lambda:invoke');
    expect(asl.States[STATE.handOver]?.Resource).toBe('arn:aws:states:::states:startExecution');
    // the router by a constructed ARN: its environment names the state machine, so a Ref would be a cycle
    expect(machine.DefinitionSubstitutions).toEqual({
      AckTable: { Ref: expect.stringMatching(/Acks/) },
      AlertRouter: {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':lambda:eu-west-1:123456789012:function:shop-alert-router'],
        ],
      },
    });
    // X-Ray is off unless config.tracing (test/lib/pricing/options.test.ts covers it on).
    expect(machine.TracingConfiguration).toEqual({ Enabled: false });
    expect(machine.LoggingConfiguration.Level).toBe('ALL');
  });

  it('has a least-privilege role: DescribeAlarms, GetItem on the ack table, Publish on the level topics', () => {
    const roleId = Object.keys(
      template.findResources('AWS::IAM::Role', {
        Properties: {
          AssumeRolePolicyDocument: {
            Statement: [Match.objectLike({ Principal: { Service: 'states.amazonaws.com' } })],
          },
        },
      }),
    )[0]!;
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes(roleId),
    );
    const actions = policies
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[] }[])
      .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))
      .sort();
    expect([...new Set(actions)]).toEqual(
      [
        'cloudwatch:DescribeAlarms',
        'dynamodb:GetItem',
        'kms:Decrypt',
        'lambda:InvokeFunction',
        'kms:GenerateDataKey*',
        'logs:CreateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:DescribeLogGroups',
        'logs:DescribeResourcePolicies',
        'logs:GetLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:UpdateLogDelivery',
        'sns:Publish',
        'states:StartExecution',
      ].sort(),
    );
    const statements = policies.flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Sid?: string; Action: string; Resource: unknown }[],
    );
    const arn = (service: string, resource: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:eu-west-1:123456789012:${resource}`]],
    });
    // only the router, and only its own state machine (continue-as-new), by name: no cycle
    expect(statements.find((s) => s.Action === 'lambda:InvokeFunction')?.Resource).toEqual(
      arn('lambda', 'function:shop-alert-router'),
    );
    expect(statements.find((s) => s.Action === 'states:StartExecution')?.Resource).toEqual(
      arn('states', 'stateMachine:shop-escalation'),
    );
  });

  it('the synthesized definition is valid ASL and runs: still ALARM escalates, OK stops, acknowledged stops', async () => {
    const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0]
      ?.Properties as Cfn;
    const definition = JSON.parse(
      (machine.DefinitionString as string).replace(ACK_TABLE_PLACEHOLDER, 'shop-nightshift-acks'),
    ) as object;
    expect(validateAsl(definition)).toEqual([]);

    const settings = routerSettings(config, [
      'arn:aws:sns:eu-west-1:1:team',
      'arn:aws:sns:eu-west-1:1:oncall',
      'arn:aws:sns:eu-west-1:1:lead',
    ]);
    const at = new Date('2024-10-02T17:04:40.989Z');
    const facts = {
      project: 'shop',
      alarmName: 'shop-db-cpu',
      alarmArn: 'arn:x',
      region: 'eu-west-1',
      kind: 'metric' as const,
      severity: 'critical' as const,
      target: 'db-cpu',
      summary: 'RDS CPU above 80%',
      state: 'ALARM' as const,
      previousState: 'OK' as const,
      changedAt: at,
      reason: 'Threshold Crossed',
    };
    const plan = escalationPlan(settings, 'critical', at);
    const input = escalationInput(
      settings,
      facts,
      plan,
      { timeZone: 'UTC' },
      renderAlarm(facts, plan, { timeZone: 'UTC' }),
      'r',
      undefined,
    );

    // the router renders reminders with the same settings the escalation input was built from
    const still = await runEscalation(definition, input, { states: ['ALARM'], maxPublishes: 3, settings });
    expect(still.publishes.map((p) => p.TopicArn)).toEqual([
      'arn:aws:sns:eu-west-1:1:oncall',
      'arn:aws:sns:eu-west-1:1:lead',
      'arn:aws:sns:eu-west-1:1:lead',
    ]);
    expect(still.ackReads[0]).toMatchObject({ TableName: 'shop-nightshift-acks' });
    const ok = await runEscalation(definition, input, { states: ['ALARM', 'OK'] });
    expect([ok.publishes.length, ok.end]).toEqual([1, STATE.resolved]);
    const acked = await runEscalation(definition, input, {
      states: ['ALARM'],
      ack: { fromCheck: 2, at: '2024-10-02T17:20:00.000Z' },
    });
    expect([acked.publishes.length, acked.end]).toEqual([1, STATE.acknowledged]);
    // a long episode continues as a new execution of the same definition
    const long = await runEscalation(
      definition,
      { ...input, continuation: { ...input.continuation, perPart: 2 } },
      { states: ['ALARM'], maxPublishes: 2 + 5, settings },
    );
    expect(long.executions.map((e) => e.end)).toEqual([STATE.handedOver, STATE.handedOver, 'aborted']);
  });

  it('acknowledgements live in a DynamoDB table keyed by alarm, with TTL and point-in-time recovery', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'shop-nightshift-acks',
      KeySchema: [{ AttributeName: 'alarm', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });
});

describe('ack links (ADR 006)', () => {
  const fnProps = (name: string) =>
    Object.values(template.findResources('AWS::Lambda::Function', { Properties: { FunctionName: name } }))[0]
      ?.Properties as Cfn;
  const logicalId = (name: string) =>
    Object.entries(
      template.findResources('AWS::Lambda::Function', { Properties: { FunctionName: name } }),
    )[0]?.[0] as string;

  it('the ack-link function has a public Function URL (the id is the credential), invokable only through it', () => {
    const id = logicalId('shop-ack-link');
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      InvokeMode: 'BUFFERED',
      TargetFunctionArn: { 'Fn::GetAtt': [id, 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: '*',
      InvokedViaFunctionUrl: true,
      FunctionName: { 'Fn::GetAtt': [id, 'Arn'] },
    });
    const env = fnProps('shop-ack-link').Environment.Variables;
    expect(env.NIGHTSHIFT_ACK_LINK_TABLE).toEqual({ Ref: expect.stringMatching(/AckLinks/) });
    expect(env.NIGHTSHIFT_ACK_TABLE).toEqual({ Ref: expect.stringMatching(/Acks/) });
    expect(env.NIGHTSHIFT_TIME_ZONE).toBe(config.timezone);
  });

  it('links live in their own table with a 24 h TTL attribute; the router gets the URL base and the table', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'shop-nightshift-ack-links',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    const env = fnProps('shop-alert-router').Environment.Variables;
    const urls = Object.keys(template.findResources('AWS::Lambda::Url'));
    expect(env.NIGHTSHIFT_ACK_LINK_BASE).toEqual({ 'Fn::GetAtt': [urls[0], 'FunctionUrl'] });
    expect(env.NIGHTSHIFT_ACK_LINK_TABLE).toEqual({ Ref: expect.stringMatching(/AckLinks/) });
  });

  it("the acks table's stream feeds the router (new and changed acks only), failures to its DLQ", () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'shop-nightshift-acks',
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId('shop-alert-router') },
      StartingPosition: 'LATEST',
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT', 'MODIFY'] }) }] },
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('AlertingDeliveryDeadLetterQueue'), 'Arn'] },
        },
      },
    });
  });
});

describe('topics, subscriptions and spend', () => {
  it('subscribes e-mail and SMS per level; SMS only receives messages flagged for SMS', () => {
    const subs = Object.values(template.findResources('AWS::SNS::Subscription')).map(
      (s) => s.Properties as Cfn,
    );
    expect(subs.map((s) => [s.Protocol, s.Endpoint]).sort()).toEqual(
      [
        ['email', 'lead@example.com'],
        ['email', 'ops@example.com'],
        ['email', 'team@example.com'],
        ['sms', '+4915112345678'],
        ['sms', '+4915187654321'],
      ].sort(),
    );
    for (const sms of subs.filter((s) => s.Protocol === 'sms')) {
      expect(sms.FilterPolicy).toEqual({ 'nightshift.sms': ['yes'] });
    }
  });

  it('topic policies let CloudWatch/EventBridge and tagged Nightshift roles publish, and deny everyone else', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] },
            Action: 'sns:Publish',
          }),
          Match.objectLike({
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'sns:Publish',
            Condition: {
              StringNotEqualsIfExists: {
                'aws:PrincipalTag/nightshift:publisher': 'shop',
                'aws:PrincipalServiceName': ['cloudwatch.amazonaws.com', 'events.amazonaws.com'],
              },
            },
          }),
        ]),
      },
    });
    const roles = Object.values(template.findResources('AWS::IAM::Role')).filter((r) =>
      JSON.stringify(r.Properties.Tags ?? []).includes('nightshift:publisher'),
    );
    expect(roles).toHaveLength(2); // router and escalation, nothing else
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          }),
        ]),
      },
    });
  });

  it('alarms on SNS SMS month-to-date spend at the configured limit', () => {
    expect(alarmProps('shop-sms-spend')).toMatchObject({
      Namespace: 'AWS/SNS',
      MetricName: 'SMSMonthToDateSpentUSD',
      Threshold: 25,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('router failures page the first level directly, not through the router', () => {
    const failed = alarmProps('shop-alert-router-failed');
    expect(failed.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^T0/) }]);
    // one queue for router events and SNS deliveries: one alarm, also straight to the first level
    expect(alarmProps('shop-alert-undelivered').AlarmActions).toEqual([
      { Ref: expect.stringMatching(/^T0/) },
    ]);
    expect(alarmProps('shop-alert-undelivered').Dimensions).toEqual([
      {
        Name: 'QueueName',
        Value: { 'Fn::GetAtt': [expect.stringMatching(/DeliveryDeadLetterQueue/), 'QueueName'] },
      },
    ]);
  });
});

describe('config alarms, presets and log patterns', () => {
  it('presets become alarms with their thresholds, M of N and severities in the description and tags', () => {
    const cpu = alarmProps('shop-db-cpu');
    expect(cpu).toMatchObject({
      Namespace: 'AWS/RDS',
      MetricName: 'CPUUtilization',
      Statistic: 'Average',
      Period: 60,
      Threshold: 80,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'shop-prod' }],
    });
    expect(cpu.AlarmDescription).toContain('"severity":"critical"');
    expect(cpu.AlarmDescription).toContain('"runbook":"https://wiki.example.com/rb"');
    expect(cpu.Tags).toEqual(expect.arrayContaining([{ Key: 'nightshift:severity', Value: 'critical' }]));

    expect(alarmProps('shop-db-storage')).toMatchObject({
      Threshold: 10737418240,
      ComparisonOperator: 'LessThanThreshold',
      Statistic: 'Minimum',
    });
    expect(alarmProps('shop-db-storage').AlarmDescription).toContain('RDS free storage below 10 GiB');
    expect(alarmProps('shop-alb-slow')).toMatchObject({ ExtendedStatistic: 'p95', Threshold: 2 });
    expect(alarmProps('shop-api-memory')).toMatchObject({ Threshold: 85, Namespace: 'AWS/ECS' });
    expect(alarmProps('shop-api-memory').AlarmDescription).toContain('"severity":"medium"');
  });

  it('metric math: 100 * 5xx / requests over the load balancer', () => {
    const rate = alarmProps('shop-alb-errors');
    expect(rate.Threshold).toBe(2);
    expect(rate.AlarmDescription).toContain('"severity":"high"');
    const ids = Object.fromEntries(
      (rate.Metrics as { Id: string; Expression?: string; MetricStat?: Cfn }[]).map((m) => [m.Id, m]),
    );
    expect(ids.expr_1?.Expression ?? Object.values(ids).find((m) => m.Expression)?.Expression).toBe(
      '100 * FILL(errors, 0) / requests',
    );
    expect(ids.errors?.MetricStat?.Metric).toMatchObject({
      MetricName: 'HTTPCode_Target_5XX_Count',
      Dimensions: [{ Name: 'LoadBalancer', Value: 'app/shop/50dc6c495c0c9188' }],
    });
    expect(ids.requests?.MetricStat?.Stat).toBe('Sum');
  });

  it('a fully custom alarm keeps every field', () => {
    expect(alarmProps('shop-queue-depth')).toMatchObject({
      Namespace: 'AWS/SQS',
      Statistic: 'Maximum',
      Threshold: 1000,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Period: 60,
      DatapointsToAlarm: 3,
      EvaluationPeriods: 5,
      TreatMissingData: 'breaching',
    });
  });

  it('log patterns become metric filters and alarms with threshold per period and severity', () => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: '/ecs/shop-api',
      FilterPattern: '"authentication failed"',
      MetricTransformations: [
        {
          MetricNamespace: 'Nightshift/LogPatterns',
          MetricName: 'shop-log-auth-failed',
          MetricValue: '1',
          DefaultValue: 0,
        },
      ],
    });
    template.hasResourceProperties('AWS::Logs::MetricFilter', { FilterPattern: '{ $.code = "AUTH_001" }' });
    expect(alarmProps('shop-log-auth-failed')).toMatchObject({ Threshold: 5, Period: 300, Statistic: 'Sum' });
    expect(alarmProps('shop-log-auth-failed').AlarmDescription).toContain('"severity":"high"');
    expect(alarmProps('shop-log-auth-001')).toMatchObject({ Threshold: 1, Period: 600 });
    expect(alarmProps('shop-log-auth-001').AlarmDescription).toContain('"severity":"medium"');
  });

  it('a preset without its dimensions fails at config validation with the field to add', () => {
    expect(() =>
      testConfig({ alerts: { ...ALERTS, alarms: [{ name: 'db-cpu', preset: 'rds-cpu' }] } }),
    ).toThrow(/alerts\.alarms\[0\]\.dimensions: preset rds-cpu needs dimensions DBInstanceIdentifier/);
  });
});

describe('dashboard', () => {
  it('adds an Alerting section', () => {
    expect(built.context.dashboard.sections).toContain('Alerting');
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(body).toContain('SMSMonthToDateSpentUSD');
    expect(body).toContain('Escalations started / failed');
  });
});
