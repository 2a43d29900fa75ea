/**
 * DbMaintenance construct: one schedule per task with the task (secret names only) in its input, the
 * function in the VPC when configured, read access to exactly the referenced secrets, and per-task
 * alarms with the task's severity — evaluated with the alarm evaluator on the metrics the real core
 * sends, so a problem found pages and stays in ALARM until a run finds it fixed.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { runTask } from '../../../lambdas/db-maintenance/db-maintenance';
import { parseMaintenanceEvent } from '../../../lambdas/db-maintenance/event';
import { MaintenanceMetric, maintenanceDimensions } from '../../../lambdas/db-maintenance/metrics';
import { decodeAlarmDescription } from '../../../lambdas/shared/alarm-metadata';
import { noSecrets } from '../../../lambdas/shared/connections';
import { silentLog } from '../../../lambdas/shared/log';
import { METRICS_NAMESPACE, MemoryMetrics } from '../../../lambdas/shared/metrics';
import { validateConfig } from '../../../lib/config/validate';
import type { DbMaintenance } from '../../../lib/constructs/db-maintenance';
import {
  alarmFromTemplate,
  MetricStore,
  metricKey,
  simulate,
  type TemplateAlarm,
} from '../../support/alarm-evaluator';
import { nagFindings, testApp, testConfig } from '../../support/cdk';

const NETWORK = {
  vpcId: 'vpc-0a1b2c3d4e5f67890',
  subnetIds: ['subnet-0a1b2c3d4e5f67890', 'subnet-0f1e2d3c4b5a69870'],
  securityGroupIds: ['sg-0a1b2c3d4e5f67890'],
};
const DB_SECRET = 'prod/shop/db';

const TASKS = [
  {
    name: 'weekly-vacuum',
    kind: 'vacuum',
    schedule: 'cron(0 4 ? * SUN *)',
    postgres: { secret: DB_SECRET },
    tables: ['public.orders'],
    lockTimeout: '10s',
    timeout: '10m',
  },
  {
    name: 'bloat',
    kind: 'bloat',
    schedule: 'cron(0 5 ? * MON *)',
    severity: 'low',
    postgres: { secret: DB_SECRET },
  },
  {
    name: 'failed-jobs',
    kind: 'sqlCheck',
    schedule: 'rate(1 hour)',
    severity: 'high',
    postgres: { secret: DB_SECRET },
    sql: 'SELECT count(*) FROM jobs WHERE failed',
    threshold: 10,
  },
  { name: 'big-keys', kind: 'bigKeys', schedule: 'cron(0 3 1 * ? *)', redis: { secret: 'prod/shop/redis' } },
];

function build(extra: Record<string, unknown> = {}) {
  const config = testConfig({ maintenance: { tasks: TASKS }, ...extra });
  const nightshift = testApp(config);
  const construct = nightshift.jobs.node.findChild('DbMaintenance') as DbMaintenance;
  return { config, construct, template: Template.fromStack(nightshift.jobs), jobs: nightshift.jobs };
}

type Props = Record<string, unknown>;
function resources(template: Template, type: string): Props[] {
  return Object.values(template.findResources(type) as Record<string, { Properties: Props }>).map(
    (r) => r.Properties,
  );
}

describe('DbMaintenance', () => {
  const { template, jobs } = build({ network: NETWORK });

  it('schedules each task on its own, carrying the task with durations in ms and secret names only', () => {
    const schedules = resources(template, 'AWS::Scheduler::Schedule').filter((s) =>
      String(s.Name).startsWith('shop-db-maintenance-'),
    );
    expect(schedules.map((s) => [s.Name, s.ScheduleExpression, s.ScheduleExpressionTimezone])).toEqual([
      ['shop-db-maintenance-weekly-vacuum', 'cron(0 4 ? * SUN *)', 'Europe/Berlin'],
      ['shop-db-maintenance-bloat', 'cron(0 5 ? * MON *)', 'Europe/Berlin'],
      ['shop-db-maintenance-failed-jobs', 'rate(1 hour)', 'Europe/Berlin'],
      ['shop-db-maintenance-big-keys', 'cron(0 3 1 * ? *)', 'Europe/Berlin'],
    ]);
    const input = JSON.parse(String((schedules[0]?.Target as Props | undefined)?.Input));
    // the handler's own parser accepts what the construct writes
    const event = parseMaintenanceEvent(input);
    expect(event.schedule).toBe('weekly-vacuum');
    expect(event.task).toEqual({
      name: 'weekly-vacuum',
      kind: 'vacuum',
      timeoutMs: 600_000,
      postgres: { secret: DB_SECRET },
      tables: ['public.orders'],
      analyze: true,
      lockTimeoutMs: 10_000,
      statementTimeoutMs: 600_000,
    });
  });

  it('runs in the VPC with a timeout past the longest task and reads exactly the referenced secrets', () => {
    const fn = resources(template, 'AWS::Lambda::Function').find(
      (f) => f.FunctionName === 'shop-db-maintenance',
    );
    expect(fn?.Timeout).toBe(630);
    expect(fn?.VpcConfig).toBeDefined();
    expect((fn?.Environment as { Variables: Props } | undefined)?.Variables).toEqual({
      NIGHTSHIFT_PROJECT: 'shop',
      NODE_OPTIONS: '--enable-source-maps',
    });
    const policies = JSON.stringify(
      resources(template, 'AWS::IAM::Policy').filter((p) =>
        String(p.PolicyName).toLowerCase().includes('dbmaintenance'),
      ),
    );
    expect(policies).toContain('secret:prod/shop/db-');
    expect(policies).toContain('secret:prod/shop/redis-');
    expect(policies).not.toContain('secretsmanager:*');
    expect(policies.match(/secret:[^"]*/g)).toEqual([
      'secret:prod/shop/db-??????',
      'secret:prod/shop/redis-??????',
    ]);
  });

  it('has a failed alarm per task and a problem alarm per task that can find one, with its severity', () => {
    const alarms = resources(template, 'AWS::CloudWatch::Alarm')
      .filter((a) => String(a.AlarmName).startsWith('shop-db-maintenance-'))
      .map((a) => [a.AlarmName, decodeAlarmDescription(String(a.AlarmDescription)).meta?.severity]);
    expect(alarms).toEqual([
      ['shop-db-maintenance-failed', 'high'],
      ['shop-db-maintenance-did-not-run', 'high'],
      ['shop-db-maintenance-weekly-vacuum-failed', 'medium'],
      ['shop-db-maintenance-bloat-problem', 'low'],
      ['shop-db-maintenance-bloat-failed', 'low'],
      ['shop-db-maintenance-failed-jobs-problem', 'high'],
      ['shop-db-maintenance-failed-jobs-failed', 'high'],
      ['shop-db-maintenance-big-keys-problem', 'medium'],
      ['shop-db-maintenance-big-keys-failed', 'medium'],
    ]);
  });

  it('has no unacknowledged cdk-nag findings', () => {
    expect(nagFindings(jobs).filter((f) => /DbMaintenance/.test(f.resource))).toEqual([]);
  });

  it('pages when a run finds a problem, stays in ALARM between weekly runs, and clears on a clean run', () => {
    const props = resources(template, 'AWS::CloudWatch::Alarm').find(
      (a) => a.AlarmName === 'shop-db-maintenance-bloat-problem',
    ) as unknown as TemplateAlarm;
    const alarm = alarmFromTemplate(props);
    const store = new MetricStore();
    // the datapoint the core sends once per run, named and dimensioned by the metric contract
    const send = (time: number, problem: boolean) =>
      store.put(
        metricKey(METRICS_NAMESPACE, MaintenanceMetric.Problem, maintenanceDimensions('shop', 'bloat')),
        time,
        problem ? 1 : 0,
      );
    const t0 = Date.UTC(2026, 5, 1, 3, 0);
    const week = 7 * 86_400_000;
    send(t0, true);
    send(t0 + week, false);
    const transitions = simulate(alarm, store, t0 - 600_000, t0 + week + 3_600_000);
    expect(transitions.map((t) => [t.to, Math.round((t.time - t0) / 60_000)])).toEqual([
      ['ALARM', 5],
      ['OK', 7 * 24 * 60 + 5],
    ]);
  });

  it('sends the failed metric the failed alarm reads, from the real core', async () => {
    const props = resources(template, 'AWS::CloudWatch::Alarm').find(
      (a) => a.AlarmName === 'shop-db-maintenance-failed-jobs-failed',
    ) as unknown as TemplateAlarm;
    const alarm = alarmFromTemplate(props);
    const metrics = new MemoryMetrics();
    // no AWS credentials: the secret cannot be read, the task fails and says so through its metric
    const config = testConfig({ maintenance: { tasks: TASKS } });
    const { taskSpec } = await import('../../../lambdas/db-maintenance/spec');
    const task = config.maintenance?.tasks.find((t) => t.name === 'failed-jobs');
    if (!task) throw new Error('no task');
    const result = await runTask(
      { project: 'shop', secrets: noSecrets, metrics, log: silentLog },
      taskSpec(task),
    );
    expect(result.outcome).toBe('failed');
    const store = new MetricStore();
    const t0 = Date.UTC(2026, 5, 1, 3, 0);
    for (const p of metrics.points)
      store.put(metricKey(METRICS_NAMESPACE, p.name, p.dimensions), t0, p.value);
    expect(simulate(alarm, store, t0 - 600_000, t0 + 3_600_000).map((t) => t.to)).toEqual(['ALARM']);
  });
});

