import { describe, expect, it } from 'vitest';
import { resolveConfigPath } from '../../../lib/config/load';
import {
  cronRunsInYear,
  durationMs,
  formatDuration,
  nextRuns,
  parseSchedule,
  schedulePeriodMs,
  secretRef,
  ssmParameterName,
} from '../../../lib/config/primitives';

describe('durations', () => {
  it.each([
    ['30s', 30_000],
    ['15m', 900_000],
    ['4h', 14_400_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
  ])('%s = %d ms', (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });

  it.each(['15', 'm', '15 minutes', '1.5h', '-5m', ''])('rejects %j', (text) => {
    expect(() => durationMs(text)).toThrow(/is not a duration/);
  });

  it('formats for people', () => {
    expect(formatDuration(23 * 60_000)).toBe('23 min');
    expect(formatDuration(65 * 60_000)).toBe('1 h 5 min');
    expect(formatDuration(50 * 3_600_000)).toBe('2 d 2 h');
    expect(formatDuration(42_000)).toBe('42 s');
  });
});

describe('schedules', () => {
  it('parses rates', () => {
    expect(parseSchedule('rate(5 minutes)')).toMatchObject({ kind: 'rate', everyMs: 300_000 });
    expect(parseSchedule('rate(1 day)')).toMatchObject({ kind: 'rate', everyMs: 86_400_000 });
  });

  it('evaluates cron in the configured time zone, across DST', () => {
    // 02:00 in Berlin is 01:00 UTC in winter and 00:00 UTC in summer.
    const winter = nextRuns('cron(0 2 * * ? *)', 'Europe/Berlin', new Date('2026-01-10T12:00:00Z'), 1)[0];
    const summer = nextRuns('cron(0 2 * * ? *)', 'Europe/Berlin', new Date('2026-07-10T12:00:00Z'), 1)[0];
    expect(winter?.toISOString()).toBe('2026-01-11T01:00:00.000Z');
    expect(summer?.toISOString()).toBe('2026-07-11T00:00:00.000Z');
  });

  it('reads AWS day-of-week numbering (1 = Sunday)', () => {
    const [run] = nextRuns('cron(0 3 ? * 1 *)', 'UTC', new Date('2026-11-23T00:00:00Z'), 1); // a Monday
    expect(run?.getUTCDay()).toBe(0);
    expect(run?.toISOString()).toBe('2026-11-29T03:00:00.000Z');
  });

  it('honours the year field', () => {
    const runs = nextRuns('cron(0 0 1 1 ? 2028)', 'UTC', new Date('2026-11-23T00:00:00Z'), 1);
    expect(runs[0]?.toISOString()).toBe('2028-01-01T00:00:00.000Z');
  });

  it('knows the longest gap between runs', () => {
    expect(schedulePeriodMs('rate(1 minute)')).toBe(60_000);
    expect(schedulePeriodMs('cron(0 2 * * ? *)')).toBe(86_400_000);
    expect(schedulePeriodMs('cron(0 3 ? * MON-FRI *)')).toBe(3 * 86_400_000);
  });

  it.each([
    'cron(0 * * * ? *)',
    'cron(0 2 * * ? *)',
    'cron(0,30 8-18 ? * MON-FRI *)',
    'cron(0 5 1 * ? *)',
    'cron(0 5 L * ? *)',
    'cron(0 9 ? * 2#1 *)',
    'cron(0 9 ? * 6L *)',
    'cron(0 3 ? JAN,JUL 1 *)',
    'cron(0 0 29 2 ? *)',
    'cron(0 0 1 1 ? 2025)',
    'cron(0 0 1 1 ? 2027-2030)',
  ])('counts the runs of %s in a year as stepping through them does', (expression) => {
    // (nextRuns steps at most 10,000 times: an hourly schedule is the most frequent one it can count)
    // stepping from the last minute of 2024, so that a run at 2025-01-01 00:00 is counted too
    const stepped = nextRuns(
      expression,
      'UTC',
      new Date(Date.UTC(2024, 11, 31, 23, 59)),
      40_000,
      new Date(Date.UTC(2026, 0, 1)),
    ).filter((run) => run.getUTCFullYear() === 2025);
    expect(cronRunsInYear(expression, 2025)).toBe(stepped.length);
  });
});

describe('config path precedence', () => {
  const cwd = '/work/app';
  it('flag > context > NIGHTSHIFT_CONFIG > default', () => {
    const env = { NIGHTSHIFT_CONFIG: 'env.yaml' };
    expect(resolveConfigPath({ cwd, env, flag: 'flag.yaml', context: 'ctx.yaml' })).toBe(
      '/work/app/flag.yaml',
    );
    expect(resolveConfigPath({ cwd, env, context: 'ctx.yaml' })).toBe('/work/app/ctx.yaml');
    expect(resolveConfigPath({ cwd, env })).toBe('/work/app/env.yaml');
    expect(resolveConfigPath({ cwd, env: {} })).toBe('/work/app/nightshift.config.yaml');
  });
});

describe('secret references', () => {
  const ref = secretRef('a test value');
  it.each([
    'prod/shop/db',
    'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/shop/db-AbCdEf',
    'ssm:/prod/shop/db',
  ])('accepts %s', (value) => {
    expect(ref.safeParse(value).success).toBe(true);
  });

  it.each(['ssm:prod/shop/db', 'ssm:/prod/shop db', 'arn:aws:ssm:eu-west-1:123456789012:parameter/x'])(
    'rejects %s, naming both sources',
    (value) => {
      const result = ref.safeParse(value);
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toMatch(/Secrets Manager name.*ssm:\/prod\/shop\/db/);
    },
  );

  it('tells an ssm: reference apart by its parameter name', () => {
    expect(ssmParameterName('ssm:/prod/shop/db')).toBe('/prod/shop/db');
    expect(ssmParameterName('prod/shop/db')).toBeUndefined();
  });
});
