/**
 * The cost estimate counts the status page from the synthesized template: its function's invocations,
 * GetMetricData metrics (2 per target per rebuild, at most one rebuild per cache period), DynamoDB reads,
 * and CloudFront requests when the page is public.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { estimateMonthlyCost } from '../../../lib/pricing/estimate';
import { pricesFor } from '../../../lib/pricing/prices';
import { usageFromTemplates } from '../../../lib/pricing/usage';
import { testApp, testConfig } from '../../support/cdk';

const HEALTH = {
  targets: [
    { name: 'api', http: { url: 'https://api.example.com/health' } },
    { name: 'db', postgres: { secret: 'prod/shop/db' } },
    { name: 'web', http: { url: 'https://www.example.com/' } },
  ],
};

function usageOf(statusPage: Record<string, unknown> | undefined, views?: number) {
  const built = testApp(testConfig({ healthChecks: HEALTH, ...(statusPage ? { statusPage } : {}) }));
  const templates = [built.data, built.jobs].map((s) => Template.fromStack(s).toJSON());
  return usageFromTemplates(templates, views === undefined ? {} : { statusPageViews: views });
}

describe('pricing: status page', () => {
  it('public: CloudFront answers every view; the function and GetMetricData at most once a minute', () => {
    const usage = usageOf({ title: 'Shop', targets: ['api', 'db', 'web'], public: true }, 1_000_000);
    expect(usage.statusPage).toEqual({
      views: 1_000_000,
      cloudFrontRequests: 1_000_000,
      transferGb: 6,
      getMetricDataMetrics: 43_800 * 3 * 2,
      targets: 3,
      rebuilds: 43_800,
    });
    const fn = usage.functions.find((f) => f.name === 'status-page');
    expect(fn?.invocationsPerMonth).toBe(43_800 + 8); // one per cache period, plus 4 pages × ALARM and OK
    const lines = estimateMonthlyCost(usage, pricesFor('eu-west-1')).lines;
    const gmd = lines.find((l) => l.item === 'GetMetricData (status page)');
    expect(gmd?.listUsd).toBe(2.63); // 262,800 metrics × $0.01 / 1,000
    const cf = lines.find((l) => l.service === 'CloudFront');
    expect(cf?.listUsd).toBe(1.51); // 100 × $0.01 + 6 GB × $0.085
    expect(cf?.afterFreeTierUsd).toBe(0); // within the always-free 10 M requests and 1 TB
  });

  it('private: every view invokes the function, no CloudFront line; few views cost little', () => {
    const usage = usageOf({ title: 'Shop', targets: ['api'] }, 2_000);
    expect(usage.statusPage).toMatchObject({
      cloudFrontRequests: 0,
      rebuilds: 2_000,
      getMetricDataMetrics: 4_000,
    });
    expect(usage.functions.find((f) => f.name === 'status-page')?.invocationsPerMonth).toBe(2_008);
    const lines = estimateMonthlyCost(usage, pricesFor('us-east-1')).lines;
    expect(lines.some((l) => l.service === 'CloudFront')).toBe(false);
    expect(lines.find((l) => l.item === 'GetMetricData (status page)')?.listUsd).toBe(0.04);
  });

  it('no status page, no status page lines', () => {
    const usage = usageOf(undefined);
    expect(usage.statusPage).toBeUndefined();
    expect(usage.functions.some((f) => f.name === 'status-page')).toBe(false);
  });
});
