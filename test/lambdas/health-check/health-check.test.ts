/**
 * The core's contract: bounded concurrency, target selection, the summary log line, per-target metric
 * dimensions, human reasons, and JSON conditions.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateCondition, parsePath } from '../../../lambdas/health-check/checks/json-conditions';
import { reasonFor } from '../../../lambdas/health-check/checks/reasons';
import { mapLimit, run, selectTargets, UnknownTarget } from '../../../lambdas/health-check/health-check';
import { breaches, HealthMetric, healthAlarmCondition } from '../../../lambdas/health-check/metrics';
import { freePort } from '../../../lib/local/ports';
import { targets, testDeps } from './support';

let server: Server;
let base = '';
let inFlight = 0;
let peak = 0;

beforeAll(async () => {
  server = createServer((_req, res) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    setTimeout(() => {
      inFlight--;
      res.end('ok');
    }, 20);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('run', () => {
  it('never has more than `concurrency` targets in flight and checks every target', async () => {
    peak = 0;
    const many = targets(
      ...Array.from({ length: 12 }, (_, i) => ({ name: `t${i}`, http: { url: `${base}/` } })),
    );

    const result = await run(testDeps(), { targets: many, concurrency: 3 });

    expect(result.results.map((r) => r.target)).toEqual(many.map((t) => t.target.name));
    expect(result.up).toBe(12);
    expect(peak).toBe(3);
  });

  it('logs exactly one summary line naming the down targets and their reasons', async () => {
    const closed = await freePort();
    const deps = testDeps();

    await run(deps, {
      targets: targets(
        { name: 'web', http: { url: `${base}/` } },
        { name: 'cache', tcp: { host: '127.0.0.1', port: closed } },
      ),
    });

    expect(deps.log.records).toHaveLength(1);
    expect(deps.log.records[0]).toMatchObject({
      level: 'info',
      message: 'health check run',
      extra: {
        targets: 2,
        up: 1,
        down: 1,
        downTargets: [{ target: 'cache', kind: 'tcp', reason: `ECONNREFUSED 127.0.0.1:${closed}` }],
      },
    });
  });

  it('puts Project and Target dimensions on every metric', async () => {
    const deps = testDeps({ project: 'billing' });

    await run(deps, { targets: targets({ name: 'web', maxLatency: '2s', http: { url: `${base}/` } }) });

    expect(deps.metrics.points.map((p) => [p.name, p.unit, p.dimensions])).toEqual([
      ['Up', 'Count', { Project: 'billing', Target: 'web' }],
      ['LatencyMs', 'Milliseconds', { Project: 'billing', Target: 'web' }],
    ]);
  });

  it('sends LatencyMs only for a target with maxLatency (its alarm is opt-in); the result keeps it', async () => {
    const deps = testDeps();

    const result = await run(deps, { targets: targets({ name: 'web', http: { url: `${base}/` } }) });

    expect(deps.metrics.points.map((p) => p.name)).toEqual(['Up']);
    expect(result.results[0]?.metrics.LatencyMs).toBeGreaterThanOrEqual(0);
    expect(result.results[0]?.warnings).toEqual([]);
  });

  it('with metricsSent breaches, sends only what its alarm counts as breaching; the result keeps every value', async () => {
    const closed = await freePort();
    const deps = testDeps({ project: 'billing' });

    const result = await run(deps, {
      metricsSent: 'breaches',
      targets: targets(
        // healthy and fast (the server answers in about 20 ms): nothing is sent
        { name: 'fast', maxLatency: '10s', http: { url: `${base}/` } },
        // healthy but slower than its 1 ms limit: LatencyMs only
        { name: 'slow', maxLatency: '1ms', http: { url: `${base}/` } },
        // down: Up 0
        { name: 'gone', tcp: { host: '127.0.0.1', port: closed } },
      ),
    });

    // (in the order the checks finish)
    const sent = deps.metrics.points.map((p) => [
      p.name,
      p.dimensions.Target,
      p.name === 'Up' ? p.value : 'ms',
    ]);
    expect(sent.sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual([
      ['LatencyMs', 'slow', 'ms'],
      ['Up', 'gone', 0],
    ]);
    expect(result.results.map((r) => [r.target, r.metrics.Up])).toEqual([
      ['fast', 1],
      ['slow', 1],
      ['gone', 0],
    ]);
    expect(result.results[0]?.metrics.LatencyMs).toBeGreaterThanOrEqual(0);
  });

  it('sends every value without metricsSent (a hand or local run) and with all (the dashboard graphs them)', async () => {
    for (const metricsSent of [undefined, 'all'] as const) {
      const deps = testDeps();
      await run(deps, {
        metricsSent,
        targets: targets({ name: 'fast', maxLatency: '10s', http: { url: `${base}/` } }),
      });
      expect(deps.metrics.points.map((p) => [p.name, p.value === 1 || p.name === 'LatencyMs'])).toEqual([
        ['Up', true],
        ['LatencyMs', true],
      ]);
    }
  });

  it('keeps going when a check throws something unexpected', async () => {
    const deps = testDeps();
    const result = await run(deps, {
      targets: targets(
        // a postgres target whose secret cannot be read, next to a healthy one
        { name: 'db', postgres: { secret: 'prod/db' } },
        { name: 'web', http: { url: `${base}/` } },
      ),
    });

    expect(result.results.map((r) => [r.target, r.up, r.reason])).toEqual([
      ['db', false, 'cannot read secret prod/db: it does not exist'],
      ['web', true, undefined],
    ]);
  });
});

describe('sub-minute targets', () => {
  // a clock 20 times faster than real time: a 10 s slot is 500 ms, a minute of checks takes 3 s; the
  // checks' own timeouts stay real (300 ms = 6 s on this clock, under the 10 s interval)
  const SPEED = 20;
  function fastClock(base: number) {
    const start = performance.now();
    return {
      now: () => new Date(base + (performance.now() - start) * SPEED),
      sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms / SPEED)),
    };
  }
  let hanging: Server;
  let healthy: Server;
  let hangingUrl = '';
  let healthyUrl = '';
  let clock: ReturnType<typeof fastClock>;
  const arrivals: number[] = [];

  beforeAll(async () => {
    hanging = createServer(() => {}); // accepts, never answers
    healthy = createServer((_req, res) => {
      arrivals.push(clock.now().getTime());
      res.end('ok');
    });
    for (const s of [hanging, healthy])
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/`;
    healthyUrl = `http://127.0.0.1:${(healthy.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    for (const s of [hanging, healthy]) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
  });

  it('checks at every slot of the minute, concurrently: a hanging target never moves the others', async () => {
    // 200 ms after a slot: the run starts at once with the slot it belongs to
    const base = Date.UTC(2026, 0, 5, 15, 0, 0) + 200;
    clock = fastClock(base);
    arrivals.length = 0;
    const deps = testDeps(clock);

    const result = await run(deps, {
      repeat: true,
      targets: targets(
        { name: 'stuck', interval: '10s', timeout: '300ms', http: { url: hangingUrl } },
        { name: 'web', interval: '10s', timeout: '300ms', http: { url: healthyUrl } },
        { name: 'minutely', http: { url: healthyUrl } },
      ),
    });

    const slots = Array.from({ length: 6 }, (_, i) => base - 200 + i * 10_000);
    const points = (target: string) =>
      deps.metrics.points
        .filter((p) => p.name === 'Up' && p.dimensions.Target === target)
        .map((p) => ({ value: p.value, resolution: p.resolution, timestamp: p.timestamp }));
    expect(points('stuck')).toEqual(slots.map((timestamp) => ({ value: 0, resolution: 1, timestamp })));
    expect(points('web')).toEqual(slots.map((timestamp) => ({ value: 1, resolution: 1, timestamp })));
    // the every-minute target: checked once, sent exactly as before (no resolution, no timestamp)
    expect(points('minutely')).toEqual([{ value: 1, resolution: undefined, timestamp: undefined }]);
    // web's requests arrive on its slots (within 5 s of this clock — a run blocked by stuck would come 6 s late), though stuck hangs 6 s at each
    const webArrivals = arrivals.slice().sort((a, b) => a - b);
    expect(webArrivals).toHaveLength(7);
    for (const slot of slots) {
      expect(
        webArrivals.some((t) => t >= slot && t - slot < 5_000),
        `a request for slot ${slot - base}`,
      ).toBe(true);
    }
    expect(result.results.map((r) => [r.target, r.up, r.checks])).toEqual([
      ['stuck', false, { total: 6, failed: 6 }],
      ['web', true, { total: 6, failed: 0 }],
      ['minutely', true, undefined],
    ]);
    expect(result.results[0]?.reason).toBe('timed out after 300 ms');
  });

  it('starts the slots at the time the schedule fired for, however late the run starts', async () => {
    const scheduledAt = Date.UTC(2026, 0, 5, 15, 1, 0);
    // 5.4 s late: nearer the next 10 s slot than this one, yet the minute's first slot is the scheduled one
    clock = fastClock(scheduledAt + 5_400);
    const deps = testDeps(clock);

    await run(deps, {
      repeat: true,
      scheduledAt,
      targets: targets({ name: 'web', interval: '10s', timeout: '300ms', http: { url: healthyUrl } }),
    });

    expect(deps.metrics.points.map((p) => (p.timestamp ?? 0) - scheduledAt)).toEqual([
      0, 10_000, 20_000, 30_000, 40_000, 50_000,
    ]);
  });

  it('checks a sub-minute target once, at high resolution, when the run does not repeat (nightshift check)', async () => {
    const base = Date.UTC(2026, 0, 5, 15, 0, 3);
    clock = fastClock(base);
    const deps = testDeps({ now: () => new Date(base) });

    const result = await run(deps, {
      targets: targets({ name: 'web', interval: '30s', timeout: '1s', http: { url: healthyUrl } }),
    });

    expect(result.results.map((r) => [r.up, r.checks])).toEqual([[true, undefined]]);
    expect(deps.metrics.points.map((p) => [p.name, p.resolution, p.timestamp])).toEqual([['Up', 1, base]]);
  });
});

describe('healthAlarmCondition and breaches (read by the alarms and by breaches-only sending)', () => {
  it('gives each alarmed metric its threshold and direction from the target, and none for the rest', () => {
    const [db, cache, web] = targets(
      { name: 'db', postgres: { secret: 'db', maxConnectionsPercent: 80, replicationLagSeconds: 30 } },
      { name: 'cache', redis: { secret: 'cache', maxMemoryPercent: 85 } },
      { name: 'web', http: { url: 'https://example.com/' } },
    );
    if (!db || !cache || !web) throw new Error('targets');
    expect(healthAlarmCondition(db, HealthMetric.Up)).toEqual({ threshold: 1, comparison: 'lt' });
    expect(healthAlarmCondition(db, HealthMetric.ConnectionsPercent)).toEqual({
      threshold: 80,
      comparison: 'gt',
    });
    expect(healthAlarmCondition(db, HealthMetric.ReplicationLagSeconds)).toEqual({
      threshold: 30,
      comparison: 'gt',
    });
    expect(healthAlarmCondition(cache, HealthMetric.MemoryPercent)).toEqual({
      threshold: 85,
      comparison: 'gt',
    });
    // no maxLatency: no latency alarm; TlsDaysLeft is daily, not breaches-only
    expect(healthAlarmCondition(web, HealthMetric.LatencyMs)).toBeUndefined();
    expect(healthAlarmCondition(web, HealthMetric.TlsDaysLeft)).toBeUndefined();
  });

  it('breaches strictly beyond the threshold, like the alarms (LessThan 1, GreaterThan limit)', () => {
    expect(breaches({ threshold: 1, comparison: 'lt' }, 0)).toBe(true);
    expect(breaches({ threshold: 1, comparison: 'lt' }, 1)).toBe(false);
    expect(breaches({ threshold: 80, comparison: 'gt' }, 80)).toBe(false);
    expect(breaches({ threshold: 80, comparison: 'gt' }, 80.5)).toBe(true);
  });
});

describe('selectTargets', () => {
  const all = targets(
    { name: 'web', http: { url: 'https://example.com/' } },
    { name: 'db', interval: '5m', tcp: { host: 'db', port: 5432 } },
    { name: 'cache', interval: '5m', tcp: { host: 'cache', port: 6379 } },
  );

  it('filters by name and by schedule interval', () => {
    expect(selectTargets({ targets: all, onlyTargets: ['db'] }).map((t) => t.target.name)).toEqual(['db']);
    expect(selectTargets({ targets: all, interval: 'default' }).map((t) => t.target.name)).toEqual(['web']);
    expect(selectTargets({ targets: all, interval: 300_000 }).map((t) => t.target.name)).toEqual([
      'db',
      'cache',
    ]);
  });

  it('rejects an unknown target name, listing the configured ones', () => {
    expect(() => selectTargets({ targets: all, onlyTargets: ['api'] })).toThrow(UnknownTarget);
    expect(() => selectTargets({ targets: all, onlyTargets: ['api'] })).toThrow(
      'no health check target named "api" — configured targets: web, db, cache',
    );
  });
});

describe('mapLimit', () => {
  it('keeps the order of results whatever order they finish in', async () => {
    const out = await mapLimit([30, 5, 15, 1], 2, async (ms) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return ms * 2;
    });
    expect(out).toEqual([60, 10, 30, 2]);
  });
});

describe('reasons', () => {
  it('turns errors into short human reasons without stacks', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), {
      code: 'ECONNREFUSED',
      address: '10.0.0.5',
      port: 5432,
    });
    const wrapped = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND db.internal'), {
      code: 'ENOTFOUND',
      hostname: 'db.internal',
    });
    const multi = new AggregateError([refused, refused], '');

    expect(reasonFor(refused, 1000)).toBe('ECONNREFUSED 10.0.0.5:5432');
    expect(reasonFor(wrapped, 1000)).toBe('ECONNREFUSED 127.0.0.1:6379');
    expect(reasonFor(dns, 1000)).toBe('ENOTFOUND db.internal (DNS lookup failed)');
    expect(reasonFor(multi, 1000)).toBe('ECONNREFUSED 10.0.0.5:5432');
    expect(reasonFor(new Error('Connection terminated due to connection timeout'), 2000)).toBe(
      'timed out after 2000 ms',
    );
    expect(reasonFor(new Error('line one\n    at stack (file.js:1:1)'), 1000)).toBe('line one');
    expect(reasonFor(new Error('auth failed for pw hunter22'), 1000, ['hunter22'])).toBe(
      'auth failed for pw ***',
    );
  });
});

describe('JSON conditions', () => {
  const body = { database: 'connected', checks: [{ status: 'pass' }], 'a b': 1, n: 7, s: 'x' };

  it("parses $.a.b, $.a[0] and $['a b'] paths", () => {
    expect(parsePath('$.checks[0].status')).toEqual(['checks', 0, 'status']);
    expect(parsePath("$['a b']")).toEqual(['a b']);
    expect(parsePath('$')).toEqual([]);
    expect(() => parsePath('$.checks[x]')).toThrow('cannot read the path at "[x]"');
  });

  it('evaluates equals, in, exists and number comparisons with readable failures', () => {
    expect(evaluateCondition(body, { path: '$.checks[0].status', equals: 'pass' })).toBeUndefined();
    expect(evaluateCondition(body, { path: "$['a b']", equals: 1 })).toBeUndefined();
    expect(evaluateCondition(body, { path: '$.database', in: ['ok', 'degraded'] })).toBe(
      '$.database was "connected", expected one of "ok", "degraded"',
    );
    expect(evaluateCondition(body, { path: '$.missing', exists: true })).toBe('$.missing is missing');
    expect(evaluateCondition(body, { path: '$.n', exists: false })).toBe(
      '$.n is present (7), expected it absent',
    );
    expect(evaluateCondition(body, { path: '$.n', gte: 7, lte: 7 })).toBeUndefined();
    expect(evaluateCondition(body, { path: '$.n', gt: 7 })).toBe('$.n was 7, expected > 7');
    expect(evaluateCondition(body, { path: '$.s', lt: 3 })).toBe('$.s was "x", expected a number < 3');
    expect(evaluateCondition(body, { path: '$.checks', equals: 'x' })).toBe(
      '$.checks was an array of 1, expected "x"',
    );
    expect(evaluateCondition(body, { path: '$.checks[3]', equals: 'x' })).toBe(
      '$.checks[3] is missing, expected "x"',
    );
  });
});
