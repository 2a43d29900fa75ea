/**
 * The prometheus rule evaluator on parsed text: histogram_quantile against hand-computed values,
 * counter rates with resets, series that appear and vanish, gauges, sums, ratios and label matchers.
 * The rules go through the real config schema, so defaults and shapes are the user's.
 */
import { describe, expect, it } from 'vitest';
import {
  evaluateRules,
  histogramQuantile,
  MAX_PREVIOUS_AGE_MS,
  type ScrapeState,
} from '../../../lambdas/health-check/prometheus/rules';
import { parseSamples, sampleValue, seriesKey } from '../../../lambdas/health-check/prometheus/samples';
import { prometheusRuleSchema } from '../../../lib/config/prometheus';

const rule = (input: Record<string, unknown>) =>
  prometheusRuleSchema.parse({ name: 'R', above: 0, ...input });
const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

/** Evaluates one rule over two pages, `seconds` apart; returns the second evaluation's value. */
function twoScrapes(expr: Record<string, unknown>, first: string, second: string, seconds = 60) {
  const rules = [rule({ expr })];
  const one = evaluateRules(rules, parseSamples(first), undefined, T0);
  const two = evaluateRules(rules, parseSamples(second), one.state, T0 + seconds * 1000);
  return { first: one.values[0], second: two.values[0], state: two.state };
}

const INF = Number.POSITIVE_INFINITY;

describe('histogramQuantile (Prometheus bucketQuantile)', () => {
  // cumulative counts: 10 ≤ 0.1 s, 30 ≤ 0.25 s, 80 ≤ 0.5 s, 95 ≤ 1 s, 100 in all
  const buckets = [
    { upper: 0.1, count: 10 },
    { upper: 0.25, count: 30 },
    { upper: 0.5, count: 80 },
    { upper: 1, count: 95 },
    { upper: INF, count: 100 },
  ];

  it.each([
    // rank = q × 100; start + (upper − start) × (rank − below) / in-bucket
    [0.05, 0.05], // 0 + 0.1 × 5/10
    [0.5, 0.35], // 0.25 + 0.25 × 20/50
    [0.9, 0.5 + (0.5 * 10) / 15], // 0.8333…
    [0.95, 1], // 0.5 + 0.5 × 15/15
    [0.99, 1], // rank in +Inf: the highest finite bound
    [1, 1],
  ])('q=%s → %s', (q, expected) => {
    expect(histogramQuantile(q, buckets)).toBeCloseTo(expected, 10);
  });

  it('is independent of the order buckets come in', () => {
    expect(histogramQuantile(0.5, [...buckets].reverse())).toBeCloseTo(0.35, 10);
  });

  it('has no value without observations, without +Inf or with one bucket', () => {
    expect(
      histogramQuantile(
        0.5,
        buckets.map((b) => ({ ...b, count: 0 })),
      ),
    ).toBeNaN();
    expect(histogramQuantile(0.5, buckets.slice(0, -1))).toBeNaN();
    expect(histogramQuantile(0.5, [{ upper: INF, count: 3 }])).toBeNaN();
  });

  it('raises non-monotonic counts like Prometheus', () => {
    // 0.5 s reports fewer than 0.25 s (a scrape racing observations): treated as 30
    const racing = [
      { upper: 0.25, count: 30 },
      { upper: 0.5, count: 20 },
      { upper: INF, count: 40 },
    ];
    // rank 30 → first bucket reaching it is 0.25: 0 + 0.25 × 30/30
    expect(histogramQuantile(0.75, racing)).toBeCloseTo(0.25, 10);
  });

  it('answers with the first bound when it is ≤ 0', () => {
    expect(
      histogramQuantile(0.1, [
        { upper: -1, count: 5 },
        { upper: INF, count: 10 },
      ]),
    ).toBe(-1);
  });
});

