/**
 * The status-page handler end to end with CloudWatch and DynamoDB mocked (aws-sdk-client-mock, an
 * in-memory incident table): Function URL requests, the cache that keeps page views from multiplying
 * GetMetricData, missing data, incidents opened and closed by alarm events, failures, and the page
 * showing nothing about a target beyond its configured display name.
 */
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/status-page/handler';
import { addNote } from '../../../lambdas/status-page/incidents';
import type { PublicStatus } from '../../../lambdas/status-page/status';
import { clearStatusCache, type HttpResponse } from '../../../lambdas/status-page/status-page';
import { alarmEvent, days, FakeTable, fakeMetrics, SETTINGS, type UpSeries, urlEvent } from './support';

const NOW = new Date('2026-12-03T05:30:00Z');
const context = {
  functionName: 'shop-status-page',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

const table = new FakeTable();
let series: Record<string, UpSeries> = {};
const metrics = fakeMetrics(() => series);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
  vi.stubEnv('NIGHTSHIFT_STATUS_PAGE', JSON.stringify(SETTINGS));
  vi.stubEnv('NIGHTSHIFT_STATUS_TABLE', 'shop-nightshift-status');
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  table.items.clear();
  metrics.requests.length = 0;
  clearStatusCache();
  series = {
    api: { daily: days(NOW, 90, 1), recent: [['2026-12-03T05:29:00Z', 1]] },
    db: { daily: days(NOW, 90, 1), recent: [['2026-12-03T05:25:00Z', 1]] },
  };
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});
afterAll(() => {
  table.mock.restore();
  metrics.mock.restore();
});

const get = async (path: string, method = 'GET') =>
  (await handler(urlEvent(path, method), context)) as HttpResponse;
const json = async () => JSON.parse((await get('/status.json')).body) as PublicStatus;

