import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryLog } from '../../../lambdas/shared/log';
import { MemoryMetrics } from '../../../lambdas/shared/metrics';
import { alertsJob, planSummary, reportedFailures } from '../../../lib/local/alert-preview';
import type { LocalRunContext } from '../../../lib/local/jobs';
import { alarmsFromTemplates, type PlanAlarm, synthesizeTemplates } from '../../../lib/plan';
import { testConfig } from '../../support/cdk';

const config = testConfig({
  alerts: {
    levels: [
      { name: 'team', email: ['team@example.com'] },
      { name: 'oncall', sms: ['+4915112345678'] },
    ],
    severities: {
      critical: { escalateAfter: '10m', repeatEvery: '20m', runbook: 'https://wiki.example.com/rb' },
    },
  },
  healthChecks: {
    targets: [{ name: 'api', severity: 'critical', http: { url: 'https://api.example.com/health' } }],
  },
});

let alarms: PlanAlarm[] = [];
beforeAll(async () => {
  alarms = alarmsFromTemplates(await synthesizeTemplates(config));
});

function context(metrics: MemoryMetrics): LocalRunContext {
  return {
    config,
    metrics,
    alarms,
    log: new MemoryLog(),
    now: () => new Date('2025-03-14T09:30:00Z'),
    progress: () => {},
  } as unknown as LocalRunContext;
}

describe('alerts in nightshift run', () => {
  it('prints the e-mail and SMS the router would send for a failure another job reported', async () => {
    const metrics = new MemoryMetrics();
    metrics.put('Up', 'Count', 0, { Project: 'shop', Target: 'api' });
    const report = await alertsJob.run(context(metrics));
    const text = report.lines.join('\n');
    expect(report.ok).toBe(true);
    // the synthesized app's alarm on {Project, Target} Up < 1: its real name and summary
    expect(text).toContain(
      'would page for api (http) is down: failed 2 of 3 checks (shop-health-api-down, critical, if it lasts 2 min)',
    );
    const { messages } = report.detail as { messages: { alarm: string; kind: string }[] };
    expect(messages[0]).toMatchObject({ alarm: 'shop-health-api-down', kind: 'failure' });
    expect(text).toContain('to level "team"');
    expect(text).toContain('Subject: [CRITICAL] shop - api (http) is down: failed 2 of 3 checks');
    expect(text).toContain('Runbook: https://wiki.example.com/rb');
    expect(text).toMatch(/\+10 min\s+\S+\s+oncall \(SMS\)/);
    expect(text).toMatch(/SMS \(\d+\/140 bytes\): CRIT shop\/api ALARM api \(http\) is down/);
  });

  it('without failures, shows each severity’s escalation plan, subject and SMS', async () => {
    const report = await alertsJob.run(context(new MemoryMetrics()));
    const text = report.lines.join('\n');
    expect(text).toContain('nothing failed');
    expect(text).toContain('critical: team now → oncall +10 min, then oncall every 20 min');
    expect(text).toContain('low: team now → oncall +12 h, then oncall every 24 h');
    expect(report.lines.filter((l) => l.includes('Subject: [')).length).toBe(4);
  });

  it('ignores healthy targets, unknown targets and points with another dimension set', () => {
    const metrics = new MemoryMetrics();
    metrics.put('Up', 'Count', 1, { Project: 'shop', Target: 'api' });
    metrics.put('Up', 'Count', 0, { Project: 'shop', Target: 'other' });
    metrics.put('Up', 'Count', 0, { Project: 'shop', Target: 'api', service: 'health-check' });
    expect(reportedFailures(alarms, metrics)).toEqual([]);
    metrics.put('TlsDaysLeft', 'Count', 5, { Project: 'shop', Target: 'api' });
    expect(reportedFailures(alarms, metrics).map((f) => [f.name, f.severity])).toEqual([
      ['shop-health-api-tls-critical', 'critical'],
      ['shop-health-api-tls-warn', 'high'],
    ]);
    expect(planSummary(config, 'high')).toBe('high: team now → oncall +30 min, then oncall every 1 h');
  });
});
