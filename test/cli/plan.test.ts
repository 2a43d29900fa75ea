import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load';
import { nextRuns } from '../../lib/config/primitives';
import { ROOT, runCli } from './cli';

const NOW = '2025-03-08T12:00:00Z'; // New York switches to EDT the next day: next runs straddle DST
const FILE = 'examples/inventory.yaml';

/** Wall-clock "YYYY-MM-DD HH:MM" in a zone, formatted independently of lib/plan. */
function wallClock(date: Date, timeZone: string): string {
  const text = date.toLocaleString('sv-SE', { timeZone, hour12: false });
  return text.slice(0, 16);
}

describe('nightshift plan', () => {
  it('shows every schedule in the configured time zone with its next 3 runs', async () => {
    const config = loadConfig(`${ROOT}/${FILE}`);
    expect(config.timezone).toBe('America/New_York');
    const result = await runCli(['plan', '--config', FILE, '--now', NOW, '--no-synth']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('times in America/New_York');
    const expressions = [
      config.healthChecks?.schedule,
      config.backups?.schedule,
      config.logArchive?.schedule,
    ];
    for (const expression of expressions) {
      expect(expression).toBeDefined();
      const runs = nextRuns(expression ?? '', config.timezone, new Date(NOW), 3);
      const expected = runs.map((run) => `${wallClock(run, config.timezone)} E`).join('.*');
      expect(result.stdout, `next runs of ${expression}`).toMatch(new RegExp(`next: .*${expected}`));
    }
    // the nightly 02:00 backup: 02:00 local on both sides of the DST change, i.e. 07:00Z then 06:00Z
    const backupRuns = nextRuns(config.backups?.schedule ?? '', config.timezone, new Date(NOW), 3);
    expect(backupRuns.map((d) => d.toISOString())).toEqual([
      '2025-03-09T07:00:00.000Z',
      '2025-03-10T06:00:00.000Z',
      '2025-03-11T06:00:00.000Z',
    ]);
    for (const run of backupRuns)
      expect(result.stdout).toMatch(new RegExp(`${wallClock(run, config.timezone)} E[SD]T`));
  });

  it('--json carries stacks, jobs with ISO next runs, alarms and masked levels', async () => {
    const config = loadConfig(`${ROOT}/${FILE}`);
    const result = await runCli([
      'plan',
      '--config',
      FILE,
      '--now',
      NOW,
      '--no-synth',
      '--json',
      '--runs',
      '2',
    ]);
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as {
      stacks: { name: string }[];
      jobs: { name: string; schedules: { expression: string; nextRuns: string[] }[] }[];
      alarms: { name: string; severity: string }[];
      levels: { name: string; sms: string[]; email: string[]; subscribers: number }[];
    };
    expect(plan.stacks.map((s) => s.name)).toEqual(['inventory-data', 'inventory-jobs']);
    const backup = plan.jobs.find((j) => j.name === 'backup');
    expect(backup?.schedules[0]?.nextRuns).toEqual(
      nextRuns(config.backups?.schedule ?? '', config.timezone, new Date(NOW), 2).map((d) => d.toISOString()),
    );
    expect(plan.alarms.map((a) => a.name)).toContain('inventory-backup-failed');
    const phones = config.alerts.levels.flatMap((l) => l.sms);
    expect(phones.length).toBeGreaterThan(0);
    for (const phone of phones) {
      expect(result.stdout).not.toContain(phone);
      expect(result.stdout).toContain(`+${'*'.repeat(phone.length - 3)}${phone.slice(-2)}`);
    }
    expect(plan.levels.map((l) => l.subscribers)).toEqual(
      config.alerts.levels.map((l) => l.email.length + l.sms.length),
    );
  });

  it('never prints full phone numbers in text either', async () => {
    const config = loadConfig(`${ROOT}/${FILE}`);
    const result = await runCli(['plan', '--config', FILE, '--no-synth']);
    expect(result.code).toBe(0);
    for (const phone of config.alerts.levels.flatMap((l) => l.sms))
      expect(result.stdout).not.toContain(phone);
    expect(result.stdout).toContain('oncall@example.com');
  });

  it('synthesizes the CDK app by default and lists its stacks with resource counts', async () => {
    const result = await runCli(['plan', '--config', 'examples/python-api.yaml', '--json', '--now', NOW]);
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as {
      source: string;
      note?: string;
      stacks: { name: string; resources?: Record<string, number> }[];
    };
    expect(plan.note).toBeUndefined();
    expect(plan.source).toBe('app');
    const data = plan.stacks.find((s) => s.name.endsWith('-data'));
    expect(data?.resources?.['AWS::KMS::Key']).toBe(1);
    expect(data?.resources?.['AWS::SNS::Topic']).toBeGreaterThanOrEqual(1);
  });

  it('exits 2 on an invalid config', async () => {
    const result = await runCli(['plan', '--config', 'package.json', '--no-synth']);
    expect(result.code).toBe(2);
  });
});
