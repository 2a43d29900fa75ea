/**
 * Evaluates a prometheus target's rules (lib/config/prometheus.ts) over one scrape and the previous one.
 * Pure: samples and the previous scrape's counters in; a value (or none, with why) per rule and the
 * counters to keep for the next scrape out.
 *
 * Semantics follow PromQL where they overlap:
 * - rate: per series, the increase between the two scrapes divided by the time between them; a value
 *   lower than before is a counter reset and the new value is the increase. Series present in only one
 *   of the two scrapes contribute nothing; with no series in both, the rule has no value.
 * - quantile: histogram_quantile (linear interpolation within the bucket; the +Inf bucket answers with
 *   the highest finite bound) over the buckets' increase between the scrapes, summed by `le` across the
 *   matching series. No observations in between: no value.
 * - gauge: the sum of the matching series' current values.
 * - sum / ratio: no value when a part has none (like vector arithmetic on an empty vector); a ratio
 *   with a 0 denominator has no value (PromQL gives NaN, which no alarm can compare).
 */
import type { PrometheusRule, RuleExpr, Selector, SumExpr, TermExpr } from '../../../lib/config/prometheus';
import { compileSelector, type Sample, seriesKey } from './samples';

/** What is kept of a scrape until the next one: the counters the rules' rate and quantile terms read. */
export interface ScrapeState {
  /** When the scrape was taken (ms since the epoch). */
  readonly scrapedAtMs: number;
  /** Series key (samples.ts seriesKey) → value. */
  readonly series: Readonly<Record<string, number>>;
}

/** A previous scrape older than this is not used for rates (a long gap, then a fresh start). */
export const MAX_PREVIOUS_AGE_MS = 2 * 24 * 3_600_000;

export interface RuleValue {
  readonly rule: string;
  /** Undefined: the rule has no value this time (nothing is sent; see `missing`). */
  readonly value?: number | undefined;
  /** Why there is no value, e.g. "first scrape: a rate needs a previous one". */
  readonly missing?: string | undefined;
}

export interface Evaluation {
  readonly values: RuleValue[];
  /** The counters to keep for the next scrape. */
  readonly state: ScrapeState;
}

class NoValue {
  constructor(readonly why: string) {}
}
type Result = number | NoValue;

interface Context {
  /** Samples by metric name, so a term scans only its own metric's series. */
  readonly byName: ReadonlyMap<string, readonly Sample[]>;
  /** Series keys, computed once per sample. */
  readonly keys: WeakMap<Sample, string>;
  /** Matching series per selector, computed once per evaluation (rules often share selectors). */
  readonly matched: Map<string, { sample: Sample; key: string }[]>;
  readonly previous?: ScrapeState | undefined;
  readonly seconds: number;
  readonly keep: Record<string, number>;
}

export function evaluateRules(
  rules: readonly PrometheusRule[],
  samples: readonly Sample[],
  previous: ScrapeState | undefined,
  nowMs: number,
): Evaluation {
  const age = previous === undefined ? undefined : nowMs - previous.scrapedAtMs;
  const usable = previous !== undefined && age !== undefined && age >= 1000 && age <= MAX_PREVIOUS_AGE_MS;
  const byName = new Map<string, Sample[]>();
  for (const sample of samples) {
    const list = byName.get(sample.name);
    if (list) list.push(sample);
    else byName.set(sample.name, [sample]);
  }
  const ctx: Context = {
    byName,
    keys: new WeakMap(),
    matched: new Map(),
    previous: usable ? previous : undefined,
    seconds: usable ? (age as number) / 1000 : 0,
    keep: {},
  };
  const values = rules.map((rule): RuleValue => {
    const result = expr(rule.expr, ctx);
    if (result instanceof NoValue) return { rule: rule.name, missing: result.why };
    if (!Number.isFinite(result)) return { rule: rule.name, missing: `the value is ${result}` };
    return { rule: rule.name, value: result };
  });
  return { values, state: { scrapedAtMs: nowMs, series: ctx.keep } };
}

function expr(e: RuleExpr, ctx: Context): Result {
  if (e.ratio) {
    const numerator = sum(e.ratio.numerator, ctx);
    const denominator = sum(e.ratio.denominator, ctx);
    if (numerator instanceof NoValue) return numerator;
    if (denominator instanceof NoValue) return denominator;
    if (denominator === 0) return new NoValue('the denominator is 0');
    return numerator / denominator;
  }
  return sum(e as SumExpr, ctx);
}

function sum(e: SumExpr, ctx: Context): Result {
  if (e.sum) {
    // every term is evaluated, so each keeps its counters for the next scrape
    const parts = e.sum.map((t) => term(t, ctx));
    const missing = parts.find((p): p is NoValue => p instanceof NoValue);
    return missing ?? (parts as number[]).reduce((a, b) => a + b, 0);
  }
  return term(e as TermExpr, ctx);
}

function term(t: TermExpr, ctx: Context): Result {
  if (t.gauge !== undefined) return gauge(t.gauge, ctx);
  if (t.rate !== undefined) return rate(t.rate, ctx);
  if (t.quantile) return quantile(t.quantile.q, t.quantile.histogram, ctx);
  return new NoValue('the expression is empty');
}

