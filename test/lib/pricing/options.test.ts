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

describe('tracing option', () => {
  const off = synth(HEALTH);
  const on = synth({ ...HEALTH, tracing: true });

  it('leaves X-Ray off by default: no function or state machine traces, no X-Ray line', () => {
    for (const fn of Object.values(off.jobs.findResources('AWS::Lambda::Function')))
      expect(fn.Properties.TracingConfig).toBeUndefined();
    for (const machine of Object.values(off.jobs.findResources('AWS::StepFunctions::StateMachine')))
      expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: false });
    expect(JSON.stringify(off.jobs.toJSON())).not.toContain('xray:PutTraceSegments');
    expect(off.usage.functions.every((f) => !f.tracing)).toBe(true);
    expect(off.estimate.lines.some((l) => l.service === 'X-Ray')).toBe(false);
  });

  it('traces every function and state machine with tracing: true, and prices one trace per run', () => {
    const functions = Object.values(on.jobs.findResources('AWS::Lambda::Function'));
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    on.jobs.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
    });
    const runs = on.usage.functions.reduce((sum, f) => sum + f.invocationsPerMonth, 0);
    const xray = on.estimate.lines.find((l) => l.service === 'X-Ray');
    expect(xray?.basis).toContain(`${Math.round(runs)} traces`);
    // 5 USD per million traces recorded (eu-west-1 table), before the 100,000 free.
    expect(xray?.listUsd).toBeCloseTo((runs / 1e6) * 5, 2);
  });
});
