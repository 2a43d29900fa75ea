/**
 * The prometheus check kind against a local HTTP server whose counters advance, reset and go missing:
 * rule values as RuleValue metrics with exactly {Project, Target, Rule}, no value on the first scrape,
 * the scrape as Up, secret headers, timeouts, and the DynamoDB store of the previous scrape (through
 * aws-sdk-client-mock: conditional writes, only the counters the rules read). Then the whole seam on a
 * simulated clock: config → synthesized rule alarm → the real check core every minute → the alarm
 * evaluator, for `for: 2m`, a counter reset and a series that disappears.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkOne } from '../../../lambdas/health-check/health-check';
import { HealthMetric, ruleDimensions } from '../../../lambdas/health-check/metrics';
import {
  dynamoScrapeState,
  MemoryScrapeState,
  SCRAPE_TTL_SECONDS,
  type ScrapeStateStore,
  ScrapeStateTooLarge,
} from '../../../lambdas/health-check/prometheus/state';
import { METRICS_NAMESPACE } from '../../../lambdas/shared/metrics';
import { effectiveHealthTargets } from '../../../lib/config/resolved';
import {
  alarmFromTemplate,
  MetricStore,
  metricKey,
  simulate,
  type TemplateAlarm,
} from '../../support/alarm-evaluator';
import { testApp, testConfig } from '../../support/cdk';
import { fakeSecrets, type TargetInput, target, testDeps } from './support';

const TOKEN = 'metrics-token-4e5f6a7b8c9d';

/** What the app exposes; tests change it between scrapes. */
const app = {
  requests: 0,
  errors: 0,
  /** false: http_errors_total is not exposed (a restarted app that has not failed yet). */
  errorsExposed: true,
  /** Cumulative latency histogram counts for le 0.5, 1, 2, 5, +Inf. */
  latency: [0, 0, 0, 0, 0],
  status: 200,
};

function page(): string {
  const lines = [
    '# HELP http_requests_total Requests served.',
    '# TYPE http_requests_total counter',
    `http_requests_total{code="200",route="/api"} ${app.requests - app.errors}`,
    `http_requests_total{code="500",route="/api"} ${app.errors}`,
  ];
  if (app.errorsExposed) lines.push('# TYPE http_errors_total counter', `http_errors_total ${app.errors}`);
  lines.push('# TYPE http_request_duration_seconds histogram');
  for (const [i, le] of ['0.5', '1', '2', '5', '+Inf'].entries())
    lines.push(`http_request_duration_seconds_bucket{route="/api",le="${le}"} ${app.latency[i]}`);
  lines.push(
    'http_request_duration_seconds_sum{route="/api"} 0',
    `http_request_duration_seconds_count{route="/api"} ${app.latency[4]}`,
    '# TYPE db_connections_active gauge',
    'db_connections_active{pool="main"} 7',
    'db_connections_active{pool="replica"} 3',
  );
  // no trailing newline on purpose: the last sample must not be lost
  return lines.join('\n');
}

function route(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/metrics' || (path === '/private' && req.headers.authorization === `Bearer ${TOKEN}`)) {
    res.writeHead(app.status, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(app.status === 200 ? page() : 'unavailable');
  } else if (path === '/private') {
    res.writeHead(401).end('unauthorized');
  } else if (path === '/html') {
    res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Welcome</body></html>');
  } else if (path === '/hang') {
    // never answers
  } else res.writeHead(404).end();
}

let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer(route);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  Object.assign(app, { requests: 0, errors: 0, errorsExposed: true, latency: [0, 0, 0, 0, 0], status: 200 });
});

const ERROR_RATIO = {
  name: 'HighErrorRate',
  expr: {
    ratio: { numerator: { rate: 'http_errors_total' }, denominator: { rate: 'http_requests_total' } },
  },
  above: 0.1,
  for: '2m',
  severity: 'critical',
};
const P95 = {
  name: 'HighResponseTime',
  expr: { quantile: { q: 0.95, histogram: 'http_request_duration_seconds' } },
  above: 2,
  for: '5m',
  severity: 'medium',
};
const CONNECTIONS = {
  name: 'NoConnections',
  expr: { gauge: { metric: 'db_connections_active', labels: { pool: 'main' } } },
  below: 1,
};

function promTarget(url: string, extra: Record<string, unknown> = {}): TargetInput {
  return {
    name: 'app',
    prometheus: { url, rules: [ERROR_RATIO, P95, CONNECTIONS], ...extra },
  } as TargetInput;
}

