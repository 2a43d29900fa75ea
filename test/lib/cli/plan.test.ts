/**
 * `nightshift plan`, run in-process through the real program (lib/cli/main.ts): one synthesis per
 * invocation, no child processes.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../lib/config/load';
import { nextRuns } from '../../../lib/config/primitives';
import { ROOT, runCliInProcess } from '../../support/cli';

const NOW = '2025-03-08T12:00:00Z'; // New York switches to EDT the next day: next runs straddle DST
const FILE = 'examples/inventory.yaml';

/** Wall-clock "YYYY-MM-DD HH:MM" in a zone, formatted independently of lib/plan. */
function wallClock(date: Date, timeZone: string): string {
  const text = date.toLocaleString('sv-SE', { timeZone, hour12: false });
  return text.slice(0, 16);
}

afterEach(() => {
  vi.restoreAllMocks();
});

function cli(...args: string[]) {
  return runCliInProcess('--no-color', ...args);
}

interface JsonPlan {
  stacks: { name: string; resources: Record<string, number> }[];
  jobs: { name: string; schedules: { expression: string; nextRuns: string[] }[] }[];
  alarms: { name: string; severity: string; levels: string[] }[];
  levels: { name: string; sms: string[]; email: string[]; subscribers: number }[];
  cost: {
    region: string;
    lines: { service: string; item: string; basis: string; listUsd: number; group: string }[];
    totals: Record<string, { listUsd: number; afterFreeTierUsd: number }>;
  };
}

describe('nightshift plan', () => {
  it('shows every schedule in the configured time zone with its next 3 runs, and the app’s alarms', async () => {
    const config = loadConfig(`${ROOT}/${FILE}`);
    expect(config.timezone).toBe('America/New_York');
    const result = await cli('plan', '--config', FILE, '--now', NOW);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('times in America/New_York');
    for (const expression of [config.healthChecks?.schedule, config.backups?.schedule]) {
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
    // the alarms as the app names them, with who they page; nothing the app does not build
    // severities by the runbook's names (examples/inventory.yaml numbers them 1-4)
    expect(result.stdout).toMatch(/inventory-health-api-down\s+1 \(critical\)\s+team → oncall → lead/);
    expect(result.stdout).toMatch(/inventory-sms-spend\s+2 \(high\)/);
    expect(result.stdout).toMatch(/2 \(high\)\s+team\s+1 h\s+2 h/);
    expect(result.stdout).not.toContain('not in the CDK app');
    expect(result.stdout).not.toMatch(/inventory-(api-down|backup-\w+-stale|api-certificate)\b/);
    for (const phone of config.alerts.levels.flatMap((l) => l.sms))
      expect(result.stdout).not.toContain(phone);
    expect(result.stdout).toContain('oncall@example.com');
    expect(result.stdout).toMatch(/Monthly cost estimate \(us-east-1, list prices as of \d{4}-\d{2}-\d{2}/);
    expect(result.stdout).toMatch(/total \$\d+\.\d\d a month at list prices, \$\d+\.\d\d with the free tier/);
  });

  it('--json carries stacks with resource counts, jobs with ISO next runs, alarms and masked levels', async () => {
    const config = loadConfig(`${ROOT}/${FILE}`);
    const result = await cli(
      'plan',
      '--config',
      FILE,
      '--now',
      NOW,
      '--json',
      '--runs',
      '2',
      '--backup-size',
      '3',
    );
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as JsonPlan;
    expect(plan.stacks.map((s) => s.name)).toEqual(['inventory-data', 'inventory-jobs']);
    // the example runs without a project key (encryption: aws-managed)
    expect(plan.stacks[0]?.resources['AWS::KMS::Key']).toBeUndefined();
    expect(plan.stacks[0]?.resources['AWS::S3::Bucket']).toBe(3);
    const backup = plan.jobs.find((j) => j.name === 'backup');
    expect(backup?.schedules[0]?.nextRuns).toEqual(
      nextRuns(config.backups?.schedule ?? '', config.timezone, new Date(NOW), 2).map((d) => d.toISOString()),
    );
    expect(plan.alarms.map((a) => a.name)).toContain('inventory-backup-postgres-too-old');
    const phones = config.alerts.levels.flatMap((l) => l.sms);
    expect(phones.length).toBeGreaterThan(0);
    for (const phone of phones) {
      expect(result.stdout).not.toContain(phone);
      expect(result.stdout).toContain(`${phone.slice(0, 2)}…${phone.slice(-2)}`); // "+1…43"
    }
    expect(plan.levels.map((l) => l.subscribers)).toEqual(
      config.alerts.levels.map((l) => l.email.length + l.sms.length),
    );
    // the estimate prices the plan's own alarms, and --backup-size reaches the storage lines:
    // 2 backup targets × 7 daily backups × 3 GB at $0.023
    expect(plan.cost.region).toBe(config.region);
    const alarms = plan.cost.lines.find((l) => l.item === 'alarms');
    expect(alarms?.basis).toContain(`${plan.alarms.length} alarms`);
    const daily = plan.cost.lines.find((l) => l.item.startsWith('backups, daily tier'));
    expect(daily?.basis).toBe('42 GB in standard');
    expect(daily?.listUsd).toBe(0.97);
    expect(plan.cost.totals.all?.listUsd).toBeGreaterThan(plan.cost.totals.base?.listUsd ?? Infinity);
  });

  it('lists the high-resolution alarm of a sub-minute check on its own cost line (nestjs-mongo: api every 30 s)', async () => {
    const result = await cli('plan', '--config', 'examples/nestjs-mongo.yaml', '--now', NOW);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('api (http, every 30 s)');
    expect(result.stdout).toMatch(
      /CloudWatch high-resolution alarms +\$0\.30 +\$0\.30 +1 alarm metric with 10\/20\/30 s periods × \$0\.30 \(no free tier\)/,
    );
    expect(result.stdout).toMatch(/bookings-health-api-down +critical .*failed every check for 30 s/);
  });

  it('exits 2 on an invalid config or option', async () => {
    expect((await cli('plan', '--config', 'package.json')).code).toBe(2);
    expect((await cli('plan', '--config', FILE, '--runs', '0')).code).toBe(2);
    const network = await cli('plan', '--config', FILE, '--network', 'vpn');
    expect(network.code).toBe(2);
    expect(network.stderr).toContain('--network "vpn" must be nat or endpoints');
  });
});