describe('maintenance config', () => {
  const base = {
    project: 'shop',
    region: 'eu-west-1',
    alerts: { levels: [{ name: 'team', email: ['t@example.com'] }] },
  };
  const issues = (tasks: unknown[], extra: Record<string, unknown> = {}) => {
    const result = validateConfig({ ...base, maintenance: { tasks }, ...extra });
    return result.ok ? [] : result.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  const pgTask = {
    name: 'vac',
    kind: 'vacuum',
    schedule: 'cron(0 4 ? * SUN *)',
    postgres: { url: 'postgres://localhost/app' },
  };

  it('accepts a valid task and applies the defaults', () => {
    const result = validateConfig({ ...base, maintenance: { tasks: [pgTask] } });
    expect(result.ok && result.config.maintenance?.tasks[0]).toMatchObject({
      severity: 'medium',
      timeout: '5m',
      lockTimeout: '5s',
      analyze: true,
    });
  });

  it('names the field and what to do', () => {
    expect(issues([{ ...pgTask, redis: { url: 'redis://localhost' } }])).toEqual([
      expect.stringMatching(
        /^maintenance\.tasks\.0\.redis: not a field of this kind — remove it \(it belongs to another kind\)$/,
      ),
    ]);
    expect(issues([{ ...pgTask, lockTimout: '1s' }])).toEqual([
      expect.stringMatching(/^maintenance\.tasks\.0\.lockTimout: unknown key — did you mean "lockTimeout"\?/),
    ]);
    expect(issues([{ ...pgTask, postgres: {} }])).toEqual([
      expect.stringMatching(
        /^maintenance\.tasks\.0\.postgres\.secret: required — the Secrets Manager secret/,
      ),
    ]);
    expect(issues([pgTask, pgTask])).toEqual([
      'maintenance.tasks.1.name: "vac" is already the name of maintenance task 0 — names must be unique',
    ]);
    expect(issues([{ ...pgTask, tables: ['orders; drop table x'] }])).toEqual([
      expect.stringMatching(/^maintenance\.tasks\.0\.tables\.0: write a table as name or schema\.name/),
    ]);
    expect(issues([{ ...pgTask, kind: 'sqlCheck', sql: 'SELECT 1' }])).toEqual([
      expect.stringMatching(/^maintenance\.tasks\.0\.threshold: required/),
    ]);
    expect(issues([{ ...pgTask, kind: 'defrag' }])[0]).toMatch(/^maintenance\.tasks\.0/);
  });
});