describe('parseSamples', () => {
  it('flattens histograms and summaries into PromQL series and reads +Inf/NaN', () => {
    const samples = parseSamples(
      [
        '# TYPE lat histogram',
        'lat_bucket{path="/a",le="0.5"} 3',
        'lat_bucket{path="/a",le="+Inf"} 4',
        'lat_sum{path="/a"} 1.5',
        'lat_count{path="/a"} 4',
        '# TYPE s summary',
        's{quantile="0.9"} 0.2',
        's_count 7',
        'temp -Inf',
        'odd NaN',
      ].join('\n'),
    );
    const byKey = new Map(samples.map((s) => [seriesKey(s.name, s.labels), s.value]));
    expect(byKey.get('lat_bucket{le="+Inf",path="/a"}')).toBe(4);
    expect(byKey.get('lat_bucket{le="0.5",path="/a"}')).toBe(3);
    expect(byKey.get('lat_count{path="/a"}')).toBe(4);
    expect(byKey.get('s{quantile="0.9"}')).toBe(0.2);
    expect(byKey.get('temp{}')).toBe(-INF);
    expect(byKey.get('odd{}')).toBeNaN();
    expect(sampleValue('+Inf')).toBe(INF);
  });
});

describe('rate', () => {
  const page = (ok: number, errors: number) =>
    `# TYPE http_requests_total counter\nhttp_requests_total{code="200"} ${ok}\nhttp_requests_total{code="500"} ${errors}\n`;

  it('has no value on the first scrape and the per-second increase on the next', () => {
    const { first, second } = twoScrapes({ rate: 'http_requests_total' }, page(100, 10), page(160, 40));
    expect(first).toEqual({ rule: 'R', missing: 'first scrape: a rate needs a previous one' });
    expect(second?.value).toBeCloseTo((60 + 30) / 60, 10);
  });

  it('treats a counter that went down as reset: the new value is the increase', () => {
    // 200s: 100 → 160 (+60); 500s restarted: 10 → 4 (+4)
    const { second } = twoScrapes({ rate: 'http_requests_total' }, page(100, 10), page(160, 4), 32);
    expect(second?.value).toBeCloseTo(64 / 32, 10);
  });

  it('sums only the series whose labels match, with regex and negative matchers', () => {
    const five = { rate: { metric: 'http_requests_total', labels: { code: '5..' } } };
    const notFive = { rate: { metric: 'http_requests_total', labels: { code: { not: '5..' } } } };
    expect(twoScrapes(five, page(100, 10), page(160, 40)).second?.value).toBeCloseTo(0.5, 10);
    expect(twoScrapes(notFive, page(100, 10), page(160, 40)).second?.value).toBeCloseTo(1, 10);
    // anchored like PromQL: "5" does not match "500"
    const partial = { rate: { metric: 'http_requests_total', labels: { code: '5' } } };
    expect(twoScrapes(partial, page(100, 10), page(160, 40)).second?.missing).toBe(
      'no series http_requests_total',
    );
  });

  it('ignores a series seen in only one of the two scrapes; none in both is no value', () => {
    const before = 'jobs_total{queue="a"} 5\n';
    const after = 'jobs_total{queue="a"} 8\njobs_total{queue="b"} 1000\n';
    expect(twoScrapes({ rate: 'jobs_total' }, before, after, 3).second?.value).toBeCloseTo(1, 10);
    const gone = twoScrapes({ rate: 'jobs_total' }, before, 'other_total 1\n');
    expect(gone.second).toEqual({ rule: 'R', missing: 'no series jobs_total' });
    const renamed = twoScrapes({ rate: 'jobs_total' }, before, 'jobs_total{queue="c"} 3\n');
    expect(renamed.second?.missing).toBe('no series jobs_total in the previous scrape');
  });

  it('keeps only the counters the rules read', () => {
    const { state } = twoScrapes(
      { rate: { metric: 'http_requests_total', labels: { code: '5..' } } },
      page(1, 1),
      `${page(2, 2)}unrelated_total 5\nsome_gauge 3\n`,
    );
    expect(state.series).toEqual({ 'http_requests_total{code="500"}': 2 });
  });

  it('does not use a previous scrape that is too old or not older than now', () => {
    const rules = [rule({ expr: { rate: 'c_total' } })];
    const old: ScrapeState = { scrapedAtMs: T0 - MAX_PREVIOUS_AGE_MS - 1, series: { 'c_total{}': 1 } };
    expect(evaluateRules(rules, parseSamples('c_total 5'), old, T0).values[0]?.missing).toMatch(
      /first scrape/,
    );
    const same: ScrapeState = { scrapedAtMs: T0, series: { 'c_total{}': 1 } };
    expect(evaluateRules(rules, parseSamples('c_total 5'), same, T0).values[0]?.missing).toMatch(
      /first scrape/,
    );
  });
});