/** A check core with one clock and one previous-scrape store across invocations. */
function scraper(store: ScrapeStateStore = new MemoryScrapeState()) {
  const clock = { now: Date.UTC(2026, 0, 5, 12, 0, 5) };
  const deps = testDeps({
    now: () => new Date(clock.now),
    scrapeState: store,
    secrets: fakeSecrets({ 'prod/app/metrics-token': JSON.stringify({ token: `Bearer ${TOKEN}` }) }),
  });
  return { clock, deps, store };
}

const ruleValues = (deps: ReturnType<typeof testDeps>, rule: string) =>
  deps.metrics.values(HealthMetric.RuleValue, ruleDimensions('shop', 'app', rule));

describe('prometheus check', () => {
  it('sends gauges at once, rates and quantiles from the second scrape, each with exactly {Project, Target, Rule}', async () => {
    const { clock, deps } = scraper();
    const t = target(promTarget(`${base}/metrics`));
    app.requests = 1000;
    app.errors = 10;
    app.latency = [100, 200, 300, 400, 500];

    const first = await checkOne(deps, t);
    expect(first.up).toBe(true);
    expect(first.detail).toMatch(/HighErrorRate: no value \(first scrape: a rate needs a previous one\)/);
    expect(ruleValues(deps, 'HighErrorRate')).toEqual([]);
    expect(ruleValues(deps, 'HighResponseTime')).toEqual([]);
    expect(ruleValues(deps, 'NoConnections')).toEqual([7]);

    clock.now += 60_000;
    app.requests += 600; // 10/s
    app.errors += 90; // 1.5/s → 15 %
    // 100 new observations: 40 ≤ 0.5 s, 20 in (0.5, 1], 30 in (1, 2], 8 in (2, 5], 2 above
    app.latency = [140, 260, 390, 498, 600];
    const second = await checkOne(deps, t);
    expect(ruleValues(deps, 'HighErrorRate')).toEqual([0.15]);
    // rank 95 of 100 falls in (2, 5] holding 8 after 90: 2 + 3 × 5/8
    expect(ruleValues(deps, 'HighResponseTime')[0]).toBeCloseTo(2 + (3 * 5) / 8, 10);
    expect(second.warnings).toEqual(['HighErrorRate = 0.15, above 0.1', 'HighResponseTime = 3.875, above 2']);
    expect(second.metrics).toMatchObject({ Up: 1, 'RuleValue:HighErrorRate': 0.15 });

    // the one dimension set of the metric contract, and nothing per app series
    const rulePoints = deps.metrics.points.filter((p) => p.name === HealthMetric.RuleValue);
    expect(new Set(rulePoints.map((p) => JSON.stringify(p.dimensions)))).toEqual(
      new Set(
        ['NoConnections', 'HighErrorRate', 'HighResponseTime'].map((rule) =>
          JSON.stringify({ Project: 'shop', Target: 'app', Rule: rule }),
        ),
      ),
    );
    expect(new Set(deps.metrics.points.map((p) => p.name))).toEqual(new Set(['Up', 'RuleValue']));
  });

  it('treats a counter that went down as a restart: the new value is the increase', async () => {
    const { clock, deps } = scraper();
    const t = target(promTarget(`${base}/metrics`));
    app.requests = 5000;
    app.errors = 500;
    await checkOne(deps, t);
    clock.now += 60_000;
    // the app restarted and has served 300 requests, 60 of them errors, since: every counter went down
    app.requests = 300;
    app.errors = 60;
    await checkOne(deps, t);
    expect(ruleValues(deps, 'HighErrorRate')[0]).toBeCloseTo(0.2, 12);
  });

  it('sends nothing for a rule whose series went missing, and rates resume once it is back twice', async () => {
    const { clock, deps } = scraper();
    const t = target(promTarget(`${base}/metrics`));
    app.requests = 100;
    await checkOne(deps, t);
    clock.now += 60_000;
    app.errorsExposed = false;
    app.requests = 200;
    const gone = await checkOne(deps, t);
    expect(gone.up).toBe(true);
    expect(gone.detail).toMatch(/HighErrorRate: no value \(no series http_errors_total\)/);
    clock.now += 60_000;
    app.errorsExposed = true;
    app.errors = 5;
    app.requests = 300;
    const back = await checkOne(deps, t);
    expect(back.detail).toMatch(
      /HighErrorRate: no value \(no series http_errors_total in the previous scrape\)/,
    );
    clock.now += 60_000;
    app.errors = 15;
    app.requests = 400;
    await checkOne(deps, t);
    expect(ruleValues(deps, 'HighErrorRate')).toHaveLength(1);
    expect(ruleValues(deps, 'HighErrorRate')[0]).toBeCloseTo(0.1, 12);
  });

  it('has no rate after a cold start: a new process with nothing stored starts again', async () => {
    const one = scraper();
    const t = target(promTarget(`${base}/metrics`));
    app.requests = 100;
    await checkOne(one.deps, t);
    const coldStart = scraper(new MemoryScrapeState());
    coldStart.clock.now = one.clock.now + 60_000;
    app.requests = 200;
    app.errors = 100;
    await checkOne(coldStart.deps, t);
    expect(ruleValues(coldStart.deps, 'HighErrorRate')).toEqual([]);
  });

  it('is down (Up 0, no rule values) when the endpoint fails, and keeps the previous scrape for later', async () => {
    const { clock, deps, store } = scraper();
    const t = target(promTarget(`${base}/metrics`));
    app.requests = 100;
    await checkOne(deps, t);
    const kept = await store.load('app');
    clock.now += 60_000;
    app.status = 503;
    const down = await checkOne(deps, t);
    expect(down).toMatchObject({
      up: false,
      reason: 'status 503 from the metrics endpoint, expected 200-299',
    });
    expect(deps.metrics.values('Up')).toEqual([1, 0]);
    expect(ruleValues(deps, 'NoConnections')).toEqual([7]);
    expect(await store.load('app')).toEqual(kept);
  });

  it('is down with a clear reason for a page that is not the text format, and on timeout', async () => {
    const { deps } = scraper();
    const html = await checkOne(deps, target(promTarget(`${base}/html`)));
    expect(html.up).toBe(false);
    expect(html.reason).toBe(
      'not the Prometheus text format: "<html><body>Welcome</body></html> " is not a sample line',
    );
    const hang = await checkOne(deps, target({ ...promTarget(`${base}/hang`), timeout: '300ms' }));
    expect(hang).toMatchObject({ up: false, reason: 'timed out after 300 ms' });
  });

  it('sends the Authorization header from a secret and never shows it', async () => {
    const { deps } = scraper();
    const headers = { Authorization: { secret: 'prod/app/metrics-token', key: 'token' } };
    const denied = await checkOne(deps, target(promTarget(`${base}/private`)));
    expect(denied.reason).toBe('status 401 from the metrics endpoint, expected 200-299');
    const withToken = await checkOne(deps, target(promTarget(`${base}/private`, { headers })));
    expect(withToken.up).toBe(true);
    expect(JSON.stringify(withToken)).not.toContain(TOKEN);
  });
});

