import { Match, Template } from 'aws-cdk-lib/assertions';
import { Cluster, ContainerImage, ContainerInsights } from 'aws-cdk-lib/aws-ecs';
import { describe, expect, it } from 'vitest';
import { DID_NOT_RUN_VALUE, FAILED_OR_DID_NOT_RUN } from '../../../lambdas/alert-router/event';
import { decodeAlarmDescription } from '../../../lambdas/shared/alarm-metadata';
import {
  type EnvContract,
  envReader,
  handlerVariable,
  NODE_OPTIONS,
  writeEnv,
} from '../../../lambdas/shared/env';
import { didNotRunWindow, JobCode, ScheduledJob } from '../../../lib/constructs/scheduled-job';
import { nagFindings, testApp, testConfig } from '../../support/cdk';

const NETWORK = {
  vpcId: 'vpc-0a1b2c3d4e5f67890',
  subnetIds: ['subnet-0a1b2c3d4e5f67890', 'subnet-0f1e2d3c4b5a69870'],
  securityGroupIds: ['sg-0a1b2c3d4e5f67890'],
};

/** The test job's contract: a bucket binding and a secret name. */
const BUCKET_VARS = { bucket: 'BACKUP_BUCKET', prefix: 'BACKUP_BUCKET_PREFIX' };

/** What the cdk-nag tests bind: a read-write bucket prefix and a secret, the widest grants a job gets. */
function bindAll({ job, jobs }: Pick<ReturnType<typeof build>, 'job' | 'jobs'>): void {
  job.bindBucket(jobs.context.backupBucket, {
    variables: BUCKET_VARS,
    prefix: 'backups/db/',
    access: 'readwrite',
  });
  job.bindSecret('prod/shop/db');
}
const heartbeatEnv: EnvContract<Record<string, string>> = {
  job: 'heartbeat',
  variables: [
    handlerVariable(BUCKET_VARS.bucket, false),
    handlerVariable(BUCKET_VARS.prefix, false),
    handlerVariable('DB_SECRET', false),
    NODE_OPTIONS,
  ],
  nodeFlags: [],
  read: (env) => ({ secret: envReader('heartbeat', env).required('DB_SECRET') }),
};

function build(
  options: {
    vpc?: boolean;
    schedules?: { name: string; expression: string; input?: Record<string, unknown> }[];
  } = {},
) {
  const nightshift = testApp(testConfig(options.vpc ? { network: NETWORK } : {}));
  const job = new ScheduledJob(nightshift.jobs, 'Heartbeat', {
    context: nightshift.jobs.context,
    jobName: 'heartbeat',
    description: 'Heartbeat',
    code: JobCode.nodejs('test/fixtures/handler.ts'),
    schedules: options.schedules ?? [{ name: 'minute', expression: 'rate(1 minute)' }],
    severity: 'critical',
    vpc: options.vpc,
    environment: writeEnv(heartbeatEnv, {}),
  });
  return { ...nightshift, job, template: () => Template.fromStack(nightshift.jobs) };
}

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

