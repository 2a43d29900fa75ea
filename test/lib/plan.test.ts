import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeAlarmDescription, SEVERITY_TAG } from '../../lambdas/shared/alarm-metadata';
import { loadConfig, parseConfigText } from '../../lib/config/load';
import { nextRuns } from '../../lib/config/primitives';
import type { NightshiftConfig } from '../../lib/config/schema';
import {
  buildPlan,
  type DeploymentPlan,
  describeSchedule,
  formatInZone,
  type StackTemplate,
  SynthesisFailed,
  synthesizeTemplates,
} from '../../lib/plan';
import { REPO } from '../support/cdk';

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
    aliases: { P0: critical, P1: high }
    P0: { notify: oncall, escalateAfter: 10m }
    P1: { promoteAfter: 45m }
healthChecks:
  schedule: rate(2 minutes)
  targets:
    - { name: api, http: { url: "https://shop.example.com/health" } }
    - { name: db, severity: P0, postgres: { secret: prod/shop/db } }
backups:
  schedule: cron(0 2 * * ? *)
  targets:
    - { name: db, postgres: { secret: prod/shop/db }, verify: { secret: prod/shop/scratch } }
    - { name: cache, schedule: cron(30 3 ? * SUN *), redis: { secret: prod/shop/redis } }
`);

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
  let plan: DeploymentPlan;
  beforeAll(async () => {
    plan = buildPlan(config, await synthesizeTemplates(config), { now: NOW });
  });

  it('names the two stacks after the project and counts their resources', () => {
    expect(plan.stacks.map((s) => s.name)).toEqual(['shop-data', 'shop-jobs']);
    expect(plan.stacks[0]?.resources['AWS::KMS::Key']).toBe(1);
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

  it('lists the alarms the app creates, with the severity and levels the router pages them with', () => {
    const db = plan.alarms.find((a) => a.name === 'shop-health-db-down');
    // Written as the alias P0: the template carries "critical", the plan shows the runbook's name.
    expect(db).toMatchObject({
      severity: 'critical',
      severityName: 'P0 (critical)',
      target: 'db',
      levels: ['oncall'],
    });
    // the down alarm reads Up through FILL(m, 1): the plan shows the one metric under the fill
    expect(db?.metric).toMatchObject({
      name: 'Up',
      dimensions: { Project: 'shop', Target: 'db' },
      statistic: 'Minimum',
      threshold: 1,
      comparison: 'LessThanThreshold',
    });
    expect(plan.alarms.find((a) => a.name === 'shop-sms-spend')).toMatchObject({
      severity: 'high',
      levels: ['team', 'oncall'],
    });
    const names = plan.alarms.map((a) => a.name);
    expect(names).toContain('shop-backup-db-too-old');
    expect(names).toContain('shop-backup-db-verify-failed');
    for (const drifted of ['shop-api-down', 'shop-backup-db-stale', 'shop-api-certificate'])
      expect(names).not.toContain(drifted);
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
      { name: 'oncall', topic: 'shop-alerts-oncall', email: [], sms: ['+4…78'], subscribers: 1 },
    ]);
    expect(plan.severities.find((s) => s.severity === 'critical')).toEqual({
      severity: 'critical',
      name: 'P0 (critical)',
      notifyFirst: 'oncall',
      escalateAfter: '10 min',
      repeatEvery: '30 min',
    });
    expect(plan.severities.find((s) => s.severity === 'high')).toMatchObject({
      name: 'P1 (high)',
      raisedTo: 'P0 (critical) after 45 min',
    });
    expect(JSON.stringify(plan)).not.toContain('+4915112345678');
  });

  it('refuses a config the app cannot be built from, naming the reason', async () => {
    const broken = { ...config, project: 'x'.repeat(200) } as NightshiftConfig;
    await expect(synthesizeTemplates(broken)).rejects.toBeInstanceOf(SynthesisFailed);
  });
});

// ---------------------------------------------------------------------------------------------
// plan equals template, for every example
// ---------------------------------------------------------------------------------------------

interface TemplateAlarm {
  readonly name: unknown;
  readonly severityInDescription?: string;
  readonly severityTag?: string;
}

/** Every alarm in the templates, read directly (independently of lib/plan.ts). */
function templateAlarms(templates: readonly StackTemplate[]): TemplateAlarm[] {
  return templates.flatMap(({ template }) =>
    Object.values(template.Resources ?? {})
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' || r.Type === 'AWS::CloudWatch::CompositeAlarm')
      .map((r) => {
        const props = r.Properties ?? {};
        const tags = (props.Tags ?? []) as { Key: string; Value: string }[];
        return {
          name: props.AlarmName,
          severityInDescription: decodeAlarmDescription(props.AlarmDescription as string | undefined).meta
            ?.severity,
          severityTag: tags.find((t) => t.Key === SEVERITY_TAG)?.Value,
        };
      }),
  );
}

/** The levels a severity notifies, from the config (first level by `notify`, then the rest in order). */
function configLevels(config: NightshiftConfig, severity: string): string[] {
  const notify = config.alerts.severities[severity as 'high'].notify;
  const first = notify ? config.alerts.levels.findIndex((l) => l.name === notify) : 0;
  return config.alerts.levels.slice(first).map((l) => l.name);
}

/** Differences between the plan's alarms and the templates' (empty when they agree). */
function planVersusTemplate(
  plan: DeploymentPlan,
  templates: readonly StackTemplate[],
  config: NightshiftConfig,
): string[] {
  const problems: string[] = [];
  const inTemplate = templateAlarms(templates);
  const planned = new Map(plan.alarms.map((a) => [a.name, a]));
  for (const alarm of inTemplate) {
    if (typeof alarm.name !== 'string') {
      problems.push(`an alarm without a literal AlarmName: ${JSON.stringify(alarm.name)}`);
      continue;
    }
    const p = planned.get(alarm.name);
    if (!p) {
      problems.push(`${alarm.name}: in the template, not in the plan`);
      continue;
    }
    if (p.severity !== alarm.severityInDescription || p.severity !== alarm.severityTag)
      problems.push(
        `${alarm.name}: plan says ${p.severity}, template says ${alarm.severityInDescription} / tag ${alarm.severityTag}`,
      );
    const levels = configLevels(config, p.severity);
    if (JSON.stringify(p.levels) !== JSON.stringify(levels))
      problems.push(`${alarm.name}: plan notifies ${p.levels.join(',')}, config says ${levels.join(',')}`);
  }
  const names = new Set(inTemplate.map((a) => a.name));
  for (const name of planned.keys())
    if (!names.has(name)) problems.push(`${name}: in the plan, not in the template`);
  if (planned.size !== plan.alarms.length) problems.push('the plan lists an alarm twice');
  return problems;
}

const EXAMPLES = readdirSync(join(REPO, 'examples')).filter((f) => f.endsWith('.yaml'));

describe.each(EXAMPLES)('plan of examples/%s', (file) => {
  const exampleConfig = loadConfig(join(REPO, 'examples', file));
  let templates: StackTemplate[];
  let plan: DeploymentPlan;
  beforeAll(async () => {
    templates = await synthesizeTemplates(exampleConfig);
    plan = buildPlan(exampleConfig, templates, { now: NOW });
  });

  it("lists exactly the template's alarms, with their severities and levels", () => {
    expect(plan.alarms.length).toBeGreaterThan(10);
    expect(new Set(plan.alarms.map((a) => a.name))).toEqual(
      new Set(templateAlarms(templates).map((a) => a.name)),
    );
    expect(planVersusTemplate(plan, templates, exampleConfig)).toEqual([]);
    expect(plan.alarms.filter((a) => a.severity === 'unrouted')).toEqual([]);
  });

  it('the comparison catches an alarm the plan does not list, and a severity that differs', () => {
    const copy = structuredClone(templates);
    const jobs = copy.find((t) => t.stackName.endsWith('-jobs'));
    const resources = jobs?.template.Resources as Record<
      string,
      { Type: string; Properties: Record<string, unknown> }
    >;
    resources.Injected = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: { AlarmName: `${exampleConfig.project}-injected`, Threshold: 1 },
    };
    expect(planVersusTemplate(plan, copy, exampleConfig)).toEqual([
      `${exampleConfig.project}-injected: in the template, not in the plan`,
    ]);
    delete resources.Injected;
    const [, first] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::CloudWatch::Alarm') ?? [];
    const tags = first?.Properties.Tags as { Key: string; Value: string }[];
    const tag = tags.find((t) => t.Key === SEVERITY_TAG);
    if (tag) tag.Value = tag.Value === 'low' ? 'high' : 'low';
    expect(planVersusTemplate(plan, copy, exampleConfig)).toEqual([
      expect.stringMatching(/plan says \w+, template says \w+ \/ tag \w+/),
    ]);
  });
});
