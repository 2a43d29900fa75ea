import { describe, expect, it } from 'vitest';
import { MemoryLog } from '../../../lambdas/shared/log';
import { MemoryMetrics } from '../../../lambdas/shared/metrics';
import { alertsJob, planSummary, reportedFailures } from '../../../lib/local/alert-preview';
import type { LocalRunContext } from '../../../lib/local/jobs';
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

function context(metrics: MemoryMetrics): LocalRunContext {
  return {
    config,
    metrics,
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
    expect(text).toContain('would page for api health check failing (critical)');
    expect(text).toContain('to level "team"');
    expect(text).toContain('Subject: [CRITICAL] shop - api health check failing');
    expect(text).toContain('Runbook: https://wiki.example.com/rb');
    expect(text).toMatch(/\+10 min\s+\S+\s+oncall \(SMS\)/);
    expect(text).toMatch(/SMS \(GSM-7 \d+\/160\): CRIT shop\/api ALARM api health check failing/);
  });

  it('without failures, shows each severity’s escalation plan, subject and SMS', async () => {
    const report = await alertsJob.run(context(new MemoryMetrics()));
    const text = report.lines.join('\n');
    expect(text).toContain('nothing failed');
    expect(text).toContain('critical: team now → oncall +10 min, then oncall every 20 min');
    expect(text).toContain('low: team now → oncall +12 h, then oncall every 24 h');
    expect(report.lines.filter((l) => l.includes('Subject: [')).length).toBe(4);
  });

  it('ignores healthy targets and unknown targets', () => {
    const metrics = new MemoryMetrics();
    metrics.put('Up', 'Count', 1, { Project: 'shop', Target: 'api' });
    metrics.put('Up', 'Count', 0, { Project: 'shop', Target: 'other' });
    expect(reportedFailures(config, metrics)).toEqual([]);
    expect(planSummary(config, 'high')).toBe('high: team now → oncall +30 min, then oncall every 1 h');
  });
});
