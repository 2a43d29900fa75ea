/**
 * HealthChecks construct: schedules per interval with the targets in their input, the function in the
 * VPC only when configured, per-target alarms with the configured severity, least-privilege secrets.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { decodeAlarmDescription } from '../../../lambdas/shared/alarm-metadata';
import { effectiveHealthTargets } from '../../../lib/config/resolved';
import {
  type HealthChecks,
  healthSchedules,
  lowerSeverity,
  MAX_SCHEDULE_INPUT,
  rateFor,
  referencedSecrets,
} from '../../../lib/constructs/health-check';
import { nagFindings, testApp, testConfig } from '../../support/cdk';

const NETWORK = {
  vpcId: 'vpc-0a1b2c3d4e5f67890',
  subnetIds: ['subnet-0a1b2c3d4e5f67890', 'subnet-0f1e2d3c4b5a69870'],
  securityGroupIds: ['sg-0a1b2c3d4e5f67890'],
};
const DB_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/shop/db-AbCdEf';

const TARGETS = [
  {
    name: 'api',
    severity: 'critical',
    maxLatency: '2s',
    http: {
      url: 'https://api.example.com/health',
      headers: { Authorization: { secret: 'prod/shop/api-token', key: 'token' }, Accept: 'application/json' },
      json: [{ path: '$.database', equals: 'connected' }],
    },
  },
  {
    name: 'db',
    severity: 'high',
    interval: '5m',
    postgres: { secret: DB_SECRET, replicationLagSeconds: 30 },
  },
  { name: 'cache', severity: 'medium', interval: '5m', redis: { secret: 'prod/shop/redis' } },
  { name: 'smtp', tcp: { host: 'smtp.example.com', port: 587 } },
];

function build(extra: Record<string, unknown> = {}, targets: unknown[] = TARGETS) {
  const config = testConfig({ healthChecks: { targets }, ...extra });
  const nightshift = testApp(config);
  const construct = nightshift.jobs.node.findChild('HealthChecks') as HealthChecks;
  return { config, construct, template: Template.fromStack(nightshift.jobs), jobs: nightshift.jobs };
}

type Resource = { Properties: Record<string, unknown> };

function alarmsByName(template: Template): Map<string, Resource['Properties']> {
  const alarms = template.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>;
  return new Map(Object.values(alarms).map((a) => [a.Properties.AlarmName as string, a.Properties]));
}

describe('HealthChecks', () => {
  const built = build();

  it('schedules the default targets on healthChecks.schedule and each interval on its own rate', () => {
    const schedules = built.template.findResources('AWS::Scheduler::Schedule') as Record<string, Resource>;
    const byName = Object.fromEntries(
      Object.values(schedules).map((s) => [
        s.Properties.Name,
        {
          expression: s.Properties.ScheduleExpression,
          periodMs: JSON.parse((s.Properties.Target as { Input: string }).Input).periodMs,
          targets: JSON.parse((s.Properties.Target as { Input: string }).Input).targets.map(
            (t: { target: { name: string } }) => t.target.name,
          ),
        },
      ]),
    );
    expect(byName).toEqual({
      'shop-health-check-default': {
        expression: 'rate(1 minute)',
        periodMs: 60_000,
        targets: ['api', 'smtp'],
      },
      'shop-health-check-every-5m': {
        expression: 'rate(5 minutes)',
        periodMs: 300_000,
        targets: ['db', 'cache'],
      },
    });
  });

  it('puts secret names, never values, in the schedule input, and no retries of stale events', () => {
    built.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'shop-health-check-default',
      Target: Match.objectLike({
        Input: Match.stringLikeRegexp('"secret":"prod/shop/api-token"'),
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
      }),
    });
  });

  it('runs outside a VPC by default with the concurrency in the environment', () => {
    const fn = built.template.findResources('AWS::Lambda::Function', {
      Properties: { FunctionName: 'shop-health-check' },
    }) as Record<string, Resource>;
    const [props] = Object.values(fn).map((f) => f.Properties);
    expect(props?.VpcConfig).toBeUndefined();
    expect(props?.Environment).toEqual({
      Variables: expect.objectContaining({
        NIGHTSHIFT_HEALTH_CONCURRENCY: '128',
        NIGHTSHIFT_PROJECT: 'shop',
      }),
    });
  });

  it('runs inside the configured subnets and security groups when config.network is set', () => {
    const { template } = build({ network: NETWORK });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'shop-health-check',
      VpcConfig: {
        SubnetIds: NETWORK.subnetIds,
        SecurityGroupIds: NETWORK.securityGroupIds,
      },
    });
  });

  it('stays outside the VPC when healthChecks.vpc is false', () => {
    const { template } = build({ network: NETWORK, healthChecks: { vpc: false, targets: TARGETS } });
    const fn = template.findResources('AWS::Lambda::Function', {
      Properties: { FunctionName: 'shop-health-check' },
    }) as Record<string, Resource>;
    expect(Object.values(fn)[0]?.Properties.VpcConfig).toBeUndefined();
  });

  it('creates the alarms of each target with its severity in the description and tags', () => {
    const alarms = alarmsByName(built.template);
    const expected: [string, string][] = [
      ['shop-health-api-down', 'critical'],
      // latency alarms are opt-in: only api sets maxLatency
      ['shop-health-api-latency', 'critical'],
      ['shop-health-api-tls-warn', 'high'],
      ['shop-health-api-tls-critical', 'critical'],
      ['shop-health-db-down', 'high'],
      ['shop-health-db-connections-percent', 'high'],
      ['shop-health-db-replication-lag-seconds', 'high'],
      ['shop-health-cache-down', 'medium'],
      ['shop-health-cache-memory-percent', 'medium'],
      ['shop-health-smtp-down', 'high'],
    ];
    for (const [name, severity] of expected) {
      const alarm = alarms.get(name);
      expect(alarm, name).toBeDefined();
      const { meta } = decodeAlarmDescription(alarm?.AlarmDescription as string);
      expect(meta?.severity, name).toBe(severity);
      expect(alarm?.Tags, name).toEqual(
        expect.arrayContaining([{ Key: 'nightshift:severity', Value: severity }]),
      );
    }
    const healthAlarms = [...alarms.keys()].filter(
      (n) => n.startsWith('shop-health-') && !n.startsWith('shop-health-check'),
    );
    expect(healthAlarms.sort()).toEqual(expected.map(([n]) => n).sort());
    // the job's own alarms page like the most severe target
    const { meta } = decodeAlarmDescription(
      alarms.get('shop-health-check-failed')?.AlarmDescription as string,
    );
    expect(meta?.severity).toBe('critical');
  });

  it('alarms when down for 2 of 3 checks by default, on the Up metric of the target (1 when absent)', () => {
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'shop-health-db-down',
      // the checks send Up only as 0 (breaches only): a period without a datapoint is a passing one
      Metrics: [
        Match.objectLike({ Expression: 'FILL(m, 1)', ReturnData: true }),
        Match.objectLike({
          Id: 'm',
          ReturnData: false,
          MetricStat: {
            Metric: {
              Namespace: 'Nightshift',
              MetricName: 'Up',
              Dimensions: Match.arrayWith([
                { Name: 'Project', Value: 'shop' },
                { Name: 'Target', Value: 'db' },
              ]),
            },
            Stat: 'Minimum',
            Period: 300,
          },
        }),
      ],
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
    });
  });

  it('tells the checks to send only breaching values, or every value when the dashboard graphs them', () => {
    const inputOf = (template: Template) =>
      Object.values(template.findResources('AWS::Scheduler::Schedule')).map(
        (r) => JSON.parse(r.Properties.Target.Input as string).metricsSent,
      );
    expect(inputOf(built.template)).toEqual(expect.arrayContaining(['breaches']));
    expect(new Set(inputOf(built.template))).toEqual(new Set(['breaches']));
    const withDashboard = build({ alerts: { ...testConfig().alerts, dashboard: true } });
    expect(new Set(inputOf(withDashboard.template))).toEqual(new Set(['all']));
  });

  it('uses the configured down M of N, maxLatency and TLS days', () => {
    const { template } = build({}, [
      {
        name: 'web',
        maxLatency: '750ms',
        down: { datapoints: 3, evaluationPeriods: 5 },
        http: { url: 'https://www.example.com/', tls: { warnDays: 30, criticalDays: 10 } },
      },
    ]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'shop-health-web-down',
      EvaluationPeriods: 5,
      DatapointsToAlarm: 3,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'shop-health-web-latency',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(m, 0)' }),
        Match.objectLike({
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'LatencyMs' }) }),
        }),
      ]),
      Threshold: 750,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'shop-health-web-tls-warn',
      MetricName: 'TlsDaysLeft',
      Threshold: 30,
      ComparisonOperator: 'LessThanOrEqualToThreshold',
      // sent in the first hour of the UTC day: the alarm judges that hour, the others keep the state
      Period: 3600,
      TreatMissingData: 'ignore',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'shop-health-web-tls-critical',
      Threshold: 10,
    });
  });

  it('has no TLS alarms for http URLs or when tls is false', () => {
    const { template } = build({}, [
      { name: 'plain', http: { url: 'http://internal.example.com/' } },
      { name: 'notls', http: { url: 'https://www.example.com/', tls: false } },
    ]);
    const names = [...alarmsByName(template).keys()];
    expect(names.filter((n) => n.includes('-tls-'))).toEqual([]);
  });

  it('grants GetSecretValue on exactly the referenced secrets', () => {
    const policies = built.template.findResources('AWS::IAM::Policy') as Record<string, Resource>;
    const secretResources = Object.values(policies).flatMap((policy) =>
      (
        policy.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }
      ).Statement.filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue')).flatMap((s) =>
        [s.Resource].flat(),
      ),
    );
    const rendered = JSON.stringify(secretResources);
    expect(secretResources).toHaveLength(3);
    expect(rendered).toContain(DB_SECRET);
    expect(rendered).toContain('secret:prod/shop/api-token-??????');
    expect(rendered).toContain('secret:prod/shop/redis-??????');
    expect(rendered).not.toContain('secret:*');
    expect(built.construct.secrets.sort()).toEqual([DB_SECRET, 'prod/shop/api-token', 'prod/shop/redis']);
  });

  it('adds Up and latency graphs for every target to the dashboard (alerts.dashboard: true)', () => {
    const withDashboard = build({ alerts: { ...testConfig().alerts, dashboard: true } });
    const dashboards = withDashboard.template.findResources('AWS::CloudWatch::Dashboard') as Record<
      string,
      Resource
    >;
    const body = JSON.stringify(Object.values(dashboards)[0]?.Properties.DashboardBody);
    expect(body).toContain('## Health checks');
    for (const name of ['api', 'db', 'cache', 'smtp']) {
      expect(body).toContain(`\\"Target\\",\\"${name}\\"`);
    }
  });

  it('has no unacknowledged cdk-nag findings', () => {
    const findings = nagFindings(built.construct);
    expect(findings).toEqual([]);
  });
});

describe('health schedule helpers', () => {
  it('turns intervals into rate expressions', () => {
    expect(rateFor(60_000)).toBe('rate(1 minute)');
    expect(rateFor(300_000)).toBe('rate(5 minutes)');
    expect(rateFor(3_600_000)).toBe('rate(1 hour)');
    expect(rateFor(7_200_000)).toBe('rate(2 hours)');
    expect(rateFor(86_400_000)).toBe('rate(1 day)');
    expect(rateFor(90_000)).toBe('rate(2 minutes)');
  });

  it('splits a large group over several schedules so no input exceeds the limit', () => {
    const many = Array.from({ length: 120 }, (_, i) => ({
      name: `site-${i}`,
      http: { url: `https://site-${i}.example.com/health`, json: [{ path: '$.status', equals: 'ok' }] },
    }));
    const config = testConfig({ healthChecks: { targets: many } });
    const groups = healthSchedules(config.healthChecks!, effectiveHealthTargets(config));

    expect(groups.length).toBeGreaterThan(1);
    expect(groups.map((g) => g.name).slice(0, 3)).toEqual(['default', 'default-2', 'default-3']);
    expect(groups.flatMap((g) => g.targets.map((t) => t.target.name))).toEqual(many.map((t) => t.name));
    for (const group of groups) {
      expect(JSON.stringify({ schedule: group.name, targets: group.targets }).length).toBeLessThanOrEqual(
        MAX_SCHEDULE_INPUT,
      );
    }
  });

  it('lists each referenced secret once', () => {
    const config = testConfig({
      healthChecks: {
        targets: [
          {
            name: 'one',
            http: { url: 'https://a.example.com/', headers: { 'X-Key': { secret: 'shared' } } },
          },
          {
            name: 'two',
            http: { url: 'https://b.example.com/', headers: { 'X-Key': { secret: 'shared' } } },
          },
          { name: 'three', redis: { url: 'redis://cache:6379' } },
        ],
      },
    });
    expect(referencedSecrets(effectiveHealthTargets(config))).toEqual(['shared']);
  });

  it('lowers severity one step for TLS warnings', () => {
    expect(['critical', 'high', 'medium', 'low'].map((s) => lowerSeverity(s as never))).toEqual([
      'high',
      'medium',
      'low',
      'low',
    ]);
  });
});

describe('HealthChecks with sub-minute intervals', () => {
  const SUB = [
    { name: 'api', interval: '30s', downFor: '30s', http: { url: 'https://api.example.com/health' } },
    { name: 'fast', interval: '10s', severity: 'critical', http: { url: 'https://fast.example.com/' } },
    { name: 'odd', interval: '15s', downFor: '45s', tcp: { host: 'smtp.example.com', port: 587 } },
    { name: 'web', http: { url: 'https://www.example.com/' } },
  ];
  const { template } = build({}, SUB);
  const alarms = alarmsByName(template);

  it('gives each sub-minute interval its own schedule, once a minute, that repeats the checks', () => {
    const schedules = template.findResources('AWS::Scheduler::Schedule') as Record<string, Resource>;
    const byName = Object.fromEntries(
      Object.values(schedules).map((s) => {
        const input = JSON.parse((s.Properties.Target as { Input: string }).Input);
        return [
          s.Properties.Name,
          {
            expression: s.Properties.ScheduleExpression,
            repeat: input.repeat,
            scheduledTime: input.scheduledTime,
            targets: input.targets.map((t: { target: { name: string } }) => t.target.name),
          },
        ];
      }),
    );
    expect(byName).toEqual({
      // Scheduler writes the time each run fired for into the input: the slots start there
      'shop-health-check-every-30s': {
        expression: 'rate(1 minute)',
        repeat: true,
        scheduledTime: '<aws.scheduler.scheduled-time>',
        targets: ['api'],
      },
      'shop-health-check-every-10s': {
        expression: 'rate(1 minute)',
        repeat: true,
        scheduledTime: '<aws.scheduler.scheduled-time>',
        targets: ['fast'],
      },
      'shop-health-check-every-15s': {
        expression: 'rate(1 minute)',
        repeat: true,
        scheduledTime: '<aws.scheduler.scheduled-time>',
        targets: ['odd'],
      },
      'shop-health-check-default': {
        expression: 'rate(1 minute)',
        repeat: undefined,
        scheduledTime: undefined,
        targets: ['web'],
      },
    });
  });

  it('gives the function time for a whole minute of checks plus a timeout and a margin', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'shop-health-check',
      // 60 s of slots + the 5 s default timeout + 15 s margin
      Timeout: 80,
    });
  });

  it('alarms on FILL(Up, REPEAT) over 10 s periods: downFor in whole periods, high resolution', () => {
    const down = (name: string) => {
      const props = alarms.get(`shop-health-${name}-down`) as Record<string, unknown>;
      const [expression, metric] = props.Metrics as {
        Expression?: string;
        MetricStat?: { Period: number; Stat: string; Metric: { MetricName: string } };
      }[];
      return {
        expression: expression?.Expression,
        period: metric?.MetricStat?.Period,
        stat: metric?.MetricStat?.Stat,
        metric: metric?.MetricStat?.Metric.MetricName,
        m: props.DatapointsToAlarm,
        n: props.EvaluationPeriods,
        missing: props.TreatMissingData,
      };
    };
    const common = { expression: 'FILL(up, REPEAT)', period: 10, stat: 'Minimum', metric: 'Up' };
    // 30 s interval, down for 30 s: the one failed check's period
    expect(down('api')).toEqual({ ...common, m: 1, n: 1, missing: 'notBreaching' });
    // 10 s interval, default downFor 30s: three failed checks in three periods
    expect(down('fast')).toEqual({ ...common, m: 3, n: 3, missing: 'notBreaching' });
    // 15 s interval, down for 45 s (3 checks): ceil(30 / 10) + 1
    expect(down('odd')).toEqual({ ...common, m: 4, n: 4, missing: 'notBreaching' });
    // a target checked every minute keeps its one-minute M of N alarm
    // (its Up read through FILL(m, 1): without a dashboard only failed checks are sent)
    expect(alarms.get('shop-health-web-down')).toMatchObject({
      Metrics: expect.arrayContaining([
        expect.objectContaining({ Expression: expect.stringMatching(/^FILL\(\w+, 1\)$/) }),
        expect.objectContaining({
          MetricStat: expect.objectContaining({
            Metric: expect.objectContaining({ MetricName: 'Up' }),
            Period: 60,
            Stat: 'Minimum',
          }),
        }),
      ]),
      DatapointsToAlarm: 2,
      EvaluationPeriods: 3,
    });
  });

  it('writes downFor into the down alarm summary, with the severity', () => {
    const description = decodeAlarmDescription(String(alarms.get('shop-health-fast-down')?.AlarmDescription));
    expect(description.summary).toBe('fast (http) is down: failed every check for 30 s (checked every 10 s)');
    expect(description.meta?.severity).toBe('critical');
  });
});