describe('ScheduledJob', () => {
  it('runs Node.js 24 on ARM64 with JSON logs into its own log group with retention, untraced by default', () => {
    const template = build().template();
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'shop-heartbeat',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      LoggingConfig: { LogFormat: 'JSON', LogGroup: Match.anyValue() },
      TracingConfig: Match.absent(),
      // exactly what the job's contract writes: here only the source maps
      Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/nightshift/shop/heartbeat',
      RetentionInDays: 30,
      KmsKeyId: Match.anyValue(),
    });
  });

  it('has no managed policies', () => {
    const template = build({ vpc: true }).template();
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
      expect((role.Properties as { ManagedPolicyArns?: unknown }).ManagedPolicyArns).toBeUndefined();
    }
  });

  it("schedules in the project time zone with retries, max event age and the jobs' shared encrypted DLQ", () => {
    const template = build().template();
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'shop-heartbeat-minute',
      ScheduleExpression: 'rate(1 minute)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      Target: {
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^HeartbeatFunction'), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: {
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobsDeadLetterQueue'), 'Arn'] },
        },
        Input: JSON.stringify({ schedule: 'minute' }),
        RoleArn: Match.anyValue(),
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'shop-jobs-dlq',
      KmsMasterKeyId: Match.anyValue(),
    });
    // one alarm on it for every job, with the severity of the most severe (here the only) job
    const dlqAlarm = Object.values(template.findResources('AWS::CloudWatch::Alarm') as Resources).find(
      (a) => a.Properties.AlarmName === 'shop-jobs-dlq',
    );
    expect(dlqAlarm?.Properties).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
    });
    expect(decodeAlarmDescription(dlqAlarm?.Properties.AlarmDescription as string).meta?.severity).toBe(
      'critical',
    );
  });

  it('passes schedule input to the function', () => {
    const template = build({
      schedules: [
        { name: 'minute', expression: 'rate(1 minute)' },
        { name: 'hourly', expression: 'rate(1 hour)', input: { interval: 3_600_000 } },
      ],
    }).template();
    template.resourceCountIs('AWS::Scheduler::Schedule', 2);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'shop-heartbeat-hourly',
      Target: Match.objectLike({ Input: JSON.stringify({ schedule: 'hourly', interval: 3_600_000 }) }),
    });
  });

  it('a job running more often than hourly has ONE alarm for failed and did not run: FILL(Errors, 0.5), missing data breaching', () => {
    const template = build().template();
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm') as Resources)
      .map((a) => a.Properties)
      .filter((a) => String(a.AlarmName).startsWith('shop-heartbeat-'));
    const byName = Object.fromEntries(alarms.map((a) => [a.AlarmName as string, a]));
    expect(Object.keys(byName).sort()).toEqual(['shop-heartbeat-failed']);
    expect(byName['shop-heartbeat-failed']).toMatchObject({
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'breaching',
    });
    // a period without an invocation reads 0.5 (breaching, and not a whole count of errors)
    expect(byName['shop-heartbeat-failed']?.Metrics).toEqual([
      expect.objectContaining({ Expression: `FILL(m, ${DID_NOT_RUN_VALUE})`, ReturnData: true }),
      expect.objectContaining({
        Id: 'm',
        MetricStat: expect.objectContaining({
          Metric: expect.objectContaining({ MetricName: 'Errors', Namespace: 'AWS/Lambda' }),
          Period: 300,
          Stat: 'Sum',
        }),
      }),
    ]);
    expect(decodeAlarmDescription(byName['shop-heartbeat-failed']?.AlarmDescription as string).summary).toBe(
      `heartbeat job failed ${FAILED_OR_DID_NOT_RUN}`,
    );
  });

  it('alarms on errors and on a missing run (missing data breaching), with severity metadata', () => {
    // an hourly job: its Errors must ignore the hours between runs, so -did-not-run is its own alarm
    const template = build({ schedules: [{ name: 'hourly', expression: 'cron(0 * * * ? *)' }] }).template();
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm') as Resources)
      .map((a) => a.Properties)
      .filter((a) => String(a.AlarmName).startsWith('shop-heartbeat-'));
    const byName = Object.fromEntries(alarms.map((a) => [a.AlarmName as string, a]));
    expect(Object.keys(byName).sort()).toEqual(['shop-heartbeat-did-not-run', 'shop-heartbeat-failed']);
    expect(byName['shop-heartbeat-failed']).toMatchObject({
      MetricName: 'Errors',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      // a failure stays in ALARM until the next invocation reports Errors 0
      TreatMissingData: 'ignore',
    });
    expect(byName['shop-heartbeat-did-not-run']).toMatchObject({
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
    });
    // invocations with 0 for every period without one (FILL): an old invocation cannot keep it OK
    expect(byName['shop-heartbeat-did-not-run']?.Metrics).toEqual([
      expect.objectContaining({ Expression: 'FILL(m, 0)', ReturnData: true }),
      expect.objectContaining({
        Id: 'm',
        MetricStat: expect.objectContaining({
          Metric: expect.objectContaining({ MetricName: 'Invocations', Namespace: 'AWS/Lambda' }),
          Period: 3600,
          Stat: 'Sum',
        }),
      }),
    ]);
    for (const alarm of alarms) {
      expect(decodeAlarmDescription(alarm.AlarmDescription as string).meta).toEqual({
        severity: 'critical',
        target: 'heartbeat',
        project: 'shop',
      });
      expect(alarm.Tags).toEqual(expect.arrayContaining([{ Key: 'nightshift:severity', Value: 'critical' }]));
    }
  });

  it('sizes the "did not run" window from the schedule', () => {
    expect(didNotRunWindow('rate(1 minute)', 'UTC')).toEqual({ periodMs: 300_000, periods: 1 });
    expect(didNotRunWindow('rate(15 minutes)', 'UTC')).toEqual({ periodMs: 1_800_000, periods: 1 });
    expect(didNotRunWindow('cron(0 2 * * ? *)', 'Europe/Berlin')).toEqual({
      periodMs: 3_600_000,
      periods: 25,
    });
    expect(didNotRunWindow('cron(0 3 ? * SUN *)', 'UTC')).toEqual({ periodMs: 3_600_000, periods: 168 });
    // Rarer than weekly: CloudWatch cannot look back far enough, so no alarm rather than a false one.
    expect(didNotRunWindow('cron(0 5 1 * ? *)', 'UTC')).toBeUndefined();
  });

  it('runs inside the configured VPC subnets and security groups when asked', () => {
    const template = build({ vpc: true }).template();
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SubnetIds: NETWORK.subnetIds, SecurityGroupIds: NETWORK.securityGroupIds },
    });
    expect(() =>
      build({ vpc: false })
        .template()
        .hasResourceProperties('AWS::Lambda::Function', { VpcConfig: Match.anyValue() }),
    ).toThrow();
  });

  it('binds a bucket prefix: put/tag/abort under the prefix, no delete, list limited to the prefix', () => {
    const { job, jobs, template } = build();
    job.bindBucket(jobs.context.backupBucket, {
      variables: BUCKET_VARS,
      prefix: 'backups/db/',
      access: 'write',
    });
    const t = template();
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          BACKUP_BUCKET: 'shop-nightshift-backups-123456789012-eu-west-1',
          BACKUP_BUCKET_PREFIX: 'backups/db/',
        }),
      },
    });
    const policy = JSON.stringify(t.findResources('AWS::IAM::Policy'));
    expect(policy).toContain('shop-nightshift-backups-123456789012-eu-west-1/backups/db/*');
    expect(policy).toContain('"s3:prefix":["backups/db/*"]');
    expect(policy).not.toMatch(/s3:Delete/);
    expect(policy).not.toContain('s3:GetObject');
  });

  it('binds secrets by name: read access to that secret only, the name (not a value) in the environment', () => {
    const { job, template } = build();
    job.bindSecret('prod/shop/db', 'DB_SECRET');
    const t = template();
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DB_SECRET: 'prod/shop/db' }) },
    });
    const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
      (p) =>
        (p.Properties as { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } })
          .PolicyDocument.Statement,
    );
    const secretStatements = statements.filter((s) => JSON.stringify(s.Action).includes('secretsmanager:'));
    expect(secretStatements).toHaveLength(1);
    expect(JSON.stringify(secretStatements[0]?.Resource)).toContain(':secret:prod/shop/db-??????');
  });

  it('writes only variables of its contract: an undeclared name throws at synth, naming the contract', () => {
    const { job, jobs } = build();
    expect(() => job.addEnvironment('UNREAD', 'x')).toThrow(
      /heartbeat: environment variable UNREAD is not in the job's contract \(lambdas\/heartbeat\/env.ts\)/,
    );
    expect(() => job.bindSecret('prod/shop/db', 'OTHER_SECRET')).toThrow(
      /OTHER_SECRET is not in the job's contract/,
    );
    expect(() =>
      job.bindBucket(jobs.context.backupBucket, {
        variables: { bucket: 'LOG_BUCKET', prefix: 'LOG_BUCKET_PREFIX' },
        prefix: 'logs/',
        access: 'read',
      }),
    ).toThrow(/LOG_BUCKET is not in the job's contract/);
    expect(() => writeEnv(heartbeatEnv, { UNREAD: 'x' })).toThrow(/UNREAD is not in the job's contract/);
  });

  it('rejects a job without schedules, and duplicate schedule names', () => {
    const { jobs } = testApp();
    const props = {
      context: jobs.context,
      jobName: 'x',
      description: 'x',
      code: JobCode.nodejs('test/fixtures/handler.ts'),
      severity: 'high' as const,
      environment: writeEnv(heartbeatEnv, {}),
    };
    expect(() => new ScheduledJob(jobs, 'A', { ...props, schedules: [] })).toThrow(
      /internal: x was given no schedule/,
    );
    expect(
      () =>
        new ScheduledJob(jobs, 'B', {
          ...props,
          schedules: [
            { name: 'a', expression: 'rate(1 minute)' },
            { name: 'a', expression: 'rate(5 minutes)' },
          ],
        }),
    ).toThrow(/internal: x was given schedule name "a" twice/);
  });

  it('is cdk-nag clean (AwsSolutions, Serverless), in and out of a VPC', () => {
    for (const vpc of [false, true]) {
      const built = build({ vpc });
      bindAll(built);
      expect(nagFindings(built.app)).toEqual([]);
    }
  });
});

