/**
 * `nightshift oncall`: the report (who now, who next, hand-off in the config's zone, masked contacts)
 * across the spring DST switch, and the real CLI with --at/--json and a bad --at.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onCallReport, parseAt } from '../../../lib/cli/commands/oncall';
import { parseConfig } from '../../../lib/config/validate';
import { runCli } from '../../support/cli';

const raw = {
  project: 'shop',
  region: 'eu-west-1',
  timezone: 'Europe/Berlin',
  alerts: {
    levels: [
      {
        name: 'oncall',
        rotation: {
          members: [
            { name: 'ana', email: 'ana@example.com', sms: '+4915112345678' },
            { name: 'ben', sms: '+4915187654321' },
          ],
          handoff: { time: '09:00', weekday: 'monday' },
          every: '1w',
          start: '2026-03-16',
        },
      },
      { name: 'lead', email: ['lead@example.com'] },
    ],
  },
};
const config = parseConfig(raw);

describe('onCallReport', () => {
  it('shows who is on now and next, with the hand-off at 09:00 local after the spring switch', () => {
    // Sunday 29 March 2026, the day Berlin moves to CEST: ben since Mon 23 March 09:00 CET.
    const report = onCallReport(config, new Date('2026-03-29T12:00:00Z'));
    expect(report.timeZone).toBe('Europe/Berlin');
    expect(report.levels[0]).toEqual({
      level: 'oncall',
      rotating: true,
      now: { name: 'ben', contacts: ['+4…21'] },
      since: '2026-03-23T08:00:00.000Z',
      next: { name: 'ana', contacts: ['a…@example.com', '+4…78'] },
      handoffAt: '2026-03-30T07:00:00.000Z',
      handoffLocal: 'Mon 30 Mar, 09:00 CEST',
    });
    expect(report.levels[1]).toEqual({
      level: 'lead',
      rotating: false,
      now: { name: 'everyone', contacts: ['l…@example.com'] },
    });
  });

  it('rejects an --at that is not ISO 8601, naming the flag', () => {
    expect(() => parseAt('next monday')).toThrow(
      /--at: "next monday" is not an ISO 8601 time — write e\.g\./,
    );
    expect(parseAt('2026-03-30T09:00:00+02:00').toISOString()).toBe('2026-03-30T07:00:00.000Z');
  });
});

describe('nightshift oncall', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-oncall-'));
  const file = join(dir, 'nightshift.config.json');
  writeFileSync(file, JSON.stringify(raw));

  it('prints the report at --at as JSON, with no full number or address', async () => {
    const result = await runCli(['oncall', '--config', file, '--at', '2026-03-30T09:00:00+02:00', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as ReturnType<typeof onCallReport>;
    expect(report.levels.map((l) => [l.level, l.now.name, l.next?.name, l.handoffLocal])).toEqual([
      ['oncall', 'ana', 'ben', 'Mon 6 Apr, 09:00 CEST'],
      ['lead', 'everyone', undefined, undefined],
    ]);
    expect(result.stdout).not.toMatch(/\+4915112345678|\+4915187654321|ana@example\.com/);
  });

  it('exits 2 on a bad --at and prints a table otherwise', async () => {
    const bad = await runCli(['oncall', '--config', file, '--at', 'tomorrow']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--at: "tomorrow" is not an ISO 8601 time');
    const table = await runCli(['oncall', '--config', file, '--at', '2026-03-29T12:00:00Z']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/oncall\s+ben\s+\+4…21\s+ana\s+Mon 30 Mar, 09:00 CEST/);
  });
});