describe('DynamoDB previous-scrape store', () => {
  const dynamo = mockClient(DynamoDBClient);
  beforeEach(() => dynamo.reset());

  it('writes one item per target with only the counters the rules read, conditionally and with a TTL', async () => {
    dynamo.on(GetItemCommand).resolves({});
    dynamo.on(PutItemCommand).resolves({});
    const store = dynamoScrapeState(new DynamoDBClient({ region: 'eu-west-1' }), 'shop-nightshift-scrapes');
    const { deps, clock } = scraper(store);
    app.requests = 100;
    app.errors = 4;
    await checkOne(deps, target(promTarget(`${base}/metrics`)));

    expect(dynamo.commandCalls(GetItemCommand)[0]?.args[0].input).toEqual({
      TableName: 'shop-nightshift-scrapes',
      Key: { target: { S: 'app' } },
    });
    const put = dynamo.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(put?.ConditionExpression).toBe('attribute_not_exists(scrapedAt) OR scrapedAt < :at');
    expect(put?.Item?.scrapedAt).toEqual({ N: String(clock.now) });
    expect(put?.Item?.expiresAt).toEqual({ N: String(Math.floor(clock.now / 1000) + SCRAPE_TTL_SECONDS) });
    // the counters of rate(http_errors_total), rate(http_requests_total) and the latency buckets; no gauge
    expect(Object.keys(JSON.parse(put?.Item?.series?.S ?? '{}')).sort()).toEqual([
      'http_errors_total{}',
      'http_request_duration_seconds_bucket{le="+Inf",route="/api"}',
      'http_request_duration_seconds_bucket{le="0.5",route="/api"}',
      'http_request_duration_seconds_bucket{le="1",route="/api"}',
      'http_request_duration_seconds_bucket{le="2",route="/api"}',
      'http_request_duration_seconds_bucket{le="5",route="/api"}',
      'http_requests_total{code="200",route="/api"}',
      'http_requests_total{code="500",route="/api"}',
    ]);
  });

  it('reads the stored scrape back for the rate', async () => {
    const clockStart = Date.UTC(2026, 0, 5, 12, 0, 5);
    dynamo.on(GetItemCommand).resolves({
      Item: {
        target: { S: 'app' },
        scrapedAt: { N: String(clockStart - 30_000) },
        series: {
          S: JSON.stringify({
            'http_errors_total{}': 0,
            'http_requests_total{code="200",route="/api"}': 0,
            'http_requests_total{code="500",route="/api"}': 0,
          }),
        },
      },
    });
    // a newer scrape was stored meanwhile: the conditional put fails and that is fine
    dynamo
      .on(PutItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'newer', $metadata: {} }));
    const { deps } = scraper(dynamoScrapeState(new DynamoDBClient({ region: 'eu-west-1' }), 't'));
    app.requests = 300;
    app.errors = 30;
    const result = await checkOne(deps, target(promTarget(`${base}/metrics`)));
    expect(ruleValues(deps, 'HighErrorRate')).toEqual([0.1]);
    expect(result.warnings.filter((w) => /kept|read/.test(w))).toEqual([]);
  });

  it('reports a failing table as a warning: the target stays up, rates start again', async () => {
    dynamo.on(GetItemCommand).rejects(new Error('AccessDeniedException: not authorized'));
    dynamo.on(PutItemCommand).rejects(new Error('ProvisionedThroughputExceededException: slow down'));
    const { deps } = scraper(dynamoScrapeState(new DynamoDBClient({ region: 'eu-west-1' }), 't'));
    const result = await checkOne(deps, target(promTarget(`${base}/metrics`)));
    expect(result.up).toBe(true);
    expect(result.warnings).toEqual([
      'previous scrape could not be read (AccessDeniedException: not authorized): rates start again',
      'this scrape could not be kept for the next one (ProvisionedThroughputExceededException: slow down)',
    ]);
  });

  it('refuses an item DynamoDB could not hold, naming the fix', async () => {
    const store = dynamoScrapeState(new DynamoDBClient({ region: 'eu-west-1' }), 't');
    const series = Object.fromEntries(
      Array.from({ length: 20_000 }, (_, i) => [`http_requests_total{path="/item/${i}"}`, i]),
    );
    await expect(store.save('app', { scrapedAtMs: 1, series })).rejects.toThrow(ScrapeStateTooLarge);
    await expect(store.save('app', { scrapedAtMs: 1, series })).rejects.toThrow(
      /narrow the rules' label selectors/,
    );
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(0);
  });
});

