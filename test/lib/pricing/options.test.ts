/**
 * The deployment options that cut cost, both sides: the synthesized template (CDK assertions) and the
 * estimate read from that same template (lib/pricing/usage.ts), so the estimate follows what deploys.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { estimateMonthlyCost } from '../../../lib/pricing/estimate';
import { pricesFor } from '../../../lib/pricing/prices';
import { type CfnTemplate, usageFromTemplates } from '../../../lib/pricing/usage';
import { testApp, testConfig } from '../../support/cdk';

function synth(extra: Record<string, unknown>) {
  const { app, data, jobs } = testApp(testConfig(extra));
  const assembly = app.synth();
  const [dataTemplate, jobsTemplate] = [data, jobs].map(
    (s) => assembly.getStackByName(s.stackName).template as CfnTemplate,
  ) as [CfnTemplate, CfnTemplate];
  const usage = usageFromTemplates([dataTemplate, jobsTemplate]);
  const estimate = estimateMonthlyCost(usage, pricesFor('eu-west-1'));
  return { jobs: Template.fromJSON(jobsTemplate), usage, estimate };
}

const HEALTH = {
  healthChecks: { targets: [{ name: 'api', http: { url: 'https://api.example.com/health' } }] },
};

describe('dashboard option', () => {
  const off = synth(HEALTH);
  const on = synth({
    ...HEALTH,
    alerts: { ...testConfig().alerts, dashboard: true },
  });

  it('creates no dashboard by default, and no dashboard line in the estimate', () => {
    off.jobs.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(off.usage.dashboards).toBe(0);
    expect(off.estimate.lines.some((l) => l.item === 'dashboards')).toBe(false);
  });

  it('creates one dashboard when asked, priced at $3 list and free as one of three', () => {
    on.jobs.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const line = on.estimate.lines.find((l) => l.item === 'dashboards');
    expect(line?.listUsd).toBe(3);
    expect(line?.afterFreeTierUsd).toBe(0);
    expect(on.estimate.totals.base.listUsd).toBeCloseTo(off.estimate.totals.base.listUsd + 3, 2);
  });
});