describe('status-page handler: requests', () => {
  it('serves the HTML page with display names, states and uptime, cacheable', async () => {
    const res = await get('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=60, s-maxage=60, stale-if-error=600');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.body).toContain('<title>Shop status</title>');
    expect(res.body).toContain('<h3 id="t0">Website</h3>');
    expect(res.body).toContain('All systems operational');
    expect(res.body).toContain('100.00 % uptime over the last 90 days');
    expect(res.body).not.toContain('<script');
    expect(Buffer.byteLength(res.body)).toBeLessThan(20_000);
  });

  it('serves /status.json with the same status', async () => {
    const status = await json();
    expect(status.state).toBe('operational');
    expect(status.targets.map((t) => [t.name, t.state, t.uptimePercent, t.daysWithData])).toEqual([
      ['Website', 'operational', 100, 90],
      ['Database', 'operational', 100, 90],
    ]);
    expect(status.targets[0]?.days).toHaveLength(90);
    expect(status.targets[0]?.days.at(-1)?.date).toBe('2026-12-03');
  });

  it('asks GetMetricData for the Up metric: 90 UTC days of daily averages and a recent minimum', async () => {
    await get('/');
    expect(metrics.requests).toHaveLength(2);
    const [daily, recent] = metrics.requests;
    expect(daily?.StartTime).toEqual(new Date('2026-09-05T00:00:00Z'));
    expect(daily?.MetricDataQueries?.map((q) => [q.MetricStat?.Period, q.MetricStat?.Stat])).toEqual([
      [86_400, 'Average'],
      [86_400, 'Average'],
    ]);
    expect(daily?.MetricDataQueries?.[0]?.MetricStat?.Metric).toEqual({
      Namespace: 'Nightshift',
      MetricName: 'Up',
      Dimensions: [
        { Name: 'Project', Value: 'shop' },
        { Name: 'Target', Value: 'api' },
      ],
    });
    // db checks every 5 minutes: the freshness window is 3 periods
    expect(recent?.StartTime).toEqual(new Date(NOW.getTime() - 15 * 60_000));
    expect(recent?.MetricDataQueries?.map((q) => [q.MetricStat?.Period, q.MetricStat?.Stat])).toEqual([
      [60, 'Minimum'],
      [300, 'Minimum'],
    ]);
  });

  it('page views within the cache time share one GetMetricData round; later ones refresh it', async () => {
    for (let i = 0; i < 10; i++) await get(i % 2 ? '/' : '/status.json');
    expect(metrics.requests).toHaveLength(2);
    vi.setSystemTime(new Date(NOW.getTime() + 45_000));
    const aged = await get('/');
    expect(aged.headers['cache-control']).toMatch(/max-age=15,/);
    expect(metrics.requests).toHaveLength(2);
    vi.setSystemTime(new Date(NOW.getTime() + 61_000));
    await get('/');
    expect(metrics.requests).toHaveLength(4);
  });

  it('is honest about missing data: days without checks count neither way, no recent check is "unknown"', async () => {
    series = {
      // 30 days of data, one of them at 50 %, then nothing for 60 days
      api: { daily: { ...days(NOW, 30, 1), '2026-11-20': 0.5 }, recent: [] },
      db: { daily: {}, recent: [['2026-12-03T04:00:00Z', 1]] }, // 90 minutes old: not current
    };
    const status = await json();
    const [api, db] = status.targets;
    expect(api?.daysWithData).toBe(30);
    expect(api?.uptimePercent).toBe(98.33); // (29 + 0.5) / 30, floored
    expect(api?.days.filter((d) => d.uptime === null)).toHaveLength(60);
    expect(api?.state).toBe('unknown');
    expect(db?.uptimePercent).toBeNull();
    expect(db?.state).toBe('unknown');
    const html = (await get('/')).body;
    expect(html).toContain(
      '98.33 % uptime over the last 90 days (30 of 90 days have data); 1 day below 99.9 %',
    );
    expect(html).toContain('No uptime data for the last 90 days');
    expect(html).toContain('title="2026-09-05: no data"');
  });

  it('a failed latest check without an alarm is "degraded", not an outage', async () => {
    series.api = { daily: days(NOW, 90, 1), recent: [['2026-12-03T05:29:00Z', 0]] };
    expect((await json()).targets[0]?.state).toBe('degraded');
  });

  it('404 for other paths, 405 for other methods, HEAD without a body', async () => {
    expect((await get('/admin')).statusCode).toBe(404);
    const post = await get('/', 'POST');
    expect([post.statusCode, post.headers.allow]).toEqual([405, 'GET, HEAD']);
    const head = await get('/', 'HEAD');
    expect([head.statusCode, head.body]).toEqual([200, '']);
  });

  it('503 when CloudWatch fails and nothing is cached; the previous status while one is', async () => {
    const healthy = series;
    const throttled = new Proxy(
      {},
      {
        get() {
          throw new Error('Rate exceeded');
        },
      },
    ) as Record<string, UpSeries>;
    series = throttled;
    const failed = await get('/');
    expect([failed.statusCode, failed.headers['cache-control'], failed.headers['retry-after']]).toEqual([
      503,
      'no-store',
      '60',
    ]);
    expect(failed.body).not.toContain('Rate exceeded');
    // back to normal: built and cached
    series = healthy;
    expect((await get('/')).statusCode).toBe(200);
    // failing again after the cache time: the previous status, with its own time
    vi.setSystemTime(new Date(NOW.getTime() + 120_000));
    series = throttled;
    const stale = await get('/status.json');
    expect(stale.statusCode).toBe(200);
    expect((JSON.parse(stale.body) as PublicStatus).generatedAt).toBe(NOW.toISOString());
  });

  it('a broken environment fails the invocation naming the variable', async () => {
    vi.stubEnv('NIGHTSHIFT_STATUS_TABLE', undefined);
    await expect(handler(urlEvent('/'), context)).rejects.toThrow(
      'status-page: environment variable NIGHTSHIFT_STATUS_TABLE is not set',
    );
  });
});

