/**
 * Who is on call: the pure core shared by the alert router (page time), the escalation input (each
 * step's planned time) and `nightshift oncall`.
 *
 * Hand-offs are wall-clock times in the configured time zone: the first one is `handoff.time` on
 * the first day on or after `start` (that is `handoff.weekday`, when given), then one every `every`
 * (whole days). Counting in calendar days, not milliseconds, keeps a Monday 09:00 hand-off at 09:00
 * local time on both sides of a daylight-saving change. Before the first hand-off the rotation runs
 * backwards (the last member precedes the first), so every instant has someone on call.
 */
import { durationMs, WEEKDAYS } from '../../lib/config/primitives';
import { addDays, dateIn, parseDate, zonedTime } from '../log-archive/day';

export type Weekday = (typeof WEEKDAYS)[number];

const DAY_MS = 86_400_000;

export interface RotationSpec<M> {
  readonly members: readonly M[];
  readonly handoff: { readonly time: string; readonly weekday?: Weekday | undefined };
  /** A duration of whole days: 1d, 1w, 2w. */
  readonly every: string;
  /** YYYY-MM-DD */
  readonly start: string;
}

export interface OnCall<M> {
  /** On call at the instant asked about, and since when (the last hand-off at or before it). */
  readonly current: M;
  readonly since: Date;
  /** Takes over at `handoffAt` (the first hand-off after the instant). */
  readonly next: M;
  readonly handoffAt: Date;
}

/** Days of one turn; throws when `every` is not whole days (validation reports it first). */
export function periodDays(every: string): number {
  const ms = durationMs(every);
  if (ms < DAY_MS || ms % DAY_MS !== 0) {
    throw new Error(`rotation.every "${every}" is not a whole number of days — write e.g. 1d, 7d or 1w`);
  }
  return ms / DAY_MS;
}

/** ISO weekday of a YYYY-MM-DD date, as an index into WEEKDAYS (Monday = 0). */
function weekdayIndex(date: string): number {
  const { year, month, day } = parseDate(date);
  return (new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7;
}

/** The date of the first hand-off: `start`, or the first `weekday` on or after it. */
export function firstHandoffDate(spec: Pick<RotationSpec<unknown>, 'handoff' | 'start'>): string {
  if (!spec.handoff.weekday) return spec.start;
  const wanted = WEEKDAYS.indexOf(spec.handoff.weekday);
  return addDays(spec.start, (wanted - weekdayIndex(spec.start) + 7) % 7);
}

function daysBetween(from: string, to: string): number {
  const a = parseDate(from);
  const b = parseDate(to);
  return Math.round((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / DAY_MS);
}

const mod = (a: number, n: number) => ((a % n) + n) % n;

/** Who is on call at `at`, and who takes over next, at which instant. */
export function onCallAt<M>(spec: RotationSpec<M>, timeZone: string, at: Date): OnCall<M> {
  if (spec.members.length === 0) throw new Error('a rotation needs at least one member');
  const days = periodDays(spec.every);
  const anchor = firstHandoffDate(spec);
  const handoff = (turn: number) =>
    new Date(zonedTime(addDays(anchor, turn * days), spec.handoff.time, timeZone));
  let turn = Math.floor(daysBetween(anchor, dateIn(at.getTime(), timeZone)) / days);
  // The hand-off of the turn whose day `at` falls in may still be ahead (earlier that day).
  if (handoff(turn).getTime() > at.getTime()) turn -= 1;
  const member = (t: number) => spec.members[mod(t, spec.members.length)] as M;
  return {
    current: member(turn),
    since: handoff(turn),
    next: member(turn + 1),
    handoffAt: handoff(turn + 1),
  };
}