describe('quantile over bucket increments', () => {
  const histogram = (counts: number[], extra = '') =>
    ['0.1', '0.25', '0.5', '1', '+Inf']
      .map((le, i) => `http_request_duration_seconds_bucket{route="/api",le="${le}"${extra}} ${counts[i]}`)
      .join('\n');

  it('computes the quantile of the observations between the scrapes', () => {
    // increments: 10, 30, 80, 95, 100 — the buckets of the histogramQuantile table above
    const expr = { quantile: { q: 0.95, histogram: 'http_request_duration_seconds' } };
    const { first, second } = twoScrapes(
      expr,
      histogram([5, 10, 20, 25, 30]),
      histogram([15, 40, 100, 120, 130]),
    );
    expect(first?.value).toBeUndefined();
    expect(second?.value).toBeCloseTo(1, 10);
    const p50 = twoScrapes(
      { quantile: { q: 0.5, histogram: 'http_request_duration_seconds' } },
      histogram([5, 10, 20, 25, 30]),
      histogram([15, 40, 100, 120, 130]),
    );
    expect(p50.second?.value).toBeCloseTo(0.35, 10);
  });

  it('sums buckets by le across matching series and handles a reset series', () => {
    const expr = {
      quantile: { q: 0.5, histogram: { metric: 'http_request_duration_seconds', labels: { route: '/api' } } },
    };
    // two instances; the second restarted (its counts went down: the new values are the increase)
    const before = `${histogram([0, 0, 0, 0, 0], ',pod="a"')}\n${histogram([100, 100, 100, 100, 100], ',pod="b"')}`;
    const after = `${histogram([10, 10, 10, 10, 10], ',pod="a"')}\n${histogram([0, 20, 70, 85, 90], ',pod="b"')}`;
    // increments summed: 10, 30, 80, 95, 100 → p50 = 0.35
    expect(twoScrapes(expr, before, after).second?.value).toBeCloseTo(0.35, 10);
  });

  it('has no value when nothing was observed in between', () => {
    const same = histogram([5, 10, 20, 25, 30]);
    const { second } = twoScrapes(
      { quantile: { q: 0.9, histogram: 'http_request_duration_seconds' } },
      same,
      same,
    );
    expect(second?.missing).toBe(
      'no observations in http_request_duration_seconds since the previous scrape',
    );
  });
});

describe('gauge, sum and ratio', () => {
  it('sums a gauge over matching series, without a previous scrape', () => {
    const rules = [
      rule({ expr: { gauge: { metric: 'db_connections_active', labels: { pool: 'main|replica' } } } }),
    ];
    const page =
      'db_connections_active{pool="main"} 3\ndb_connections_active{pool="replica"} 2\ndb_connections_active{pool="batch"} 40\n';
    expect(evaluateRules(rules, parseSamples(page), undefined, T0).values[0]?.value).toBe(5);
  });

  it('divides the error rate by the request rate, with no value while the denominator is 0', () => {
    const expr = {
      ratio: {
        numerator: { rate: 'http_errors_total' },
        denominator: { rate: 'http_requests_total' },
      },
    };
    const page = (errors: number, requests: number) =>
      `http_errors_total ${errors}\nhttp_requests_total ${requests}\n`;
    expect(twoScrapes(expr, page(0, 100), page(30, 200)).second?.value).toBeCloseTo(0.3, 10);
    expect(twoScrapes(expr, page(5, 100), page(5, 100)).second?.missing).toBe('the denominator is 0');
  });

  it('adds terms; a sum with a term without value has no value', () => {
    const expr = { sum: [{ rate: 'a_total' }, { rate: 'b_total' }] };
    expect(twoScrapes(expr, 'a_total 1\nb_total 1\n', 'a_total 31\nb_total 61\n').second?.value).toBeCloseTo(
      1.5,
      10,
    );
    expect(twoScrapes(expr, 'a_total 1\n', 'a_total 31\n').second?.missing).toBe('no series b_total');
  });

  it('puts a sum in a ratio', () => {
    const expr = {
      ratio: {
        numerator: { sum: [{ rate: 'timeouts_total' }, { rate: 'errors_total' }] },
        denominator: { rate: 'requests_total' },
      },
    };
    const page = (t: number, e: number, r: number) =>
      `timeouts_total ${t}\nerrors_total ${e}\nrequests_total ${r}\n`;
    expect(twoScrapes(expr, page(0, 0, 0), page(5, 15, 100)).second?.value).toBeCloseTo(0.2, 10);
  });
});
