/**
 * For every example config: doctor's expected model resolves from the synthesized app (no generated
 * names, no unsupported intrinsics), checks exactly the template's alarms, knows which job publishes each
 * Nightshift metric, and finds the alert router that `page --test` invokes.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config/load';
import { alarmRouterFunction, expectedFromTemplates } from '../../../lib/doctor/expected';
import { synthesizeTemplates } from '../../../lib/doctor/synth';
import { REPO } from '../../support/cdk';

const EXAMPLES = readdirSync(join(REPO, 'examples')).filter((f) => f.endsWith('.yaml'));

describe.each(EXAMPLES)('doctor on examples/%s', (file) => {
  it('resolves every alarm, schedule, queue, topic, bucket and table from the templates', async () => {
    const config = loadConfig(join(REPO, 'examples', file));
    const stacks = await synthesizeTemplates(config);
    const expected = expectedFromTemplates(stacks, {
      region: config.region,
      partition: 'aws',
      account: '111122223333',
    });

    const templateAlarms = stacks.flatMap((s) =>
      Object.values(s.template.Resources ?? {})
        .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
        .map((r) => r.Properties?.AlarmName),
    );
    expect(expected.alarms.map((a) => a.name).sort()).toEqual([...templateAlarms].sort());
    const jobs = new Set(expected.jobs.map((j) => j.functionName));
    for (const alarm of expected.alarms) {
      for (const metric of alarm.metrics) {
        expect(
          metric.dimensions.every((d) => d.value !== '' && !d.value.includes('${')),
          alarm.name,
        ).toBe(true);
      }
      if (alarm.metrics.some((m) => m.source === 'job')) {
        expect(
          alarm.emitter && jobs.has(alarm.emitter),
          `${alarm.name} is published by a scheduled job`,
        ).toBe(true);
      }
    }
    expect(expected.schedules.length).toBeGreaterThan(0);
    expect(expected.schedules.every((s) => s.functionName && jobs.has(s.functionName))).toBe(true);
    expect(expected.deadLetterQueues).toContain(`${config.project}-alert-delivery-dlq`);
    expect(expected.topics.map((t) => t.name).sort()).toEqual(
      config.alerts.levels.map((l) => `${config.project}-alerts-${l.name}`).sort(),
    );
    expect(
      expected.buckets.every(
        (b) => b.name.includes(config.account ?? '111122223333') && b.lifecycleRules.length > 0,
      ),
    ).toBe(true);
    // the ack links, the acknowledgements, the prometheus targets' previous scrapes and the status
    // page's incidents
    const prometheus = config.healthChecks?.targets.some((t) => t.prometheus) ?? false;
    expect(expected.tables).toEqual([
      `${config.project}-nightshift-ack-links`,
      `${config.project}-nightshift-acks`,
      ...(prometheus ? [`${config.project}-nightshift-scrapes`] : []),
      ...(config.statusPage ? [`${config.project}-nightshift-status`] : []),
    ]);
    expect(alarmRouterFunction(stacks, config.region)).toBe(`${config.project}-alert-router`);
  }, 120_000);
});
