/**
 * Every message in our words: each zod issue code, produced by the real schema where it can produce it,
 * and each kind of cron failure (our field checks and the cron-parser fallback) maps to a message that
 * names the fix and carries none of the libraries' wording.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { nextRuns, parseSchedule, toStandardDayOfWeek } from '../../../lib/config/primitives';
import { configSchema } from '../../../lib/config/schema';
import { issuesFromZod } from '../../../lib/config/validate';
import { RAW_LIBRARY_WORDING } from '../../support/wording';

const BASE = {
  project: 'shop',
  region: 'eu-west-1',
  alerts: { levels: [{ name: 'team', email: ['team@example.com'] }] },
};
const FIX = /\b(use|write|remove|add|change|rename|shorten|lengthen|check|give|simplify)\b/i;

type Code = z.core.$ZodIssueCode;

/**
 * For each code: a config the real schema rejects with it, or a schema of our own where ours has none,
 * or (invalid_element, which zod 4 no longer emits for maps and sets) the issue as zod types it.
 */
type Case = { input: unknown; schema?: z.ZodType; issue?: z.core.$ZodIssue };
const CASES: Record<Code, Case[]> = {
  invalid_type: [{ input: { ...BASE, project: 42 } }, { input: { ...BASE, region: undefined } }],
  too_big: [
    { input: { ...BASE, backups: { retention: { daily: 400 } } } },
    { input: { ...BASE, alerts: { ...BASE.alerts, alarms: [{ name: 'a', description: 'x'.repeat(501) }] } } },
  ],
  too_small: [
    { input: { ...BASE, backups: { retention: { daily: 0 } } } },
    { input: { ...BASE, alerts: { levels: [] } } },
    { input: { ...BASE, alerts: { ...BASE.alerts, smsMonthlySpendLimitUsd: 0 } } },
    { input: { ...BASE, logArchive: { groups: [{ name: '' }] } } },
  ],
  invalid_format: [
    { input: { ...BASE, alerts: { ...BASE.alerts, maintenance: [{ start: 'soon', end: 'later' }] } } },
    { input: { ...BASE, region: 'Frankfurt' } },
  ],
  not_multiple_of: [{ input: 7, schema: z.number().multipleOf(5) }],
  unrecognized_keys: [{ input: { ...BASE, healthcheks: {} } }],
  invalid_union: [{ input: { ...BASE, statusPage: { title: 'Shop', targets: [5] } } }],
  invalid_key: [
    {
      input: {
        ...BASE,
        alerts: {
          ...BASE.alerts,
          alarms: [{ name: 'a', metrics: { Bad: { namespace: 'N', metric: 'M' } } }],
        },
      },
    },
  ],
  invalid_element: [
    {
      input: undefined,
      issue: {
        code: 'invalid_element',
        origin: 'map',
        key: 'a',
        path: [],
        message: 'Invalid input',
        issues: [
          { code: 'invalid_type', expected: 'number', path: [], message: 'Invalid input', input: 'x' },
        ],
      },
    },
  ],
  invalid_value: [{ input: { ...BASE, healthChecks: { defaults: { severity: 'urgent' } } } }],
  custom: [
    { input: { ...BASE, timezone: 'Mars/Olympus' } },
    { input: { ...BASE, backups: { schedule: 'cron(99 2 * * ? *)' } } },
  ],
};

