import { describe, expect, it } from 'vitest';
import { encodeAlarmDescription } from '../../lambdas/shared/alarm-metadata';
import { parseConfigText } from '../../lib/config/load';
import { nextRuns } from '../../lib/config/primitives';
import {
  alarmsFromTemplates,
  buildPlan,
  describeSchedule,
  formatInZone,
  maskPhone,
  mergeTemplates,
  type StackTemplate,
} from '../../lib/plan';

const NOW = new Date('2025-10-25T22:30:00Z'); // Berlin leaves summer time on 26 October
const config = parseConfigText(`
project: shop
region: eu-central-1
timezone: Europe/Berlin
alerts:
  levels:
    - { name: team, email: [a@example.com, b@example.com] }
    - { name: oncall, sms: ["+4915112345678"] }
  severities:
    critical: { notify: oncall, escalateAfter: 10m }
healthChecks:
  schedule: rate(2 minutes)
  targets:
    - { name: api, http: { url: "https://shop.example.com/health" } }
    - { name: db, severity: critical, postgres: { secret: prod/shop/db } }
backups:
  schedule: cron(0 2 * * ? *)
  targets:
    - { name: db, postgres: { secret: prod/shop/db }, verify: { secret: prod/shop/scratch } }
    - { name: cache, schedule: cron(30 3 ? * SUN *), redis: { secret: prod/shop/redis } }
`);

describe('maskPhone', () => {
  it('keeps the + and the last 2 digits only', () => {
    expect(maskPhone('+4915112345678')).toBe('+***********78');
    expect(maskPhone('+12025550143')).toBe('+*********43');
  });
});

describe('describeSchedule', () => {
  it.each([
    ['rate(1 minute)', 'every minute'],
    ['rate(5 minutes)', 'every 5 minutes'],
    ['rate(2 hours)', 'every 2 hours'],
    ['cron(0 2 * * ? *)', 'every day at 02:00'],
    ['cron(30 3 ? * SUN *)', 'every Sunday at 03:30'],
    ['cron(0 9 ? * MON-FRI *)', 'weekdays at 09:00'],
    ['cron(0 5 1 * ? *)', 'day 1 of every month at 05:00'],
    ['cron(0/15 * * * ? *)', 'cron(0/15 * * * ? *)'],
  ])('%s → %s', (expression, words) => {
    expect(describeSchedule(expression)).toBe(words);
  });
});

describe('formatInZone', () => {
  it('shows the wall clock and zone abbreviation of the zone', () => {
    expect(formatInZone(new Date('2025-10-26T00:30:00Z'), 'Europe/Berlin')).toBe(
      'Sun 2025-10-26 02:30 GMT+2',
    );
    expect(formatInZone(new Date('2025-10-26T01:30:00Z'), 'Europe/Berlin')).toBe(
      'Sun 2025-10-26 02:30 GMT+1',
    ); // the repeated hour
    expect(formatInZone(new Date('2025-06-01T06:00:00Z'), 'America/New_York')).toBe(
      'Sun 2025-06-01 02:00 EDT',
    );
  });
});

