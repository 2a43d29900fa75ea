/**
 * Grandfather-father-son retention (docs/retention.md).
 *
 * Each backup object is tagged `tier=daily|weekly|monthly` when it is uploaded; bucket lifecycle
 * rules filtered by that tag expire it. The tier is decided from the target's earlier SUCCESSFUL
 * backups (listed from S3, not from the calendar), so a failed Sunday still yields a weekly on Monday:
 *
 * - the first successful backup of a calendar month (in the configured time zone) is monthly;
 * - otherwise the first successful backup of an ISO week (Monday–Sunday, same time zone) is weekly;
 * - otherwise it is daily.
 *
 * Expiry days carry ONE DAY OF SLACK over the naive counts (7 → 8, 4 weeks → 29, 3 months → 93):
 * S3 counts from the creation time rounded UP to the next midnight UTC, which usually gives hours of
 * slack, but not when the schedule's local time falls just before midnight UTC and a daylight-saving
 * change makes the next run an hour later (e.g. 19:30 America/New_York in the week clocks fall back),
 * or when a run finishes late. test/lambdas/backup/retention.test.ts shows the naive counts losing a
 * backup in exactly that case and the slack rule keeping every guarantee over 400 simulated days.
 */
import { wallClock } from '../shared/time';

export type Tier = 'daily' | 'weekly' | 'monthly';

export const TIERS: readonly Tier[] = ['daily', 'weekly', 'monthly'];

/** The S3 object tag key the lifecycle rules filter on (value: a Tier). */
export const TIER_TAG = 'tier';

/** How many daily, weekly and monthly backups to keep (config backups.retention). */
export interface RetentionCounts {
  readonly daily: number;
  readonly weekly: number;
  readonly monthly: number;
}

const DAY_MS = 86_400_000;

/** Extra day on top of each tier's exact requirement; see the module comment. */
export const EXPIRY_SLACK_DAYS = 1;

/** The calendar date of an instant in a time zone. */
export interface CivilDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** The date `time` falls on in `timeZone` (an IANA name such as Europe/Berlin). */
export function civilDate(time: Date, timeZone: string): CivilDate {
  const { year, month, day } = wallClock(time, timeZone);
  return { year, month, day };
}

/** "2026-03" — the calendar month of a date. */
export function monthKey(date: CivilDate): string {
  return `${date.year}-${String(date.month).padStart(2, '0')}`;
}

/** "2026-W09" — the ISO 8601 week (weeks start on Monday; week 1 holds the year's first Thursday). */
export function isoWeekKey(date: CivilDate): string {
  const utc = Date.UTC(date.year, date.month - 1, date.day);
  const weekday = new Date(utc).getUTCDay() || 7; // Monday 1 … Sunday 7
  const thursday = new Date(utc + (4 - weekday) * DAY_MS);
  const isoYear = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(isoYear, 0, 1)) / DAY_MS / 7) + 1;
  return `${isoYear}-W${String(week).padStart(2, '0')}`;
}

/**
 * The tier of a backup taken at `now`, given the target's earlier successful backups. Entries at or
 * after `now` are ignored (they cannot be "earlier"), so listing the prefix including the upload in
 * progress is harmless.
 */
export function decideTier(previous: { time: Date }[], now: Date, timeZone: string): Tier {
  const today = civilDate(now, timeZone);
  const month = monthKey(today);
  const week = isoWeekKey(today);
  let sameMonth = false;
  let sameWeek = false;
  for (const backup of previous) {
    if (!(backup.time.getTime() < now.getTime())) continue;
    const date = civilDate(backup.time, timeZone);
    if (monthKey(date) === month) sameMonth = true;
    if (isoWeekKey(date) === week) sameWeek = true;
    if (sameMonth && sameWeek) break;
  }
  if (!sameMonth) return 'monthly';
  if (!sameWeek) return 'weekly';
  return 'daily';
}

/**
 * The longest run of `months` consecutive calendar months, in days (1 → 31, 2 → 62, 3 → 92,
 * 12 → 366). Exact over the 400-year Gregorian cycle.
 */
const longestMonthsCache = new Map<number, number>();

export function longestMonthsDays(months: number): number {
  if (months <= 0) return 0;
  const cached = longestMonthsCache.get(months);
  if (cached !== undefined) return cached;
  const lengths: number[] = [];
  for (let year = 2000; year < 2400 + Math.ceil(months / 12) + 1; year++) {
    for (let month = 0; month < 12; month++) {
      lengths.push(new Date(Date.UTC(year, month + 1, 0)).getUTCDate());
    }
  }
  let window = 0;
  for (let i = 0; i < months; i++) window += lengths[i] ?? 0;
  let longest = window;
  for (let start = 1; start + months <= lengths.length && start < 4800; start++) {
    window += (lengths[start + months - 1] ?? 0) - (lengths[start - 1] ?? 0);
    longest = Math.max(longest, window);
  }
  longestMonthsCache.set(months, longest);
  return longest;
}

/**
 * Lifecycle expiration days per tier, as written into the bucket's tag-filtered rules.
 *
 * - daily: `daily` + 1 — the backup of the oldest of the last `daily` days must live until the next
 *   run, `daily` days after it;
 * - weekly: 7 × `weekly` + 1 — a weekly taken on Monday must live until the Monday run 4 weeks on;
 * - monthly: (longest `monthly` consecutive months) + 1 — a monthly taken on the 1st must live until
 *   the 1st run `monthly` months on (92 days for July–September);
 *
 * each at least the tier below it (a tier never expires before a lower one; with weekly: 0 a weekly
 * backup is simply kept as long as a daily).
 */
export function lifecycleDays(retention: RetentionCounts): Record<Tier, number> {
  const daily = Math.max(1, retention.daily) + EXPIRY_SLACK_DAYS;
  const weekly = retention.weekly > 0 ? Math.max(daily, 7 * retention.weekly + EXPIRY_SLACK_DAYS) : daily;
  const monthly =
    retention.monthly > 0
      ? Math.max(weekly, longestMonthsDays(retention.monthly) + EXPIRY_SLACK_DAYS)
      : weekly;
  return { daily, weekly, monthly };
}

/** The next midnight UTC strictly after `time` (S3 rounds creation times up to it). */
export function nextMidnightUtc(time: Date): Date {
  return new Date((Math.floor(time.getTime() / DAY_MS) + 1) * DAY_MS);
}

/**
 * When S3 lifecycle expires an object of `tier` created at `createdAt`: the creation time rounded up
 * to the next midnight UTC, plus the tier's lifecycle days. Written into the manifest, and used as the
 * Object Lock retain-until date, so a locked backup is deletable exactly when lifecycle expires it.
 */
export function tierExpiry(tier: Tier, createdAt: Date, retention: RetentionCounts): Date {
  const days = lifecycleDays(retention)[tier];
  return new Date(nextMidnightUtc(createdAt).getTime() + days * DAY_MS);
}
