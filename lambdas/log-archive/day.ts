/**
 * Which day is archived, and its time window.
 *
 * "The previous day" is the calendar day before today in the configured time zone when
 * `logArchive.day` is `local` (the default), or in UTC when it is `utc`. A local day is not always
 * 24 hours long: on daylight-saving changes it is 23 or 25 hours, and the window follows the wall
 * clock (midnight to midnight local time).
 */
import { wallClock } from '../shared/time';

export interface DayWindow {
  /** YYYY-MM-DD */
  readonly date: string;
  /** The IANA time zone the day is a calendar day in ("UTC" for day: utc). */
  readonly timeZone: string;
  /** First millisecond of the day (inclusive), epoch ms. */
  readonly startMs: number;
  /** First millisecond of the next day (exclusive), epoch ms. */
  readonly endMs: number;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export class InvalidDateError extends Error {
  constructor(text: string) {
    super(`"${text}" is not a date — write it as YYYY-MM-DD, e.g. 2025-03-14`);
    this.name = 'InvalidDateError';
  }
}

/** Parses YYYY-MM-DD strictly (2025-02-30 is rejected). */
export function parseDate(text: string): { year: number; month: number; day: number } {
  const match = DATE.exec(text);
  if (!match) throw new InvalidDateError(text);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    throw new InvalidDateError(text);
  }
  return { year, month, day };
}

/** Adds days to a YYYY-MM-DD date (calendar arithmetic, no time zone involved). */
export function addDays(date: string, days: number): string {
  const { year, month, day } = parseDate(date);
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

/** The calendar date (YYYY-MM-DD) of an instant in a time zone. */
export function dateIn(ms: number, timeZone: string): string {
  const w = wallClock(ms, timeZone);
  return `${String(w.year).padStart(4, '0')}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
}

/** Offset (local − UTC) in ms of a time zone at an instant. */
function offsetMs(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant of a wall-clock time on a date in a time zone. A time that does not exist (inside a
 * daylight-saving gap) resolves to the instant just after the gap.
 */
export function zonedTime(date: string, hhmm: string, timeZone: string): number {
  const { year, month, day } = parseDate(date);
  const [hour, minute] = hhmm.split(':').map(Number);
  const guess = Date.UTC(year, month - 1, day, hour ?? 0, minute ?? 0);
  const first = guess - offsetMs(guess, timeZone);
  const second = guess - offsetMs(first, timeZone);
  if (first === second) return first;
  // inside a gap or an ambiguous hour: take the later instant that still maps to the same or a later wall time
  return Math.max(first, second);
}

/** The window of a calendar date in a time zone. */
export function dayWindow(date: string, timeZone: string): DayWindow {
  parseDate(date);
  return {
    date,
    timeZone,
    startMs: zonedTime(date, '00:00', timeZone),
    endMs: zonedTime(addDays(date, 1), '00:00', timeZone),
  };
}

/** The zone "a day" is counted in. */
export function dayZone(day: 'local' | 'utc', timeZone: string): string {
  return day === 'utc' ? 'UTC' : timeZone;
}

/** The day before `now`'s date in the given zone. */
export function previousDay(now: Date, zone: string): DayWindow {
  return dayWindow(addDays(dateIn(now.getTime(), zone), -1), zone);
}

/**
 * The newest day that must be archived by now: yesterday once today's deadline (HH:MM in
 * `timeZone`) has passed, else the day before yesterday. Days are counted in `zone`.
 */
export function dueDay(now: Date, timeZone: string, zone: string, deadline: string): DayWindow {
  const today = dateIn(now.getTime(), timeZone);
  let deadlineMs = zonedTime(today, deadline, timeZone);
  if (now.getTime() < deadlineMs) deadlineMs = zonedTime(addDays(today, -1), deadline, timeZone);
  return dayWindow(addDays(dateIn(deadlineMs, zone), -1), zone);
}