describe('buildPlan', () => {
  const plan = buildPlan(config, { now: NOW });

  it('names the two stacks after the project', () => {
    expect(plan.stacks.map((s) => s.name)).toEqual(['shop-data', 'shop-jobs']);
    expect(plan.source).toBe('config');
    expect(plan.at).toBe(NOW.toISOString());
  });

  it('has one job per configured section, plus the alert router', () => {
    expect(plan.jobs.map((j) => j.name)).toEqual(['health-check', 'backup', 'backup-verify', 'alert-router']);
    expect(plan.jobs.find((j) => j.name === 'alert-router')?.schedules).toEqual([]);
  });

  it('computes next runs in the configured time zone, across the DST change', () => {
    const backup = plan.jobs.find((j) => j.name === 'backup');
    const daily = backup?.schedules.find((s) => s.expression === 'cron(0 2 * * ? *)');
    const expected = nextRuns('cron(0 2 * * ? *)', 'Europe/Berlin', NOW, 3);
    expect(daily?.nextRuns).toEqual(expected.map((d) => d.toISOString()));
    // 02:00 local: 00:00Z on the last night of summer time, 01:00Z after the change
    expect(daily?.nextRuns.slice(0, 2)).toEqual(['2025-10-26T00:00:00.000Z', '2025-10-27T01:00:00.000Z']);
    expect(daily?.nextRunsLocal.every((t) => / 02:00 /.test(t))).toBe(true);
  });

  it('splits a job by schedule when targets run at different times', () => {
    const backup = plan.jobs.find((j) => j.name === 'backup');
    expect(backup?.schedules.map((s) => [s.expression, s.targets])).toEqual([
      ['cron(0 2 * * ? *)', ['db']],
      ['cron(30 3 ? * SUN *)', ['cache']],
    ]);
  });

  it('honours --runs', () => {
    const two = buildPlan(config, { now: NOW, runs: 2 });
    expect(two.jobs[0]?.schedules[0]?.nextRuns).toHaveLength(2);
  });

  it('derives job and target alarms named <project>-<name>', () => {
    const names = plan.alarms.map((a) => a.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'shop-health-check-failed',
        'shop-backup-did-not-run',
        'shop-api-down',
        'shop-db-down',
        'shop-sms-spend',
      ]),
    );
    expect(plan.alarms.find((a) => a.name === 'shop-db-down')?.severity).toBe('critical');
    expect(names).not.toContain('shop-alert-router-did-not-run'); // event-driven: no schedule to miss
    expect(plan.alarms.every((a) => a.source === 'config')).toBe(true);
  });

  it('lists levels with subscriber counts and masked numbers, and the severity routing', () => {
    expect(plan.levels).toEqual([
      {
        name: 'team',
        topic: 'shop-alerts-team',
        email: ['a@example.com', 'b@example.com'],
        sms: [],
        subscribers: 2,
      },
      { name: 'oncall', topic: 'shop-alerts-oncall', email: [], sms: ['+***********78'], subscribers: 1 },
    ]);
    expect(plan.severities.find((s) => s.severity === 'critical')).toEqual({
      severity: 'critical',
      notifyFirst: 'oncall',
      escalateAfter: '10 min',
      repeatEvery: '30 min',
    });
    expect(JSON.stringify(plan)).not.toContain('+4915112345678');
  });
});

function template(
  stackName: string,
  resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>,
): StackTemplate {
  return { stackName, template: { Resources: resources } };
}

describe('alarms from the synthesized app', () => {
  const templates = [
    template('shop-data', { Key: { Type: 'AWS::KMS::Key' }, Topic: { Type: 'AWS::SNS::Topic' } }),
    template('shop-jobs', {
      A: {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          AlarmName: 'shop-health-check-failed',
          AlarmDescription: encodeAlarmDescription('health-check job failed', {
            severity: 'high',
            target: 'health-check',
          }),
        },
      },
      B: {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          AlarmName: 'shop-api-unreachable',
          AlarmDescription: encodeAlarmDescription('api is down', { severity: 'critical', target: 'api' }),
        },
      },
      C: {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: { AlarmName: 'shop-plain', AlarmDescription: 'no metadata' },
      },
      S: { Type: 'AWS::Scheduler::Schedule', Properties: { Name: 'shop-health-check-default' } },
    }),
  ];

  it('reads name, severity, target and summary from each alarm', () => {
    expect(alarmsFromTemplates(templates)).toEqual([
      {
        name: 'shop-api-unreachable',
        severity: 'critical',
        target: 'api',
        summary: 'api is down',
        source: 'app',
      },
      {
        name: 'shop-health-check-failed',
        severity: 'high',
        target: 'health-check',
        summary: 'health-check job failed',
        source: 'app',
      },
      { name: 'shop-plain', severity: 'high', summary: 'no metadata', source: 'app' },
    ]);
  });

  it('keeps config-derived alarms only for jobs the app does not build yet', () => {
    const merged = mergeTemplates(buildPlan(config, { now: NOW }), templates);
    expect(merged.source).toBe('app');
    expect(merged.jobs.find((j) => j.name === 'health-check')?.inApp).toBe(true);
    expect(merged.jobs.find((j) => j.name === 'backup')?.inApp).toBe(false);
    const names = merged.alarms.map((a) => a.name);
    // health-check is in the app: its alarms are the app's (no guessed shop-api-down next to shop-api-unreachable)
    expect(names).toContain('shop-api-unreachable');
    expect(names).not.toContain('shop-api-down');
    expect(names).not.toContain('shop-health-check-dlq');
    // backup is not: its planned alarms stay, marked as such
    expect(merged.alarms.find((a) => a.name === 'shop-backup-failed')?.source).toBe('config');
    expect(merged.stacks.find((s) => s.name === 'shop-data')?.resources).toEqual({
      'AWS::KMS::Key': 1,
      'AWS::SNS::Topic': 1,
    });
  });
});
