/**
 * The on-call core against the real time-zone database (Intl): weekly and daily hand-offs, both
 * daylight-saving changes in Europe/Berlin (30 Mar 2025: 02:00 → 03:00; 26 Oct 2025: 03:00 → 02:00),
 * an instant exactly at a hand-off, before the first hand-off, and a hand-off inside the spring gap
 * (shifted forward by the gap, like Temporal's "compatible" disambiguation).
 */
import { describe, expect, it } from 'vitest';
import { firstHandoffDate, onCallAt, periodDays } from '../../../lambdas/alert-router/rotation';

const BERLIN = 'Europe/Berlin';
const weekly = {
  members: ['ana', 'ben', 'cem'],
  handoff: { time: '09:00', weekday: 'monday' as const },
  every: '1w',
  start: '2025-03-19', // a Wednesday: the first hand-off is Monday 24 March
};

const iso = (d: Date) => d.toISOString();

describe('onCallAt', () => {
  it('starts on the first hand-off weekday on or after start', () => {
    expect(firstHandoffDate(weekly)).toBe('2025-03-24');
    expect(firstHandoffDate({ ...weekly, start: '2025-03-24' })).toBe('2025-03-24');
    expect(firstHandoffDate({ handoff: { time: '09:00' }, start: '2025-03-19' })).toBe('2025-03-19');
  });

  it('keeps a Monday 09:00 Berlin hand-off at 09:00 local across spring forward (UTC+1 → UTC+2)', () => {
    // Week of 24 March is CET (08:00Z); the hand-off on 31 March, after the switch, is CEST (07:00Z).
    const before = onCallAt(weekly, BERLIN, new Date('2025-03-28T12:00:00Z'));
    expect(before.current).toBe('ana');
    expect(iso(before.since)).toBe('2025-03-24T08:00:00.000Z');
    expect(before.next).toBe('ben');
    expect(iso(before.handoffAt)).toBe('2025-03-31T07:00:00.000Z');
    const after = onCallAt(weekly, BERLIN, new Date('2025-04-01T00:00:00Z'));
    expect(after.current).toBe('ben');
    expect(iso(after.since)).toBe('2025-03-31T07:00:00.000Z');
    expect(iso(after.handoffAt)).toBe('2025-04-07T07:00:00.000Z');
  });

  it('keeps 09:00 local across fall back (UTC+2 → UTC+1)', () => {
    // 20 Oct 2025 is CEST (07:00Z); 27 Oct, after the switch on the 26th, is CET (08:00Z).
    const at = onCallAt(weekly, BERLIN, new Date('2025-10-26T12:00:00Z'));
    expect(iso(at.since)).toBe('2025-10-20T07:00:00.000Z');
    expect(iso(at.handoffAt)).toBe('2025-10-27T08:00:00.000Z');
    // 07:30Z on the 27th is 08:30 local: still the previous member, for half an hour more.
    const early = onCallAt(weekly, BERLIN, new Date('2025-10-27T07:30:00Z'));
    expect(early.current).toBe(at.current);
    expect(iso(early.handoffAt)).toBe('2025-10-27T08:00:00.000Z');
  });

  it('hands over exactly at the hand-off instant, not a millisecond before', () => {
    const handoff = new Date('2025-03-31T07:00:00.000Z');
    const justBefore = onCallAt(weekly, BERLIN, new Date(handoff.getTime() - 1));
    const exactly = onCallAt(weekly, BERLIN, handoff);
    expect(justBefore.current).toBe('ana');
    expect(iso(justBefore.handoffAt)).toBe(iso(handoff));
    expect(exactly.current).toBe('ben');
    expect(iso(exactly.since)).toBe(iso(handoff));
    expect(exactly.next).toBe('cem');
  });

  it('cycles through the members and back to the first', () => {
    const names = [0, 1, 2, 3, 4].map(
      (week) => onCallAt(weekly, BERLIN, new Date(Date.UTC(2025, 3, 25 + 7 * week, 12))).current,
    );
    expect(names).toEqual(['ben', 'cem', 'ana', 'ben', 'cem']);
  });

  it('runs backwards before the first hand-off', () => {
    const at = onCallAt(weekly, BERLIN, new Date('2025-03-20T12:00:00Z'));
    expect(at.current).toBe('cem');
    expect(at.next).toBe('ana');
    expect(iso(at.handoffAt)).toBe('2025-03-24T08:00:00.000Z');
  });

  it('turns daily rotations at the local time in another zone (America/New_York)', () => {
    const daily = { members: ['x', 'y'], handoff: { time: '18:30' }, every: '1d', start: '2025-03-08' };
    // 9 March 2025 is the US switch to EDT: 18:30 is 23:30Z on the 8th, 22:30Z on the 9th.
    const at = onCallAt(daily, 'America/New_York', new Date('2025-03-09T12:00:00Z'));
    expect(at.current).toBe('x');
    expect(iso(at.since)).toBe('2025-03-08T23:30:00.000Z');
    expect(iso(at.handoffAt)).toBe('2025-03-09T22:30:00.000Z');
  });

  it('moves a 02:30 hand-off inside the spring gap forward by the gap, to 03:30 local', () => {
    const gap = { members: ['a', 'b'], handoff: { time: '02:30' }, every: '1d', start: '2025-03-29' };
    const at = onCallAt(gap, BERLIN, new Date('2025-03-30T00:30:00Z'));
    expect(iso(at.handoffAt)).toBe('2025-03-30T01:30:00.000Z');
    expect(iso(onCallAt(gap, BERLIN, new Date('2025-03-30T12:00:00Z')).handoffAt)).toBe(
      '2025-03-31T00:30:00.000Z',
    );
  });

  it('rejects periods that are not whole days', () => {
    expect(periodDays('2w')).toBe(14);
    expect(() => periodDays('36h')).toThrow(/whole number of days/);
  });
});