/** The same job on the Fargate runtime: one task definition per schedule, in config.network. */
function buildFargate() {
  const nightshift = testApp(testConfig({ network: NETWORK }));
  const { jobs } = nightshift;
  let clusters = 0;
  const job = new ScheduledJob(jobs, 'Heartbeat', {
    context: jobs.context,
    jobName: 'heartbeat',
    description: 'Heartbeat',
    runtime: 'fargate',
    fargate: {
      cluster: (vpc) => {
        clusters += 1;
        return new Cluster(jobs, 'Cluster', { vpc, containerInsightsV2: ContainerInsights.ENABLED });
      },
      image: ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:latest'),
      containerName: 'heartbeat',
      entryPoint: ['node', 'task.mjs'],
      command: (schedule) => [schedule.name],
      cpu: 1024,
      memoryLimitMiB: 2048,
    },
    schedules: [
      { name: 'beat', expression: 'rate(1 hour)', description: 'beat on Fargate' },
      { name: 'check', expression: 'cron(0 3 1 * ? *)' },
    ],
    severity: 'critical',
    environment: writeEnv(heartbeatEnv, {}),
  });
  return { ...nightshift, job, clusters: () => clusters, template: () => Template.fromStack(jobs) };
}

describe('ScheduledJob on Fargate', () => {
  it('starts one ARM64 task definition per schedule through the same scheduler role, retries and DLQ', () => {
    const { job, template, clusters } = buildFargate();
    const t = template();
    expect(clusters()).toBe(1);
    expect(Object.keys(job.tasks).sort()).toEqual(['beat', 'check']);
    expect(() => job.function).toThrow(/heartbeat: a Fargate job has no Lambda function/);
    expect(
      Object.keys(t.findResources('AWS::Lambda::Function')).filter((id) => id.includes('Heartbeat')),
    ).toEqual([]);
    t.resourceCountIs('AWS::ECS::TaskDefinition', 2);
    t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Family: 'shop-heartbeat-check',
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      ContainerDefinitions: [
        Match.objectLike({ Name: 'heartbeat', Command: ['check'], ReadonlyRootFilesystem: true }),
      ],
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/nightshift/shop/heartbeat' });
    const schedules = Object.values(t.findResources('AWS::Scheduler::Schedule') as Resources);
    expect(schedules).toHaveLength(2);
    const roles = new Set(
      schedules.map((s) => JSON.stringify((s.Properties.Target as { RoleArn: unknown }).RoleArn)),
    );
    expect(roles.size).toBe(1);
    const beat = schedules.find((s) => s.Properties.Name === 'shop-heartbeat-beat');
    expect(beat?.Properties.Description).toBe('beat on Fargate (rate(1 hour), Europe/Berlin)');
    expect(beat?.Properties.Target).toMatchObject({
      RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
      EcsParameters: {
        LaunchType: 'FARGATE',
        NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'DISABLED' } },
      },
    });
    t.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'shop-jobs-dlq' });
  });

  it('has the shared DLQ alarm but no Lambda -failed / -did-not-run alarms (ECS publishes no Errors or Invocations)', () => {
    const names = Object.values(
      buildFargate().template().findResources('AWS::CloudWatch::Alarm') as Resources,
    ).map((a) => a.Properties.AlarmName);
    expect(names.filter((n) => String(n).startsWith('shop-heartbeat'))).toEqual([]);
    expect(names).toContain('shop-jobs-dlq');
  });

  it('binds bucket and secret like a Lambda job: every container gets the names, the task role the grants', () => {
    const { job, jobs, template } = buildFargate();
    job.bindBucket(jobs.context.backupBucket, {
      variables: BUCKET_VARS,
      prefix: 'backups/db/',
      access: 'write',
    });
    job.bindSecret('prod/shop/db', 'DB_SECRET');
    job.bindSecret('prod/shop/db');
    const t = template();
    for (const task of Object.values(t.findResources('AWS::ECS::TaskDefinition') as Resources)) {
      const [container] = task.Properties.ContainerDefinitions as {
        Environment: { Name: string; Value: unknown }[];
      }[];
      expect(Object.fromEntries(container!.Environment.map((e) => [e.Name, e.Value]))).toMatchObject({
        BACKUP_BUCKET: 'shop-nightshift-backups-123456789012-eu-west-1',
        BACKUP_BUCKET_PREFIX: 'backups/db/',
        DB_SECRET: 'prod/shop/db',
      });
    }
    const taskPolicy = Object.entries(t.findResources('AWS::IAM::Policy') as Resources).find(([id]) =>
      id.includes('TaskRole'),
    );
    const policy = JSON.stringify(taskPolicy?.[1]);
    expect(policy).toContain('shop-nightshift-backups-123456789012-eu-west-1/backups/db/*');
    expect(policy.match(/:secret:prod\/shop\/db-\?\?\?\?\?\?/g)).toHaveLength(1);
    expect(policy).not.toMatch(/s3:Delete/);
    expect(() => job.addEnvironment('UNREAD', 'x')).toThrow(/UNREAD is not in the job's contract/);
  });

  it('is cdk-nag clean (AwsSolutions, Serverless) with a bucket and a secret bound', () => {
    const built = buildFargate();
    bindAll(built);
    expect(nagFindings(built.app)).toEqual([]);
  });

  it('needs config.network', () => {
    const { jobs } = testApp();
    expect(
      () =>
        new ScheduledJob(jobs, 'X', {
          context: jobs.context,
          jobName: 'x',
          description: 'x',
          runtime: 'fargate',
          fargate: {
            cluster: (vpc) => new Cluster(jobs, 'Cluster', { vpc }),
            image: ContainerImage.fromRegistry('busybox'),
            containerName: 'x',
            entryPoint: ['x'],
            command: () => [],
            cpu: 1024,
            memoryLimitMiB: 2048,
          },
          schedules: [{ name: 'a', expression: 'rate(1 hour)' }],
          severity: 'high',
          environment: writeEnv(heartbeatEnv, {}),
        }),
    ).toThrow(/x: runtime fargate needs config.network/);
  });
});

