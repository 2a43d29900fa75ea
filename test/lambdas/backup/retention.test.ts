import { describe, expect, it } from 'vitest';
import {
  civilDate,
  decideTier,
  isoWeekKey,
  lifecycleDays,
  longestMonthsDays,
  monthKey,
  nextMidnightUtc,
  type RetentionCounts,
  type Tier,
  tierExpiry,
} from '../../../lambdas/backup/retention';
import { wallClock } from '../../../lambdas/shared/time';

const DAY_MS = 86_400_000;
const at = (iso: string) => ({ time: new Date(iso) });

// ---------------------------------------------------------------------------------------------
// decideTier
// ---------------------------------------------------------------------------------------------

describe('decideTier', () => {
  it('makes the first backup ever monthly', () => {
    expect(decideTier([], new Date('2026-05-13T06:00:00Z'), 'UTC')).toBe('monthly');
  });

  it('makes the first backup of an ISO week weekly and the rest of the week daily', () => {
    // Prepare: Wed 2026-05-13 … Sun 2026-05-17 exist (monthly was on the 1st).
    const previous = ['2026-05-01', '2026-05-13', '2026-05-14', '2026-05-15', '2026-05-16', '2026-05-17'].map(
      (d) => at(`${d}T06:00:00Z`),
    );
    // Act + Assert
    expect(decideTier(previous, new Date('2026-05-18T06:00:00Z'), 'UTC')).toBe('weekly'); // Monday
    expect(
      decideTier([...previous, at('2026-05-18T06:00:00Z')], new Date('2026-05-19T06:00:00Z'), 'UTC'),
    ).toBe('daily');
  });

  it('still yields a weekly when the Monday (and Sunday) failed', () => {
    // Prepare: backups through Sat 2026-05-16; Sun 17 and Mon 18 failed.
    const previous = ['2026-05-01', '2026-05-14', '2026-05-15', '2026-05-16'].map((d) =>
      at(`${d}T06:00:00Z`),
    );
    expect(decideTier(previous, new Date('2026-05-19T06:00:00Z'), 'UTC')).toBe('weekly');
  });

  it('still yields a monthly when the 1st failed', () => {
    const previous = ['2026-04-28', '2026-04-29', '2026-04-30'].map((d) => at(`${d}T06:00:00Z`));
    expect(decideTier(previous, new Date('2026-05-02T06:00:00Z'), 'UTC')).toBe('monthly');
  });

  it('handles a month that starts on a Sunday: monthly on the 1st, weekly on Monday the 2nd', () => {
    // 2026-03-01 is a Sunday; its ISO week began Monday 2026-02-23.
    const feb = ['2026-02-23', '2026-02-24', '2026-02-25', '2026-02-26', '2026-02-27', '2026-02-28'].map(
      (d) => at(`${d}T07:00:00Z`),
    );
    expect(decideTier(feb, new Date('2026-03-01T07:00:00Z'), 'UTC')).toBe('monthly');
    const withSunday = [...feb, at('2026-03-01T07:00:00Z')];
    expect(decideTier(withSunday, new Date('2026-03-02T07:00:00Z'), 'UTC')).toBe('weekly');
    expect(
      decideTier([...withSunday, at('2026-03-02T07:00:00Z')], new Date('2026-03-03T07:00:00Z'), 'UTC'),
    ).toBe('daily');
  });

  it('handles the year boundary inside ISO week 2026-W53', () => {
    // Mon 2026-12-28 … Sun 2027-01-03 are all 2026-W53.
    expect(isoWeekKey({ year: 2026, month: 12, day: 28 })).toBe('2026-W53');
    expect(isoWeekKey({ year: 2027, month: 1, day: 3 })).toBe('2026-W53');
    expect(isoWeekKey({ year: 2027, month: 1, day: 4 })).toBe('2027-W01');
    const december = ['2026-12-01', '2026-12-28', '2026-12-29', '2026-12-30', '2026-12-31'].map((d) =>
      at(`${d}T07:00:00Z`),
    );
    // New month (and year) but the same ISO week → monthly wins.
    expect(decideTier(december, new Date('2027-01-01T07:00:00Z'), 'UTC')).toBe('monthly');
    const withJan1 = [...december, at('2027-01-01T07:00:00Z')];
    expect(decideTier(withJan1, new Date('2027-01-02T07:00:00Z'), 'UTC')).toBe('daily');
    const throughSunday = [...withJan1, at('2027-01-02T07:00:00Z'), at('2027-01-03T07:00:00Z')];
    expect(decideTier(throughSunday, new Date('2027-01-04T07:00:00Z'), 'UTC')).toBe('weekly');
  });

  it('handles the 2020-W53 / 2021-W01 boundary', () => {
    expect(isoWeekKey({ year: 2021, month: 1, day: 1 })).toBe('2020-W53');
    expect(isoWeekKey({ year: 2024, month: 12, day: 30 })).toBe('2025-W01');
    // Thu 2020-12-31 and Fri 2021-01-01 share 2020-W53: Jan 2 is neither first of month nor of week.
    const previous = [at('2020-12-28T02:00:00Z'), at('2021-01-01T02:00:00Z')];
    expect(decideTier(previous, new Date('2021-01-02T02:00:00Z'), 'UTC')).toBe('daily');
  });

  it('uses the configured time zone for the day, week and month boundaries', () => {
    // 2026-03-01T03:00Z is 22:00 on Sat Feb 28 in New York, but Sun Mar 1 in UTC.
    const previous = [at('2026-02-23T07:00:00Z'), at('2026-02-27T07:00:00Z')];
    const now = new Date('2026-03-01T03:00:00Z');
    expect(decideTier(previous, now, 'America/New_York')).toBe('daily');
    expect(decideTier(previous, now, 'UTC')).toBe('monthly');
    // 2026-03-01T16:00Z is Mon Mar 2, 01:00 in Tokyo: a new ISO week there, not in UTC.
    const inMarch = [at('2026-02-28T14:00:00Z')]; // Feb 28 23:00 Tokyo
    expect(
      decideTier([...inMarch, at('2026-03-01T01:00:00Z')], new Date('2026-03-01T16:00:00Z'), 'Asia/Tokyo'),
    ).toBe('weekly');
    expect(
      decideTier([...inMarch, at('2026-03-01T01:00:00Z')], new Date('2026-03-01T16:00:00Z'), 'UTC'),
    ).toBe('daily');
  });

  it('handles the daylight-saving end that falls on the 1st (New York, Sun 2026-11-01)', () => {
    const october = [at('2026-10-01T06:00:00Z'), at('2026-10-26T06:00:00Z')];
    // 03:59Z is 23:59 EDT on Oct 31; 04:00Z is 00:00 EDT on Nov 1.
    expect(decideTier(october, new Date('2026-11-01T03:59:00Z'), 'America/New_York')).toBe('daily');
    expect(decideTier(october, new Date('2026-11-01T04:00:00Z'), 'America/New_York')).toBe('monthly');
    // 01:30 happens twice that night (05:30Z EDT, 06:30Z EST): the second run is a daily.
    expect(
      decideTier(
        [...october, at('2026-11-01T05:30:00Z')],
        new Date('2026-11-01T06:30:00Z'),
        'America/New_York',
      ),
    ).toBe('daily');
  });

  it('handles the daylight-saving start (New York, Sun 2026-03-08)', () => {
    const previous = [at('2026-03-01T07:00:00Z'), at('2026-03-02T07:00:00Z'), at('2026-03-08T07:00:00Z')];
    // 2026-03-09T03:30Z is 23:30 EDT on Sunday the 8th; 04:30Z is 00:30 EDT on Monday the 9th.
    expect(decideTier(previous, new Date('2026-03-09T03:30:00Z'), 'America/New_York')).toBe('daily');
    expect(decideTier(previous, new Date('2026-03-09T04:30:00Z'), 'America/New_York')).toBe('weekly');
  });

  it('ignores entries at or after now, and does not depend on the order of the list', () => {
    const now = new Date('2026-06-10T06:00:00Z');
    expect(decideTier([{ time: now }, at('2026-06-20T06:00:00Z')], now, 'UTC')).toBe('monthly');
    const shuffled = [at('2026-06-09T06:00:00Z'), at('2026-05-01T06:00:00Z'), at('2026-06-01T06:00:00Z')];
    expect(decideTier(shuffled, now, 'UTC')).toBe('daily');
    expect(decideTier([...shuffled].reverse(), now, 'UTC')).toBe('daily');
  });
});

