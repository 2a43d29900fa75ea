import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../../lib/app';
import { loadConfig } from '../../../lib/config/load';
import { nextRuns } from '../../../lib/config/primitives';
import { estimateMonthlyCost, type Usage } from '../../../lib/pricing/estimate';
import { ALWAYS_FREE, PricingRegionUnknown, pricesFor } from '../../../lib/pricing/prices';
import {
  ACK_LINK_REQUESTS_PER_PAGE,
  type CfnTemplate,
  runsPerMonth,
  usageFromTemplates,
} from '../../../lib/pricing/usage';
import { REPO } from '../../support/cdk';

const empty: Usage = {
  alarms: { count: 0, metrics: 0, highResMetrics: 0 },
  customMetrics: [],
  dashboards: 0,
  functions: [],
  schedulerInvocations: 0,
  stepFunctionsTransitions: 0,
  dynamodb: { writes: 0, reads: 0, storageGb: 0 },
  sqsRequests: 0,
  sns: { publishes: 0, emails: 0, sms: 0 },
  kms: { keys: 0, requests: 0 },
  secrets: { count: 0, calls: 0 },
  logs: { ingestGb: 0, storedGb: 0 },
  storage: [],
  s3Requests: { puts: 0, gets: 0 },
};

const line = (usage: Usage, service: string, item: string) => {
  const found = estimateMonthlyCost(usage, pricesFor('us-east-1')).lines.find(
    (l) => l.service === service && l.item === item,
  );
  if (!found) throw new Error(`no line ${service} ${item}`);
  return found;
};

describe('estimateMonthlyCost', () => {
  it('prices alarms per metric, high resolution at the higher rate on its own line, with 10 standard metrics free', () => {
    // 20 alarms reading 24 metrics, 2 of them high resolution: 22 × 0.10 = 2.20 list,
    // (22 − 10) × 0.10 = 1.20 after the free tier; and 2 × 0.30 = 0.60 with no free tier.
    const usage = { ...empty, alarms: { count: 20, metrics: 24, highResMetrics: 2 } };
    const alarms = line(usage, 'CloudWatch', 'alarms');
    expect(alarms.listUsd).toBe(2.2);
    expect(alarms.afterFreeTierUsd).toBe(1.2);
    expect(alarms.basis).toContain('22 standard-resolution alarm metrics');
    const highRes = line(usage, 'CloudWatch', 'high-resolution alarms');
    expect(highRes.listUsd).toBe(0.6);
    expect(highRes.afterFreeTierUsd).toBe(0.6);
    expect(highRes.basis).toBe('2 alarm metrics with 10/20/30 s periods × $0.30 (no free tier)');
  });

  it('lists no high-resolution line when no alarm has a sub-minute period', () => {
    expect(
      estimateMonthlyCost(
        { ...empty, alarms: { count: 3, metrics: 3, highResMetrics: 0 } },
        pricesFor('us-east-1'),
      ).lines.map((l) => l.item),
    ).not.toContain('high-resolution alarms');
  });

  it('prorates custom metrics by the hours in which they are sent', () => {
    const customMetrics = [
      ...Array.from({ length: 12 }, (_, i) => ({
        id: `Nightshift/Up {Target=t${i}}`,
        hoursPerMonth: 730,
        watched: true,
      })),
      { id: 'Nightshift/BackupSucceeded {Target=db}', hoursPerMonth: 365, watched: true },
    ];
    // 12.5 metric-months: 12.5 × 0.30 = 3.75 list; (12.5 − 10) × 0.30 = 0.75 after the free tier.
    const metrics = line({ ...empty, customMetrics }, 'CloudWatch', 'custom metrics');
    expect(metrics.listUsd).toBe(3.75);
    expect(metrics.afterFreeTierUsd).toBe(0.75);
  });

  it('computes Lambda GB-seconds from memory, duration and invocations', () => {
    const functions = [
      { name: 'health', memoryMb: 512, invocationsPerMonth: 43_800, durationMs: 2_000, tracing: false },
    ];
    // 0.5 GB × 2 s × 43,800 = 43,800 GB-s × 0.0000133334 + 0.0438 M requests × 0.20 = 0.5840 + 0.0088
    const lambda = line({ ...empty, functions }, 'Lambda', 'compute and requests');
    expect(lambda.listUsd).toBe(0.59);
    expect(lambda.afterFreeTierUsd).toBe(0);
    expect(lambda.basis).toContain('43800 GB-s');
  });

  it('keeps SMS, storage and network out of the base total', () => {
    const usage: Usage = {
      ...empty,
      kms: { keys: 1, requests: 0 },
      sns: { publishes: 0, emails: 0, sms: 10 },
      storage: [{ item: 'backups', gb: 100, storageClass: 'standard' }],
      network: { mode: 'nat', availabilityZones: 2, interfaceEndpoints: 4, gbProcessed: 0 },
    };
    const estimate = estimateMonthlyCost(usage, pricesFor('us-east-1'));
    expect(estimate.totals.base.listUsd).toBe(1); // the KMS key
    expect(estimate.totals.storage.listUsd).toBe(2.3); // 100 GB × 0.023
    expect(estimate.totals.sms.listUsd).toBe(0.09); // 10 × 0.0085
    expect(estimate.totals.network.listUsd).toBe(32.85); // 730 h × 0.045
    expect(estimate.totals.all.listUsd).toBe(36.24);
  });

  it('fails clearly on a region without a price table', () => {
    expect(() => pricesFor('ap-south-2')).toThrow(PricingRegionUnknown);
    expect(() => pricesFor('ap-south-2')).toThrow(/no price table for region "ap-south-2".*us-east-1/);
  });
});

