/**
 * `nightshift plan` prices a prometheus target from its template: one custom metric and one alarm per
 * rule (not per series of the app), and one DynamoDB read and write of its previous scrape per run.
 */
import { describe, expect, it } from 'vitest';
import type { NightshiftConfig } from '../../../lib/config/schema';
import { HOURS_PER_MONTH } from '../../../lib/pricing/prices';
import { type CfnTemplate, usageFromTemplates } from '../../../lib/pricing/usage';
import { testApp, testConfig } from '../../support/cdk';

function usageOf(config: NightshiftConfig) {
  const { app, data, jobs } = testApp(config);
  const assembly = app.synth();
  const templates = [data, jobs].map((s) => assembly.getStackByName(s.stackName).template as CfnTemplate);
  return usageFromTemplates(templates, { pagesPerMonth: 4 });
}

const rule = (name: string) => ({
  name,
  expr: { rate: { metric: 'http_requests_total', labels: { code: '5..' } } },
  above: 1,
});

describe('usage of prometheus targets', () => {
  const plain = usageOf(
    testConfig({ healthChecks: { targets: [{ name: 'site', http: { url: 'http://site.example.com/' } }] } }),
  );
  const withRules = usageOf(
    testConfig({
      healthChecks: {
        targets: [
          { name: 'site', http: { url: 'http://site.example.com/' } },
          {
            name: 'app',
            prometheus: { url: 'http://app.example.com/metrics', rules: [rule('A'), rule('B'), rule('C')] },
          },
          {
            name: 'batch',
            interval: '5m',
            prometheus: { url: 'http://batch.example.com/metrics', rules: [rule('D')] },
          },
        ],
      },
    }),
  );

  it("counts one alarm and one watched metric per rule, plus the targets' Up", () => {
    const ruleMetrics = withRules.customMetrics.filter((m) => m.id.startsWith('Nightshift/RuleValue {'));
    expect(ruleMetrics.map((m) => m.id).sort()).toEqual([
      'Nightshift/RuleValue {Project=shop,Rule=A,Target=app}',
      'Nightshift/RuleValue {Project=shop,Rule=B,Target=app}',
      'Nightshift/RuleValue {Project=shop,Rule=C,Target=app}',
      'Nightshift/RuleValue {Project=shop,Rule=D,Target=batch}',
    ]);
    // sent every run: every hour of the month, whatever the interval
    expect(ruleMetrics.every((m) => m.hoursPerMonth === HOURS_PER_MONTH)).toBe(true);
    // 4 rule alarms and 2 down alarms more than the plain config
    expect(withRules.alarms.count - plain.alarms.count).toBe(6);
    expect(withRules.customMetrics.length - plain.customMetrics.length).toBe(6);
  });

  it('counts a DynamoDB read and write per prometheus target per run', () => {
    const perMonth = (everyMinutes: number) => (HOURS_PER_MONTH * 60) / everyMinutes;
    const scrapes = perMonth(1) + perMonth(5);
    expect(withRules.dynamodb.reads - plain.dynamodb.reads).toBeCloseTo(scrapes, 6);
    expect(withRules.dynamodb.writes - plain.dynamodb.writes).toBeCloseTo(scrapes, 6);
  });
});
