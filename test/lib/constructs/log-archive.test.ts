import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { decodeAlarmDescription } from '../../../lambdas/shared/alarm-metadata';
import { logArchiveSchema } from '../../../lib/config/schema';
import { logArchiveLifecycleRules } from '../../../lib/constructs/log-archive';
import { nagFindings, testApp, testConfig } from '../../support/cdk';

function build(logArchive: Record<string, unknown>) {
  const nightshift = testApp(testConfig({ logArchive }));
  return {
    ...nightshift,
    jobs: Template.fromStack(nightshift.jobs),
    data: Template.fromStack(nightshift.data),
  };
}

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown; Effect: string };

function statements(template: Template, rolePrefix: RegExp): Statement[] {
  const out: Statement[] = [];
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    const roles = JSON.stringify((policy.Properties as { Roles: unknown }).Roles);
    if (!rolePrefix.test(roles)) continue;
    out.push(
      ...(policy.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement,
    );
  }
  return out;
}

const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
// the partition is a literal for a known region (@aws-cdk/core:enablePartitionLiterals)
const ARN = (pattern: string) => `arn:aws:logs:eu-west-1:123456789012:log-group:${pattern}`;

describe('LogArchive', () => {
  const basic = build({
    groups: [{ name: '/ecs/api' }, { prefix: '/aws/lambda/shop-' }],
    hotRetentionDays: 14,
  });

  it('schedules the daily archive and the deadline check on a 15-minute, 1 GiB function', () => {
    basic.jobs.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'shop-log-archive-daily',
      ScheduleExpression: 'cron(30 1 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      Target: Match.objectLike({ Input: JSON.stringify({ schedule: 'daily', action: 'archive' }) }),
    });
    basic.jobs.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'shop-log-archive-deadline-check',
      Target: Match.objectLike({ Input: JSON.stringify({ schedule: 'deadline-check', action: 'check' }) }),
    });
    basic.jobs.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'shop-log-archive',
      Timeout: 900,
      MemorySize: 1024,
      Environment: { Variables: Match.objectLike({ NIGHTSHIFT_LOG_BUCKET_PREFIX: 'logs/' }) },
    });
  });

  it('limits log reading to the configured groups and S3 writes to logs/', () => {
    const all = statements(basic.jobs, /LogArchiveJobFunctionRole/);
    const filter = all.filter((s) => actions(s).includes('logs:FilterLogEvents'));
    expect(filter).toHaveLength(1);
    expect([...(filter[0]!.Resource as string[])].sort()).toEqual(
      [ARN('/ecs/api:*'), ARN('/aws/lambda/shop-*:*')].sort(),
    );
    // nothing reads log data account-wide
    for (const s of all) {
      if (
        actions(s).some((a) => a === 'logs:*' || a === 'logs:FilterLogEvents' || a === 'logs:GetLogEvents')
      ) {
        expect(JSON.stringify(s.Resource)).not.toMatch(/log-group:\*"/);
      }
    }
    const describe = all.find((s) => actions(s).includes('logs:DescribeLogGroups'));
    expect(describe?.Resource).toEqual(ARN('*'));
    const writes = all.filter((s) => actions(s).includes('s3:PutObject'));
    expect(writes.length).toBe(1);
    for (const s of writes) expect(JSON.stringify(s.Resource)).toMatch(/\/logs\/\*"/);
    // parts go under run-unique keys the manifest lists: nothing is ever deleted
    expect(all.flatMap(actions).filter((a) => /^s3:(\*|Delete)/.test(a))).toEqual([]);
    const invoke = all.find((s) => actions(s).includes('lambda:InvokeFunction'));
    expect(JSON.stringify(invoke?.Resource)).toMatch(/function:shop-log-archive"/);
  });

  it('sets the retention of each named group (not prefixes), allowed on those groups only', () => {
    const retention = basic.jobs.findResources('Custom::AWS');
    const calls = Object.values(retention).map((r) =>
      JSON.stringify((r.Properties as { Create: unknown }).Create),
    );
    expect(calls).toHaveLength(1);
    expect(calls[0]).toContain('putRetentionPolicy');
    expect(calls[0]).toContain('\\"logGroupName\\":\\"/ecs/api\\"');
    expect(calls[0]).toContain('\\"retentionInDays\\":14');
    const policy = statements(basic.jobs, /AWS679f53fac002430cb0da5b7982bd2287/).filter((s) =>
      actions(s).includes('logs:PutRetentionPolicy'),
    );
    expect(policy.map((s) => s.Resource)).toEqual([ARN('/ecs/api')]);
  });

  it('gives the custom-resource provider function a log group with retention and the project key', () => {
    const functions = basic.jobs.findResources('AWS::Lambda::Function');
    const provider = Object.entries(functions).find(([id]) =>
      id.startsWith('AWS679f53fac002430cb0da5b7982bd2287'),
    );
    const logGroupRef = (provider?.[1].Properties as { LoggingConfig?: { LogGroup?: { Ref?: string } } })
      ?.LoggingConfig?.LogGroup?.Ref;
    expect(logGroupRef).toBeDefined();
    type GroupProps = { RetentionInDays?: number; KmsKeyId?: unknown; LogGroupName?: string };
    const groups = Object.values(basic.jobs.findResources('AWS::Logs::LogGroup')).map(
      (r) => r.Properties as GroupProps,
    );
    const group = basic.jobs.findResources('AWS::Logs::LogGroup')[logGroupRef ?? '']?.Properties as
      | GroupProps
      | undefined;
    const jobGroup = groups.find((g) => g.LogGroupName === '/nightshift/shop/log-archive');
    expect(group?.LogGroupName).toBe('/nightshift/shop/log-retention-provider');
    expect(group?.RetentionInDays).toBe(jobGroup?.RetentionInDays);
    expect(group?.RetentionInDays).toBeGreaterThan(0);
    expect(group?.KmsKeyId).toBeDefined();
    expect(group?.KmsKeyId).toEqual(jobGroup?.KmsKeyId);
  });

  it('does not touch retention when manageRetention is false', () => {
    const off = build({ groups: [{ name: '/ecs/api' }], manageRetention: false });
    expect(Object.keys(off.jobs.findResources('Custom::AWS'))).toHaveLength(0);
  });

  it('moves archives to the cold classes and expires them (log bucket lifecycle)', () => {
    basic.data.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: Match.stringLikeRegexp('shop-nightshift-logs'),
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          {
            Id: 'log-archive-cold-storage',
            Prefix: 'logs/',
            Status: 'Enabled',
            Transitions: [
              { StorageClass: 'GLACIER_IR', TransitionInDays: 30 },
              { StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 90 },
            ],
            ExpirationInDays: 365,
          },
        ]),
      },
    });
  });

  it('refuses lifecycle settings S3 cannot apply at config validation, before any construct', () => {
    expect(() =>
      build({
        groups: [{ name: 'x' }],
        cold: { transitions: [{ storageClass: 'DEEP_ARCHIVE', afterDays: 400 }], expireAfterDays: 365 },
      }),
    ).toThrow(/logArchive\.cold\.transitions\[0\]\.afterDays: must be before expireAfterDays \(365\)/);
    expect(() =>
      build({
        groups: [{ name: 'x' }],
        cold: { transitions: [{ storageClass: 'STANDARD_IA', afterDays: 7 }] },
      }),
    ).toThrow(/transitions\[0\]\.afterDays: S3 moves objects to STANDARD_IA after 30 days/);
    expect(() => build({ groups: [{ name: 'x' }], hotRetentionDays: 45 })).toThrow(
      /logArchive\.hotRetentionDays: 45 is not a retention CloudWatch Logs accepts/,
    );
    expect(() => build({ groups: [{ prefix: '/x/', mode: 'firehose' }] })).toThrow(
      /logArchive\.groups\[0\]\.mode: firehose .* give its name/,
    );
  });

  it('writes the transitions in order of their days, whatever order the config lists them in', () => {
    const config = logArchiveSchema.parse({
      groups: [{ name: 'x' }],
      cold: {
        transitions: [
          { storageClass: 'DEEP_ARCHIVE', afterDays: 180 },
          { storageClass: 'STANDARD_IA', afterDays: 30 },
        ],
        expireAfterDays: 365,
      },
    });
    const [rule] = logArchiveLifecycleRules(config);
    expect(rule?.transitions?.map((t) => t.transitionAfter?.toDays())).toEqual([30, 180]);
  });

  it('alarms when the day is not archived by the deadline (missing data keeps the state) and on sustained throttling', () => {
    const alarms = basic.jobs.findResources('AWS::CloudWatch::Alarm');
    const byName = Object.fromEntries(
      Object.values(alarms).map((a) => [
        (a.Properties as { AlarmName: string }).AlarmName,
        a.Properties as Record<string, unknown>,
      ]),
    );
    expect(byName['shop-log-archive-late']).toMatchObject({
      MetricName: 'ArchivedDay',
      Namespace: 'Nightshift',
      Statistic: 'Minimum',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      // no page before the first check; a check that stops is log-archive-failed's page ("did not run")
      TreatMissingData: 'ignore',
      Dimensions: [{ Name: 'Project', Value: 'shop' }],
    });
    expect(decodeAlarmDescription(byName['shop-log-archive-late']!.AlarmDescription as string)).toMatchObject(
      {
        summary:
          "the previous day's logs are not archived by 06:00 (Europe/Berlin); if the run logs many throttles, raise the FilterLogEvents quota or move big groups to mode export-task",
        meta: { target: 'log-archive', severity: 'medium' },
      },
    );
    // throttling pages only through what it causes: -late or -failed
    expect(byName['shop-log-archive-throttled']).toBeUndefined();
    expect(byName['shop-log-archive-failed']).toBeDefined();
  });

  it('has no unacknowledged cdk-nag findings', () => {
    expect(nagFindings(basic.app)).toEqual([]);
  });

  describe('high-volume modes', () => {
    const modes = build({
      groups: [
        { name: '/ecs/api' },
        { name: '/ecs/big', mode: 'export-task' },
        { name: '/ecs/live', mode: 'firehose' },
        { tag: { key: 'archive', value: 'yes' } },
      ],
    });

    it('export-task: a state machine that exports one group at a time and waits for each task', () => {
      modes.jobs.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: 'shop-log-export',
        TracingConfiguration: { Enabled: false },
      });
      const machine = Object.values(
        modes.jobs.findResources('AWS::StepFunctions::StateMachine', {
          Properties: { StateMachineName: 'shop-log-export' },
        }),
      )[0]!;
      const definition = JSON.stringify(
        (machine.Properties as { DefinitionString: unknown }).DefinitionString,
      );
      expect(definition).toContain('MaxConcurrency\\":1');
      expect(definition).toContain('cloudwatchlogs:createExportTask');
      expect(definition).toContain('CloudWatchLogs.LimitExceededException');
      expect(definition).toContain('cloudwatchlogs:describeExportTasks');
      const create = statements(modes.jobs, /ExportStateMachineRole/).find((s) =>
        actions(s).includes('logs:CreateExportTask'),
      );
      expect(create?.Resource).toEqual(ARN('/ecs/big:*'));
      modes.jobs.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: 'shop-log-archive',
        Environment: { Variables: Match.objectLike({ NIGHTSHIFT_EXPORT_STATE_MACHINE: Match.anyValue() }) },
      });
      // CloudWatch Logs may write export objects under logs/_export/ only
      const policy = Object.values(modes.data.findResources('AWS::S3::BucketPolicy'))
        .map((p) => JSON.stringify(p.Properties))
        .find((p) => p.includes('logs.eu-west-1.amazonaws.com'));
      expect(policy).toMatch(/logs\/_export\/\*/);
    });

    it('firehose: subscription filter → encrypted delivery stream → logs/_firehose/<group>/', () => {
      modes.jobs.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
        LogGroupName: '/ecs/live',
        FilterPattern: '',
      });
      modes.jobs.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
        DeliveryStreamEncryptionConfigurationInput: {
          KeyType: 'CUSTOMER_MANAGED_CMK',
          KeyARN: Match.anyValue(),
        },
        ExtendedS3DestinationConfiguration: Match.objectLike({
          Prefix: 'logs/_firehose/ecs/live/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/',
        }),
      });
    });

    it('tag selectors read only groups carrying the tag', () => {
      const tagged = statements(modes.jobs, /LogArchiveJobFunctionRole/).find(
        (s) => actions(s).includes('logs:FilterLogEvents') && s.Condition !== undefined,
      );
      expect(tagged?.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/archive': 'yes' } });
    });

    it('has no unacknowledged cdk-nag findings', () => {
      expect(nagFindings(modes.app)).toEqual([]);
    });
  });
});