describe('status-page handler: incidents follow the alarms', () => {
  it('ALARM opens one incident (retries and repeats included), OK closes it; the page follows', async () => {
    const opened = '2026-12-03T05:10:00.000Z';
    expect(await handler(alarmEvent('shop-health-api-down', 'ALARM', opened), context)).toEqual({
      action: 'opened',
      target: 'api',
      kind: 'down',
    });
    // EventBridge retry of the same event, and ALARM → INSUFFICIENT_DATA → ALARM later
    await handler(alarmEvent('shop-health-api-down', 'ALARM', opened), context);
    expect(
      await handler(
        alarmEvent('shop-health-api-down', 'INSUFFICIENT_DATA', '2026-12-03T05:12:00.000Z'),
        context,
      ),
    ).toMatchObject({ action: 'ignored' });
    expect(
      await handler(alarmEvent('shop-health-api-down', 'ALARM', '2026-12-03T05:13:00.000Z'), context),
    ).toMatchObject({ action: 'already open' });
    expect(table.all()).toHaveLength(1);

    let status = await json();
    expect(status.state).toBe('down');
    expect(status.targets[0]?.state).toBe('down');
    expect(status.incidents).toEqual([
      { target: 'Website', kind: 'down', openedAt: opened, closedAt: null, notes: [] },
    ]);
    const html = (await get('/')).body;
    expect(html).toContain('Outage in progress');
    expect(html).toContain('Outage: Website');
    expect(html).toContain('since 2026-12-03 05:10 UTC');

    // an operator note (what `nightshift status note` does) goes to the open incident
    await addNote(
      table.mock as never,
      'shop-nightshift-status',
      'api',
      'Database failover in progress',
      '2026-12-03T05:20:00.000Z',
    );

    const closed = '2026-12-03T05:25:00.000Z';
    vi.setSystemTime(new Date(NOW.getTime() + 1000));
    expect(await handler(alarmEvent('shop-health-api-down', 'OK', closed), context)).toEqual({
      action: 'closed',
      target: 'api',
      kind: 'down',
      count: 1,
    });
    // a recorded change clears the cache: the next view sees it without waiting for the TTL
    status = await json();
    expect(status.state).toBe('operational');
    expect(status.incidents).toEqual([
      {
        target: 'Website',
        kind: 'down',
        openedAt: opened,
        closedAt: closed,
        notes: [{ at: '2026-12-03T05:20:00.000Z', text: 'Database failover in progress' }],
      },
    ]);
    expect((await get('/')).body).toContain('2026-12-03 05:10 UTC – 2026-12-03 05:25 UTC</time> · Resolved');
  });

  it('the latency alarm is a "slow" incident: degraded, not down', async () => {
    await handler(alarmEvent('shop-health-api-latency', 'ALARM', '2026-12-03T05:00:00.000Z'), context);
    const status = await json();
    expect(status.targets[0]?.state).toBe('degraded');
    expect(status.state).toBe('degraded');
  });

  it('ignores alarms that are not its targets’ (the rule lists only those; a stray event changes nothing)', async () => {
    expect(
      await handler(alarmEvent('shop-backup-postgres-failed', 'ALARM', '2026-12-03T05:00:00.000Z'), context),
    ).toEqual({ action: 'ignored', reason: 'not an alarm of a status-page target' });
    expect(table.all()).toHaveLength(0);
  });

  it('lists closed incidents of the last 14 days only, open ones always', async () => {
    await handler(alarmEvent('shop-health-db-down', 'ALARM', '2026-10-01T00:00:00.000Z'), context);
    await handler(alarmEvent('shop-health-db-down', 'OK', '2026-10-01T01:00:00.000Z'), context);
    await handler(alarmEvent('shop-health-api-down', 'ALARM', '2026-11-01T00:00:00.000Z'), context);
    await handler(alarmEvent('shop-health-db-down', 'ALARM', '2026-12-01T00:00:00.000Z'), context);
    await handler(alarmEvent('shop-health-db-down', 'OK', '2026-12-01T00:30:00.000Z'), context);
    const status = await json();
    expect(status.incidents.map((i) => [i.target, i.openedAt, i.closedAt])).toEqual([
      ['Website', '2026-11-01T00:00:00.000Z', null],
      ['Database', '2026-12-01T00:00:00.000Z', '2026-12-01T00:30:00.000Z'],
    ]);
  });
});
