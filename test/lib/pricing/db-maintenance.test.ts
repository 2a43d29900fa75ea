/**
 * The cost estimate counts database maintenance from the synthesized template: its function's runs (one
 * per task schedule), its alarms, and its metrics prorated by the runs of the task that sends them.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../../lib/app';
import { loadConfig } from '../../../lib/config/load';
import type { NightshiftConfig } from '../../../lib/config/schema';
import { type CfnTemplate, runsPerMonth, usageFromTemplates } from '../../../lib/pricing/usage';
import { REPO } from '../../support/cdk';

function usageOf(config: NightshiftConfig) {
  const { app, data, jobs } = buildApp(config, { bundling: false });
  const assembly = app.synth();
  const templates = [data, jobs].map((s) => assembly.getStackByName(s.stackName).template as CfnTemplate);
  return usageFromTemplates(templates, { pagesPerMonth: 4 });
}

describe('usage of the maintenance tasks (examples/python-api.yaml)', () => {
  const config = loadConfig(resolve(REPO, 'examples/python-api.yaml'));
  const withTasks = usageOf(config);
  const { maintenance: _tasks, ...rest } = config;
  const without = usageOf(rest as NightshiftConfig);
  const tasks = config.maintenance?.tasks ?? [];

  it('prices the db-maintenance function by the runs of every task schedule', () => {
    const fn = withTasks.functions.find((f) => f.name === 'db-maintenance');
    const runs = tasks.reduce((sum, t) => sum + runsPerMonth(t.schedule), 0);
    expect(fn?.invocationsPerMonth).toBeCloseTo(runs, 5);
    expect(fn?.memoryMb).toBe(512);
    expect(without.functions.some((f) => f.name === 'db-maintenance')).toBe(false);
  });

  it('counts its alarms: failed per task, problem per task that finds problems, and the job alarms', () => {
    // 4 tasks: 4 failed, 3 problem (not vacuum); the job's one failed-or-did-not-run alarm (its
    // 15-minute task makes it a frequent job); its DLQ is the jobs' shared one, alarmed either way
    expect(withTasks.alarms.count - without.alarms.count).toBe(4 + 3 + 1);
  });

  it('prorates each task metric by the hours its own schedule sends it in', () => {
    const hours = (task: string, metric: string) =>
      withTasks.customMetrics.find((m) => m.id === `Nightshift/${metric} {Project=notes-api,Task=${task}}`)
        ?.hoursPerMonth;
    expect(hours('unsent-outbox', 'MaintenanceProblem')).toBe(730); // every 15 minutes: every hour
    expect(hours('weekly-vacuum', 'MaintenanceFailed')).toBeCloseTo(4.35, 1); // weekly
    expect(hours('weekly-vacuum', 'MaintenanceProblem')).toBeUndefined(); // vacuum sends none
    expect(withTasks.customMetrics.length - without.customMetrics.length).toBe(4 + 3);
  });
});