describe('runsPerMonth', () => {
  it.each([
    ['rate(1 minute)', 43_800],
    ['rate(5 minutes)', 8_760],
    ['cron(0/15 * * * ? *)', 2_920],
    ['cron(0 2 * * ? *)', 30.42],
    ['cron(0 5 1 * ? *)', 1],
    ['cron(0 3 ? * 1 *)', 4.35],
  ])('%s runs %d times a month', (expression, runs) => {
    expect(runsPerMonth(expression)).toBeCloseTo(runs, 0);
  });

  it.each(['cron(30 2 * * ? *)', 'cron(0 3 ? * SUN *)', 'cron(0 1 1 * ? *)'])(
    '%s counts what a year of runs in a daylight-saving zone counts (it is counted on the UTC clock)',
    (expression) => {
      const from = new Date(Date.UTC(2025, 0, 1));
      const yearOfRuns = nextRuns(
        expression,
        'America/New_York',
        from,
        1_000,
        new Date(Date.UTC(2026, 0, 1)),
      );
      expect(runsPerMonth(expression) * 12).toBeCloseTo(yearOfRuns.length, 0);
    },
  );
});

describe('usageFromTemplates (inventory example)', () => {
  const config = loadConfig(resolve(REPO, 'examples/inventory.yaml'));
  const { app, data, jobs } = buildApp(config, { bundling: false });
  const assembly = app.synth();
  const templates = [data, jobs].map((s) => assembly.getStackByName(s.stackName).template as CfnTemplate);
  const usage = usageFromTemplates(templates, { pagesPerMonth: 4 });
  const resources = templates.flatMap((t) => Object.values(t.Resources ?? {}));

  it('counts every alarm of the template, and one alarm metric per metric in metric math', () => {
    const alarms = resources.filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    const mathMetrics = alarms
      .map((a) => (a.Properties?.Metrics as { MetricStat?: unknown }[] | undefined) ?? [])
      .reduce((sum, list) => sum + Math.max(0, list.filter((m) => m.MetricStat).length - 1), 0);
    expect(usage.alarms.count).toBe(alarms.length);
    expect(usage.alarms.metrics).toBe(alarms.length + mathMetrics);
    expect(mathMetrics).toBeGreaterThan(0);
  });

  it('takes memory and invocations of each scheduled function from the template', () => {
    const health = usage.functions.find((f) => f.name === 'health-check');
    expect(health?.invocationsPerMonth).toBe(43_800); // rate(1 minute)
    expect(health?.memoryMb).toBe(
      resources.find((r) => r.Type === 'AWS::Lambda::Function' && JSON.stringify(r).includes('HEALTH'))
        ?.Properties?.MemorySize,
    );
    expect(usage.schedulerInvocations).toBeGreaterThan(43_800);
  });

  it('counts the ack-link function (three requests a page) and the router run per acknowledgement', () => {
    const ackLink = usage.functions.find((f) => f.name === 'ack-link');
    expect(ackLink?.invocationsPerMonth).toBe(4 * ACK_LINK_REQUESTS_PER_PAGE);
    expect(ackLink?.memoryMb).toBe(256);
    expect(usage.functions.find((f) => f.name === 'alert-router')?.invocationsPerMonth).toBe(4 * 3);
    // every function of the template is priced, the ack link's included
    const names = resources
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => String(r.Properties?.FunctionName ?? ''))
      .filter((n) => n.startsWith(`${config.project}-`));
    expect(names).toContain(`${config.project}-ack-link`);
    // links: 4 pages × 2 channels × (levels + reminder), plus the link requests, on top of the acks' 16
    const levels = config.alerts.levels.length;
    expect(config.statusPage).toBeUndefined();
    expect(usage.dynamodb.writes).toBe(16 + 4 * 2 * (levels + 1) + 12 + 4);
  });

  it('prices custom metrics by their sending job: health breaches per alarm episode, backups once a day', () => {
    const health = usage.customMetrics.filter((m) =>
      /^Nightshift\/(Up|LatencyMs|ConnectionsPercent|MemoryPercent) \{/.test(m.id),
    );
    const backup = usage.customMetrics.find((m) => m.id.startsWith('Nightshift/BackupSucceeded'));
    // without the dashboard the checks send only breaching values: an hour per assumed page (4)
    expect(health.map((m) => m.hoursPerMonth)).toEqual(Array(8).fill(4));
    expect(backup?.hoursPerMonth).toBeCloseTo(30.4, 0);
    // the log archive's deadline check sends ArchivedDay every 15 minutes: every hour
    expect(usage.customMetrics.find((m) => m.id.startsWith('Nightshift/ArchivedDay'))?.hoursPerMonth).toBe(
      730,
    );
  });

  it("keeps backups and log archives as the buckets' lifecycle rules say", () => {
    // 2 targets (postgres, redis); tiers expire after 8, 29 and 93 days: 7 daily, 4 weekly, 3 monthly each.
    const sized = usageFromTemplates(templates, { backupSizeGb: 2, archivedGbPerDay: 0.5 });
    const backups = sized.storage.filter((s) => s.item.startsWith('backups'));
    expect(backups.map((s) => s.gb)).toEqual([28, 16, 12]);
    // logs: 30 days Standard, 60 days Glacier IR, 275 days Deep Archive (expiry at 365).
    const logs = sized.storage.filter((s) => s.item.startsWith('log archive'));
    expect(logs.map((s) => [s.storageClass, s.gb])).toEqual([
      ['standard', 15],
      ['glacierInstant', 30],
      ['deepArchive', 137.5],
    ]);
  });

  it("meets issue 13's goal by hand: 28 alarms with 29 metrics, no KMS key, the app ≤ $5 list and ≤ $2 free", () => {
    // by hand: 5 down, 1 latency, 2 tls, 2 resource percentages (health); 2 × (failed, too-old) and
    // verify-failed (backups); failed and late (log archive); health-check-failed; jobs-dlq; 4
    // alerts.alarms (api-5xx reads 2 metrics) and 1 log pattern; sms-spend, alert-router-failed,
    // alert-undelivered, escalation-failed
    const byHand = 5 + 1 + 2 + 2 + 5 + 2 + 1 + 1 + 4 + 1 + 4;
    expect(usage.alarms.count).toBe(byHand);
    expect(usage.alarms.metrics).toBe(byHand + 1);
    expect(usage.kms.keys).toBe(0); // encryption: aws-managed
    const estimate = estimateMonthlyCost(usage, pricesFor(config.region));
    const alarms = estimate.lines.find((l) => l.service === 'CloudWatch' && l.item === 'alarms');
    // $0.10 per alarm metric; the first 10 are free
    expect(alarms?.listUsd).toBeCloseTo((byHand + 1) * 0.1, 10);
    expect(alarms?.afterFreeTierUsd).toBeCloseTo((byHand + 1 - 10) * 0.1, 10);
    expect(estimate.totals.base.listUsd).toBeLessThanOrEqual(5);
    expect(estimate.totals.base.afterFreeTierUsd).toBeLessThanOrEqual(2);
  });

  it('counts the secrets the roles may read, and the VPC network the jobs need', () => {
    // the inventory example's credentials are SSM SecureStrings (free): no Secrets Manager secret
    expect(usage.secrets.count).toBe(0);
    expect(usage.network?.mode).toBe('nat');
    const estimate = estimateMonthlyCost(usage, pricesFor(config.region));
    expect(estimate.lines.find((l) => l.item === 'NAT gateway')?.group).toBe('network');
    expect(estimate.totals.base.afterFreeTierUsd).toBeLessThan(estimate.totals.base.listUsd);
    expect(ALWAYS_FREE.alarmMetrics).toBe(10);
  });
});