describe("the jobs' shared dead-letter queue", () => {
  it('one queue and one jobs-dlq alarm for every job, with the severity of the most severe', () => {
    const nightshift = testApp(testConfig());
    const job = (name: string, severity: 'low' | 'high') =>
      new ScheduledJob(nightshift.jobs, name, {
        context: nightshift.jobs.context,
        jobName: name,
        description: name,
        code: JobCode.nodejs('test/fixtures/handler.ts'),
        schedules: [{ name: 'hourly', expression: 'cron(0 * * * ? *)' }],
        severity,
        environment: writeEnv({ ...heartbeatEnv, job: name }, {}),
      });
    const quiet = job('quiet', 'low');
    const loud = job('loud', 'high');
    expect(quiet.deadLetterQueue).toBe(loud.deadLetterQueue);
    const template = Template.fromStack(nightshift.jobs);
    const queues = Object.values(template.findResources('AWS::SQS::Queue') as Resources).map(
      (q) => q.Properties.QueueName,
    );
    expect(queues.filter((n) => n === 'shop-jobs-dlq')).toHaveLength(1);
    const dlqAlarms = Object.values(template.findResources('AWS::CloudWatch::Alarm') as Resources).filter(
      (a) => a.Properties.AlarmName === 'shop-jobs-dlq',
    );
    expect(dlqAlarms).toHaveLength(1);
    expect(decodeAlarmDescription(dlqAlarms[0]?.Properties.AlarmDescription as string).meta?.severity).toBe(
      'high',
    );
    expect(nightshift.jobs.context.alarms.filter((a) => a.node.id === 'JobsDeadLetters')).toHaveLength(1);
  });
});