// ---------------------------------------------------------------------------------------------
// lifecycle days and expiry
// ---------------------------------------------------------------------------------------------

describe('lifecycleDays and tierExpiry', () => {
  it('derives 8 / 29 / 93 days from 7 daily / 4 weekly / 3 monthly (exact need + 1 day of slack)', () => {
    expect(lifecycleDays({ daily: 7, weekly: 4, monthly: 3 })).toEqual({ daily: 8, weekly: 29, monthly: 93 });
  });

  it('uses the longest run of consecutive months', () => {
    expect([1, 2, 3, 6, 12].map(longestMonthsDays)).toEqual([31, 62, 92, 184, 366]);
  });

  it('never lets a higher tier expire before a lower one', () => {
    expect(lifecycleDays({ daily: 30, weekly: 2, monthly: 0 })).toEqual({
      daily: 31,
      weekly: 31,
      monthly: 31,
    });
    expect(lifecycleDays({ daily: 7, weekly: 0, monthly: 1 })).toEqual({ daily: 8, weekly: 8, monthly: 32 });
  });

  it('rounds a creation time up to the next midnight UTC (an exact midnight moves a full day)', () => {
    expect(nextMidnightUtc(new Date('2026-07-04T00:00:01Z')).toISOString()).toBe('2026-07-05T00:00:00.000Z');
    expect(nextMidnightUtc(new Date('2026-07-04T23:59:59.999Z')).toISOString()).toBe(
      '2026-07-05T00:00:00.000Z',
    );
    expect(nextMidnightUtc(new Date('2026-07-04T00:00:00Z')).toISOString()).toBe('2026-07-05T00:00:00.000Z');
  });

  it('counts from the creation time rounded up to the next midnight UTC', () => {
    const retention = { daily: 7, weekly: 4, monthly: 3 };
    expect(tierExpiry('daily', new Date('2026-01-01T07:00:00Z'), retention).toISOString()).toBe(
      '2026-01-10T00:00:00.000Z',
    );
    expect(tierExpiry('weekly', new Date('2026-01-01T23:59:59Z'), retention).toISOString()).toBe(
      '2026-01-31T00:00:00.000Z',
    );
    expect(tierExpiry('monthly', new Date('2026-01-01T00:00:00Z'), retention).toISOString()).toBe(
      '2026-04-05T00:00:00.000Z',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// 400-day simulation under S3 lifecycle
// ---------------------------------------------------------------------------------------------

/** mulberry32: a small seeded PRNG so failures are random but reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Offset of `timeZone` from UTC at `time`, in ms (local wall clock minus UTC). */
function offsetMs(time: number, timeZone: string): number {
  const w = wallClock(time, timeZone);
  const wall = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return wall - Math.floor(time / 1000) * 1000;
}

/**
 * The instant of a wall-clock time in a zone, as EventBridge Scheduler fires a cron in that zone: a
 * time skipped by a spring-forward change runs after the gap; a repeated time runs once, the first time.
 */
function zonedInstant(
  y: number,
  m: number,
  d: number,
  hour: number,
  minute: number,
  timeZone: string,
): number {
  const wall = Date.UTC(y, m - 1, d, hour, minute);
  const candidates = [
    wall - offsetMs(wall - 14 * 3_600_000, timeZone),
    wall - offsetMs(wall + 14 * 3_600_000, timeZone),
  ];
  const exact = candidates.filter((t) => t + offsetMs(t, timeZone) === wall).sort((a, b) => a - b);
  if (exact[0] !== undefined) return exact[0];
  return Math.max(...candidates); // in the gap: the later offset puts it just after the change
}

interface SimObject {
  readonly time: Date; // when the job ran (the key's timestamp; what decideTier sees)
  readonly created: number; // S3 creation time (upload completed)
  readonly tier: Tier;
  readonly expires: number;
  /** Local day, ISO week and month of `time`. */
  readonly dayKey: string;
  readonly weekKey: string;
  readonly monthKey: string;
}

interface SimulationOptions {
  readonly timeZone: string;
  readonly hour: number;
  readonly minute: number;
  readonly seed: number;
  readonly retention: RetentionCounts;
  /** Lifecycle days per tier; defaults to lifecycleDays(retention). */
  readonly days?: Record<Tier, number>;
  readonly start?: string;
  readonly totalDays?: number;
  readonly failureRate?: number;
  /** How many objects beyond daily + weekly + monthly may be kept at once. @default 2 */
  readonly extraAllowed?: number;
}

interface SimulationResult {
  readonly violations: string[];
  readonly maxKept: number;
  readonly backups: number;
  readonly failures: number;
  readonly tiers: Record<Tier, number>;
}

function addDays(date: { year: number; month: number; day: number }, n: number) {
  const t = new Date(Date.UTC(date.year, date.month - 1, date.day + n));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

function monthsBefore(date: { year: number; month: number }, n: number) {
  const t = new Date(Date.UTC(date.year, date.month - 1 - n, 1));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: 1 };
}

const dateKey = (d: { year: number; month: number; day: number }) =>
  `${monthKey(d)}-${String(d.day).padStart(2, '0')}`;

/**
 * Runs one backup per local day at hh:mm for `totalDays`, with random failures (independent failed
 * days plus occasional multi-day outages), deciding each tier from the objects S3 still holds — as the
 * job does — and expiring objects exactly as S3 lifecycle does. From day 100 on, checks the guarantees
 * right after each run and just before the next one (the weakest moment).
 */
function simulate(options: SimulationOptions): SimulationResult {
  const { timeZone, retention } = options;
  const days = options.days ?? lifecycleDays(retention);
  const random = prng(options.seed);
  const failureRate = options.failureRate ?? 0.2;
  const totalDays = options.totalDays ?? 400;
  const [y, m, d] = (options.start ?? '2026-01-01').split('-').map(Number) as [number, number, number];
  const first = { year: y, month: m, day: d };
  const runs = Array.from({ length: totalDays + 1 }, (_, i) => {
    const date = addDays(first, i);
    return {
      date,
      at: zonedInstant(date.year, date.month, date.day, options.hour, options.minute, timeZone),
    };
  });

  // Every successful backup ever made (S3 may have expired it since), by local day / week / month.
  const made = { days: new Set<string>(), weeks: new Set<string>(), months: new Set<string>() };
  let backups = 0;
  // Objects S3 still holds. Time only moves forward, so expired objects are dropped for good.
  let live: SimObject[] = [];
  const kept = (t: number) => {
    live = live.filter((o) => t < o.expires);
    return live.filter((o) => o.created <= t);
  };
  const violations: string[] = [];
  const tiers: Record<Tier, number> = { daily: 0, weekly: 0, monthly: 0 };
  let maxKept = 0;
  let outage = 0;
  let failures = 0;

  const check = (t: number, day: { year: number; month: number; day: number }, label: string) => {
    const alive = kept(t);
    maxKept = Math.max(maxKept, alive.length);
    const keptDays = new Set(alive.map((o) => o.dayKey));
    for (let i = 0; i < retention.daily; i++) {
      const k = dateKey(addDays(day, -i));
      if (made.days.has(k) && !keptDays.has(k)) violations.push(`${label}: lost the backup of day ${k}`);
    }
    const keptWeeks = new Set(alive.map((o) => o.weekKey));
    for (let i = 0; i < retention.weekly; i++) {
      const k = isoWeekKey(addDays(day, -7 * i));
      if (made.weeks.has(k) && !keptWeeks.has(k)) violations.push(`${label}: lost every backup of week ${k}`);
    }
    const keptMonths = new Set(alive.map((o) => o.monthKey));
    for (let i = 0; i < retention.monthly; i++) {
      const k = monthKey(monthsBefore(day, i));
      if (made.months.has(k) && !keptMonths.has(k))
        violations.push(`${label}: lost every backup of month ${k}`);
    }
    const limit = retention.daily + retention.weekly + retention.monthly + (options.extraAllowed ?? 2);
    if (alive.length > limit) violations.push(`${label}: ${alive.length} backups kept, more than ${limit}`);
  };

  for (let i = 0; i < totalDays; i++) {
    const run = runs[i]!;
    const next = runs[i + 1]!;
    if (outage === 0 && random() < 0.02) outage = 3 + Math.floor(random() * 10);
    const failed = outage > 0 || random() < failureRate;
    if (outage > 0) outage--;
    const started = run.at + Math.floor(random() * 60_000); // scheduler jitter
    if (failed) {
      failures++;
    } else {
      const time = new Date(started);
      const tier = decideTier(
        kept(started).map((o) => ({ time: o.time })),
        time,
        timeZone,
      );
      const created = started + 60_000 + Math.floor(random() * 40 * 60_000); // 1–41 minutes of dumping
      // S3: creation time rounded up to the next midnight UTC, plus the rule's days.
      const expires = (Math.floor(created / DAY_MS) + 1) * DAY_MS + days[tier] * DAY_MS;
      // The manifest's expiry / Object Lock retain-until is exactly when lifecycle removes it.
      if (!options.days) expect(tierExpiry(tier, new Date(created), retention).getTime()).toBe(expires);
      const local = civilDate(time, timeZone);
      backups++;
      made.days.add(dateKey(local));
      made.weeks.add(isoWeekKey(local));
      made.months.add(monthKey(local));
      live.push({
        time,
        created,
        tier,
        expires,
        dayKey: dateKey(local),
        weekKey: isoWeekKey(local),
        monthKey: monthKey(local),
      });
      tiers[tier]++;
    }
    if (i >= 100) {
      check(started + 60 * 60_000, run.date, `${dateKey(run.date)} after the run`);
      check(next.at - 1, run.date, `${dateKey(run.date)} before the next run`);
    }
  }
  return { violations, maxKept, backups, failures, tiers };
}

describe('400 days of daily backups under S3 lifecycle', () => {
  const retention = { daily: 7, weekly: 4, monthly: 3 };
  const scenarios = [
    { timeZone: 'America/New_York', hour: 2, minute: 0 },
    { timeZone: 'America/New_York', hour: 19, minute: 30 }, // 23:30 / 00:30 UTC across DST
    { timeZone: 'Europe/London', hour: 0, minute: 30 },
    { timeZone: 'Asia/Tokyo', hour: 2, minute: 0 },
    { timeZone: 'Australia/Sydney', hour: 23, minute: 0 },
    { timeZone: 'UTC', hour: 0, minute: 30 }, // ~23.5 h of rounding slack: the most objects kept
  ];
  const seeds = [1, 7, 42, 1234, 99991];

  for (const scenario of scenarios) {
    it(`keeps every guarantee at ${scenario.hour}:${String(scenario.minute).padStart(2, '0')} ${scenario.timeZone} (seeds ${seeds.join(', ')})`, () => {
      for (const seed of seeds) {
        const result = simulate({ ...scenario, seed, retention, start: '2026-01-01' });
        expect(result.violations, `seed ${seed}`).toEqual([]);
        // The simulation really exercised failures and all three tiers.
        expect(result.failures).toBeGreaterThan(40);
        expect(result.tiers.monthly).toBeGreaterThanOrEqual(12);
        expect(result.tiers.weekly).toBeGreaterThan(30);
        expect(result.tiers.daily).toBeGreaterThan(150);
        expect(result.maxKept).toBeLessThanOrEqual(
          retention.daily + retention.weekly + retention.monthly + 2,
        );
      }
    });
  }

  it('keeps every guarantee for other counts, with at most one extra object per tier', () => {
    // With non-default counts the one-day slack can keep more than the +2 of the defaults for a few
    // days around a week or month start (3/2/6 at 03:15 Berlin keeps 14; docs/retention.md).
    for (const other of [
      { daily: 3, weekly: 2, monthly: 6 },
      { daily: 14, weekly: 0, monthly: 12 },
    ]) {
      for (const seed of seeds.slice(0, 2)) {
        const result = simulate({
          timeZone: 'Europe/Berlin',
          hour: 3,
          minute: 15,
          seed,
          retention: other,
          extraAllowed: 3,
        });
        expect(result.violations, `${JSON.stringify(other)} seed ${seed}`).toEqual([]);
      }
    }
    const clean = simulate({
      timeZone: 'America/New_York',
      hour: 2,
      minute: 0,
      seed: 5,
      retention,
      failureRate: 0,
      start: '2025-06-01',
    });
    expect(clean.violations).toEqual([]);
  });

  it('shows why the naive day counts (7 / 28 / 92) are not enough: a 19:30 New York schedule loses a backup when clocks fall back', () => {
    const naive = { daily: 7, weekly: 28, monthly: 92 };
    const result = simulate({
      timeZone: 'America/New_York',
      hour: 19,
      minute: 30,
      seed: 3,
      retention,
      days: naive,
      failureRate: 0,
      start: '2026-01-01',
    });
    // Daily and weekly backups are lost in the weeks after the 2026-11-01 fall-back, each time in the
    // last half hour before the next run (00:30 UTC, while the rounding only reached 00:00 UTC).
    expect(result.violations.some((v) => v.includes('lost the backup of day 2026-10-'))).toBe(true);
    expect(result.violations.some((v) => v.includes('lost every backup of week 2026-W4'))).toBe(true);
    expect(result.violations.every((v) => /^2026-1[01]-\d\d before the next run: lost /.test(v))).toBe(true);
    // The same schedule with lifecycleDays() loses nothing.
    expect(
      simulate({ timeZone: 'America/New_York', hour: 19, minute: 30, seed: 3, retention, failureRate: 0 })
        .violations,
    ).toEqual([]);
  });
});