describe('rule alarm on a simulated clock (config → template → check core → alarm evaluator)', () => {
  it('fires after 2 breaching minutes, stays through a restart, and clears when the series goes away', async () => {
    const config = testConfig({
      healthChecks: { targets: [promTarget(`${base}/metrics`)] },
    });
    const template = Template.fromStack(testApp(config).jobs);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (r) => r.Properties as TemplateAlarm,
    );
    const spec = alarmFromTemplate(alarms.find((a) => a.AlarmName === 'shop-health-app-HighErrorRate')!);
    expect(spec).toMatchObject({ periodSeconds: 60, evaluationPeriods: 2, datapointsToAlarm: 2 });

    const [effective] = effectiveHealthTargets(config);
    const { clock, deps } = scraper();
    const store = new MetricStore();
    const start = clock.now;
    // per minute: requests and errors added; null: the errors counter is not exposed
    const minutes: [number, number | null][] = [
      [600, 0], // 0: first scrape, no value
      [600, 6], // 1: 1 %
      [600, 120], // 2: 20 %
      [600, 120], // 3: 20 % → ALARM after this minute
      [-1, -1], // 4: restart: 300 requests, 90 errors since (30 %)
      [600, null], // 5: errors no longer exposed → no value
      [600, null],
      [600, null],
      [600, null],
      [600, null],
    ];
    for (const [i, [requests, errors]] of minutes.entries()) {
      clock.now = start + i * 60_000;
      if (requests === -1) {
        app.requests = 300;
        app.errors = 90;
      } else {
        app.requests += requests;
        app.errorsExposed = errors !== null;
        if (errors !== null) app.errors += errors;
      }
      const before = deps.metrics.points.length;
      await checkOne(deps, effective!);
      for (const p of deps.metrics.points.slice(before)) {
        store.put(metricKey(METRICS_NAMESPACE, p.name, p.dimensions), clock.now, p.value);
      }
    }
    expect(ruleValues(deps, 'HighErrorRate')).toEqual([0.01, 0.2, 0.2, 0.3]);
    const transitions = simulate(spec, store, start, start + minutes.length * 60_000).map((t) => ({
      minute: Math.round((t.time - start) / 60_000),
      to: t.to,
    }));
    // minute 0 has no value and counts as not breaching (whenMissing: ok), so no alarm before two
    // breaching minutes; missing values keep the last real ones in the evaluation range (N + 2) for a while
    expect(transitions).toEqual([
      { minute: 1, to: 'OK' },
      { minute: 4, to: 'ALARM' },
      { minute: 8, to: 'OK' },
    ]);
  });
});