function matching(selector: Selector, ctx: Context, suffix = ''): { sample: Sample; key: string }[] {
  const id = JSON.stringify([selector, suffix]);
  const cached = ctx.matched.get(id);
  if (cached) return cached;
  const matcher = compileSelector(selector, suffix);
  const found = (ctx.byName.get(matcher.metric) ?? [])
    .filter((s) => matcher.matches(s) && !Number.isNaN(s.value))
    .map((sample) => {
      let key = ctx.keys.get(sample);
      if (key === undefined) {
        key = seriesKey(sample.name, sample.labels);
        ctx.keys.set(sample, key);
      }
      return { sample, key };
    });
  ctx.matched.set(id, found);
  return found;
}

function gauge(selector: Selector, ctx: Context): Result {
  const found = matching(selector, ctx);
  if (found.length === 0) return new NoValue(`no series ${metricOf(selector)}`);
  return found.reduce((total, { sample }) => total + sample.value, 0);
}

/** Increase of one counter series since the previous scrape (reset: the new value), or undefined. */
function increase(key: string, value: number, ctx: Context): number | undefined {
  ctx.keep[key] = value;
  const before = ctx.previous?.series[key];
  if (before === undefined) return undefined;
  return value >= before ? value - before : value;
}

function noPrevious(ctx: Context): NoValue | undefined {
  return ctx.previous ? undefined : new NoValue('first scrape: a rate needs a previous one');
}

function rate(selector: Selector, ctx: Context): Result {
  const found = matching(selector, ctx);
  let total = 0;
  let paired = 0;
  for (const { sample, key } of found) {
    const delta = increase(key, sample.value, ctx);
    if (delta === undefined) continue;
    total += delta;
    paired++;
  }
  const first = noPrevious(ctx);
  if (first) return first;
  if (found.length === 0) return new NoValue(`no series ${metricOf(selector)}`);
  if (paired === 0) return new NoValue(`no series ${metricOf(selector)} in the previous scrape`);
  return total / ctx.seconds;
}

function quantile(q: number, selector: Selector, ctx: Context): Result {
  const found = matching(selector, ctx, '_bucket').filter(({ sample }) => sample.labels.le !== undefined);
  const byBound = new Map<number, number>();
  for (const { sample, key } of found) {
    const delta = increase(key, sample.value, ctx);
    if (delta === undefined) continue;
    const bound = upperBound(sample.labels.le as string);
    if (Number.isNaN(bound)) continue;
    byBound.set(bound, (byBound.get(bound) ?? 0) + delta);
  }
  const first = noPrevious(ctx);
  if (first) return first;
  if (found.length === 0) return new NoValue(`no series ${metricOf(selector)}_bucket`);
  const buckets = [...byBound].map(([upper, count]) => ({ upper, count }));
  const value = histogramQuantile(q, buckets);
  if (Number.isNaN(value)) {
    return new NoValue(
      buckets.length === 0
        ? `no bucket of ${metricOf(selector)} in the previous scrape`
        : `no observations in ${metricOf(selector)} since the previous scrape`,
    );
  }
  return value;
}

function upperBound(le: string): number {
  if (le === '+Inf' || le === 'Inf') return Number.POSITIVE_INFINITY;
  return Number(le);
}

function metricOf(selector: Selector): string {
  return typeof selector === 'string' ? selector : selector.metric;
}

export interface Bucket {
  /** The bucket's upper bound (`le`); +Infinity for the last. */
  readonly upper: number;
  /** Cumulative count: observations ≤ upper. */
  readonly count: number;
}

/**
 * Prometheus' histogram_quantile (promql/quantile.go bucketQuantile) over cumulative buckets: NaN
 * without a +Inf bucket, with fewer than two buckets or no observations; the +Inf bucket answers with
 * the highest finite bound; otherwise linear interpolation inside the bucket the rank falls in, the
 * first bucket starting at 0 (or answering with its bound when that is ≤ 0). Counts that go down from
 * one bucket to the next (scrapes racing observations) are raised to be monotonic, as Prometheus does.
 */
export function histogramQuantile(q: number, input: readonly Bucket[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const buckets = [...input].sort((a, b) => a.upper - b.upper).map((b) => ({ ...b }));
  if (buckets.length < 2) return Number.NaN;
  const last = buckets[buckets.length - 1] as Bucket;
  if (last.upper !== Number.POSITIVE_INFINITY) return Number.NaN;
  for (let i = 1; i < buckets.length; i++) {
    const current = buckets[i] as { upper: number; count: number };
    const before = buckets[i - 1] as Bucket;
    if (current.count < before.count) current.count = before.count;
  }
  const total = (buckets[buckets.length - 1] as Bucket).count;
  if (!(total > 0)) return Number.NaN;
  const rank = q * total;
  // the first bucket (ignoring +Inf) whose cumulative count reaches the rank
  let b = buckets.slice(0, -1).findIndex((bucket) => bucket.count >= rank);
  if (b === -1) b = buckets.length - 1;
  if (b === buckets.length - 1) return (buckets[buckets.length - 2] as Bucket).upper;
  const bucket = buckets[b] as Bucket;
  if (b === 0 && bucket.upper <= 0) return bucket.upper;
  const start = b === 0 ? 0 : (buckets[b - 1] as Bucket).upper;
  const below = b === 0 ? 0 : (buckets[b - 1] as Bucket).count;
  const inBucket = bucket.count - below;
  return start + (bucket.upper - start) * ((rank - below) / inBucket);
}