describe('usageFromTemplates (nestjs-mongo example: the api checked every 30 s)', () => {
  const config = loadConfig(resolve(REPO, 'examples/nestjs-mongo.yaml'));
  const { app, data, jobs } = buildApp(config, { bundling: false });
  const assembly = app.synth();
  const templates = [data, jobs].map((s) => assembly.getStackByName(s.stackName).template as CfnTemplate);
  const usage = usageFromTemplates(templates, { pagesPerMonth: 4 });

  it('counts the api down alarm (10 s periods) as one high-resolution alarm metric, priced on its own line', () => {
    expect(usage.alarms.highResMetrics).toBe(1);
    const estimate = estimateMonthlyCost(usage, pricesFor(config.region));
    expect(estimate.lines.find((l) => l.item === 'high-resolution alarms')).toMatchObject({
      service: 'CloudWatch',
      listUsd: 0.3,
      afterFreeTierUsd: 0.3,
    });
  });

  it('bills the sub-minute schedule a whole minute per run (it waits for its slots)', () => {
    const health = usage.functions.find((f) => f.name === 'health-check');
    // two schedules a minute: the default one (1.5 s) and every-30s (60 s)
    expect(health?.invocationsPerMonth).toBe(2 * 43_800);
    expect(health?.durationMs).toBeCloseTo((60_000 + 1_500) / 2, 0);
  });
});
