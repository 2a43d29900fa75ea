import { describe, expect, it } from 'vitest';
import { dayWindow, dueDay, parseDate, previousDay } from '../../../lambdas/log-archive/day';
import { groupPath, newRunId, partKey, partLocation } from '../../../lambdas/log-archive/keys';

const H = 3_600_000;

describe('archive day', () => {
  it('is the previous calendar day in the configured time zone (local) or in UTC', () => {
    // 2025-03-15 00:30 UTC is 01:30 in Berlin and 2025-03-14 20:30 in New York
    const now = new Date(Date.UTC(2025, 2, 15, 0, 30));
    expect(previousDay(now, 'Europe/Berlin')).toMatchObject({
      date: '2025-03-14',
      startMs: Date.UTC(2025, 2, 13, 23),
      endMs: Date.UTC(2025, 2, 14, 23),
    });
    expect(previousDay(now, 'America/New_York').date).toBe('2025-03-13');
    expect(previousDay(now, 'UTC')).toMatchObject({
      date: '2025-03-14',
      startMs: Date.UTC(2025, 2, 14),
      endMs: Date.UTC(2025, 2, 15),
    });
  });

  it('follows the wall clock on daylight-saving days (23 and 25 hour days)', () => {
    const spring = dayWindow('2025-03-30', 'Europe/Berlin');
    const autumn = dayWindow('2025-10-26', 'Europe/Berlin');
    expect(spring.endMs - spring.startMs).toBe(23 * H);
    expect(autumn.endMs - autumn.startMs).toBe(25 * H);
    expect(
      dayWindow('2025-03-09', 'America/New_York').endMs - dayWindow('2025-03-09', 'America/New_York').startMs,
    ).toBe(23 * H);
  });

  it('rejects impossible dates with a message that shows the format', () => {
    expect(() => parseDate('2025-02-30')).toThrow(/YYYY-MM-DD/);
    expect(() => parseDate('14.03.2025')).toThrow(/not a date/);
  });

  it('is due by the deadline of the next day', () => {
    const at = (iso: string) => dueDay(new Date(iso), 'Europe/Berlin', 'Europe/Berlin', '06:00').date;
    expect(at('2025-03-15T04:59:00Z')).toBe('2025-03-13'); // 05:59 Berlin
    expect(at('2025-03-15T05:00:00Z')).toBe('2025-03-14'); // 06:00 Berlin
    // day: utc with a Tokyo deadline: 06:00 Tokyo on 03-15 is 21:00 UTC on 03-14 → due is 03-13 (UTC)
    expect(dueDay(new Date('2025-03-14T21:30:00Z'), 'Asia/Tokyo', 'UTC', '06:00').date).toBe('2025-03-13');
  });
});

describe('archive keys', () => {
  it('keeps the group path readable without the leading slash', () => {
    expect(groupPath('/aws/lambda/api')).toBe('aws/lambda/api');
    expect(groupPath('app//web/')).toBe('app/web');
    expect(partKey('logs/', '/aws/ecs/shop', '2025-03-14', 'r20250315T020001Z-1a2b3c4d', 12)).toBe(
      'logs/aws/ecs/shop/2025/03/14/r20250315T020001Z-1a2b3c4d/00012.ndjson.zst',
    );
  });

  it('names each run uniquely, in start-time order, and recognises part locations', () => {
    const at = new Date('2025-03-15T02:00:01.250Z');
    const [a, b] = [newRunId(at), newRunId(at)];
    expect(a).toMatch(/^r20250315T020001Z-[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
    expect(newRunId(new Date('2025-03-15T02:00:02Z')) > (a ?? '')).toBe(true);
    expect(partLocation(`${a}/00001.ndjson.zst`)).toEqual({ run: a });
    expect(partLocation('00001.ndjson.zst')).toEqual({ run: undefined });
    expect(partLocation(`${a}/notes.txt`)).toBeUndefined();
    expect(partLocation('other/00001.ndjson.zst')).toBeUndefined();
  });
});