describe('every zod issue code → our words', () => {
  it.each(Object.entries(CASES))('%s', (code, cases) => {
    for (const { input, schema, issue: given } of cases) {
      const result = given ? undefined : (schema ?? configSchema).safeParse(input, { reportInput: true });
      expect(result?.success).not.toBe(true);
      const issues = given ? [given] : (result?.error?.issues ?? []);
      const matching = issues.filter((issue) => issue.code === code);
      expect(matching.length, `no ${code} issue for ${JSON.stringify(input)?.slice(0, 80)}`).toBeGreaterThan(
        0,
      );
      for (const issue of matching) {
        const ours = issuesFromZod(issue);
        expect(ours.length).toBeGreaterThan(0);
        for (const { message } of ours) {
          expect(message).not.toMatch(RAW_LIBRARY_WORDING);
          expect(message).not.toMatch(/^[A-Z]/);
          expect(message, message).toMatch(FIX);
        }
      }
    }
  });

  it('the raw-wording check catches library text (so it can fail)', () => {
    const raw = z.number().min(1).safeParse(0).error?.issues[0]?.message ?? '';
    expect(raw).toMatch(RAW_LIBRARY_WORDING);
  });
});

describe('cron failures → our words', () => {
  it.each([
    ['cron(99 2 * * ? *)', 'minutes field "99" contains 99, outside 0-59'],
    ['cron(0 24 * * ? *)', 'hours field "24" contains 24, outside 0-23'],
    ['cron(0 2 32 * ? *)', 'day-of-month field "32"'],
    ['cron(0 2 * 13 ? *)', 'month field "13"'],
    ['cron(0 2 * FOO ? *)', 'month field "FOO" contains "FOO", which is not a number or a name'],
    ['cron(0 2 ? * 0 *)', 'day-of-week field "0" contains 0, outside 1-7'],
    ['cron(0 2 ? * 8 *)', 'day-of-week field "8"'],
    ['cron(0 2 ? * 2#6 *)', 'weekday occurrence #6'],
    ['cron(0 2 * * ? 1900)', 'year field "1900"'],
    ['cron(*/0 2 * * ? *)', 'has step "0"'],
    ['cron(0/5/2 2 * * ? *)', 'more than one step'],
    ['cron(0 2-1 * * ? *)', 'runs backwards'],
    ['cron(0 1-2-3 * * ? *)', 'more than one dash'],
    ['cron(0,,5 2 * * ? *)', 'empty list entry'],
    ['cron(0 2 * * *)', '6 fields'],
    ['cron(0 2 * * * *)', 'exactly one of day-of-month and day-of-week must be "?"'],
    ['cron(0 2 15W * ? *)', 'cannot be evaluated'],
    ['rate(0 minutes)', 'at least 1'],
    ['every day', 'is not a schedule'],
  ])('%s', (expression, expected) => {
    let message = '';
    try {
      parseSchedule(expression);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(expected);
    expect(message).not.toMatch(RAW_LIBRARY_WORDING);
    expect(message).toMatch(FIX);
  });
});

describe('AWS day-of-week (1 = Sunday) → cron-parser (0 = Sunday)', () => {
  it.each([
    ['1', '0'],
    ['7', '6'],
    ['2-6', '1-5'],
    ['MON-FRI', 'MON-FRI'],
    ['1-7/2', '0-6/2'],
    ['2#1', '1#1'],
    ['6L', '5L'],
    ['1,4,7', '0,3,6'],
  ])('%s → %s (steps and #n occurrences keep their value)', (aws, standard) => {
    expect(toStandardDayOfWeek(aws)).toBe(standard);
  });

  it('runs cron(0 2 ? * 2#1 *) on the first Monday of the month', () => {
    const runs = nextRuns('cron(0 2 ? * 2#1 *)', 'UTC', new Date('2026-12-01T00:00:00Z'), 2);
    expect(runs.map((run) => run.toISOString())).toEqual([
      '2026-12-07T02:00:00.000Z',
      '2027-01-04T02:00:00.000Z',
    ]);
  });

  it('runs cron(0 2 ? * 1-7/2 *) every other day of the week (Sun, Tue, Thu, Sat)', () => {
    const runs = nextRuns('cron(0 2 ? * 1-7/2 *)', 'UTC', new Date('2026-12-01T00:00:00Z'), 4);
    expect(runs.map((run) => run.getUTCDay())).toEqual([2, 4, 6, 0]);
  });
});
