/**
 * The health-check job core: checks every target concurrently (bounded), each under a hard timeout,
 * emits Up/LatencyMs and the kind's metrics per target, and logs one summary line. A failing, slow or
 * hanging target never fails the run and never delays the others beyond its own timeout.
 * Sub-minute targets (interval 10s–30s) in a scheduled run are checked at every slot of the run's minute
 * (metrics.ts minuteSlots), each target on its own clock, at high resolution stamped with the slot.
 * The Lambda handler and `nightshift check` / `nightshift run` call `run` with their own deps.
 */
import type { EffectiveHealthTarget } from '../../lib/config/resolved';
import type { HealthKind } from '../../lib/config/schema';
import type { SecretsReader } from '../shared/connections';
import type { Log } from '../shared/log';
import type { MetricsSink, MetricUnit } from '../shared/metrics';
import { redact } from '../shared/redact';
import { checkHttp } from './checks/http';
import { checkMongo } from './checks/mongodb';
import { checkPostgres } from './checks/postgres';
import { checkPrometheus } from './checks/prometheus';
import { reasonFor } from './checks/reasons';
import { checkRedis } from './checks/redis';
import { checkTcp } from './checks/tcp';
import { type CheckContext, type CheckOutcome, CheckTimedOut } from './checks/types';
import {
  breaches,
  DAILY_HEALTH_METRICS,
  HealthMetric,
  healthAlarmCondition,
  healthDimensions,
  isSubMinute,
  type MetricsSent,
  minuteSlots,
  ruleDimensions,
  sendsDailyMetrics,
  storageResolution,
} from './metrics';
import type { ScrapeStateStore } from './prometheus/state';

/**
 * Targets checked at once when the input does not say (same as the schema's healthChecks.concurrency
 * default). Chosen with bench/health-checks.ts: 500 targets answering in 200 ms plus 20 that never
 * answer (2 s timeout, started last) take 2.75× the timeout at 32, 1.95× at 64, 1.44× at 128 and 1.3× at
 * 256. Checks are I/O-bound; 128 keeps the goal (≤ 1.5×) with sockets well under Lambda's 1024 fds.
 */
export const DEFAULT_CONCURRENCY = 128;

export interface HealthCheckDeps {
  /** Project name: the Project dimension of every metric. */
  readonly project: string;
  readonly secrets: SecretsReader;
  readonly metrics: MetricsSink;
  readonly log: Log;
  readonly now: () => Date;
  /** Extra trusted CA certificates (PEM) for https checks, e.g. a private CA. */
  readonly trustedCa?: readonly string[] | undefined;
  /** Waits until the next slot of a sub-minute target. @default setTimeout */
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
  /** Where prometheus targets keep their previous scrape (DynamoDB in Lambda). @default this process */
  readonly scrapeState?: ScrapeStateStore | undefined;
}

export interface HealthCheckInput {
  /** Targets with their defaults applied (lib/config effectiveHealthTargets). */
  readonly targets: readonly EffectiveHealthTarget[];
  /** Targets checked at once. @default DEFAULT_CONCURRENCY */
  readonly concurrency?: number | undefined;
  /** Check only these target names; an unknown name is an error. */
  readonly onlyTargets?: readonly string[] | undefined;
  /**
   * Check only the targets of one schedule: 'default' for targets without an interval, or an interval
   * in ms. @default every target
   */
  readonly interval?: 'default' | number | undefined;
  /**
   * The schedule's period: the daily metrics (TlsDaysLeft) are sent only by the checks in the first
   * window of each UTC day (sendsDailyMetrics). @default unknown: every check sends them
   */
  readonly periodMs?: number | undefined;
  /**
   * Check sub-minute targets at every slot of the coming minute (a scheduled run, which comes once a
   * minute). @default false: every target once, now (`nightshift check`, a manual invocation)
   */
  readonly repeat?: boolean | undefined;
  /** When the schedule fired for (epoch ms): a repeating run's slots start there (minuteSlots). */
  readonly scheduledAt?: number | undefined;
  /** `breaches`: send only values their alarm counts as breaching (see MetricsSent). @default 'all' */
  readonly metricsSent?: MetricsSent | undefined;
}

export interface TargetResult {
  readonly target: string;
  readonly kind: HealthKind;
  readonly up: boolean;
  readonly latencyMs?: number | undefined;
  readonly reason?: string | undefined;
  readonly detail: string;
  readonly warnings: readonly string[];
  /** Every metric emitted for the target, by name (Up, LatencyMs, TlsDaysLeft, …; RuleValue:<rule>). */
  readonly metrics: Readonly<Record<string, number>>;
  /**
   * A sub-minute target in a repeating run: its checks in the run and how many failed. The result is
   * that of the first failed check, or of the last check when none failed.
   */
  readonly checks?: { readonly total: number; readonly failed: number } | undefined;
}

export interface HealthRunResult {
  readonly startedAt: string;
  readonly durationMs: number;
  readonly up: number;
  readonly down: number;
  readonly results: readonly TargetResult[];
}

/** `--target` or the event named a target the config does not have. */
export class UnknownTarget extends Error {
  constructor(
    readonly names: readonly string[],
    readonly known: readonly string[],
  ) {
    super(
      `no health check target named ${names.map((n) => JSON.stringify(n)).join(', ')} — configured targets: ${
        known.length ? known.join(', ') : '(none)'
      }`,
    );
    this.name = 'UnknownTarget';
  }
}

type Checker = (target: EffectiveHealthTarget, ctx: CheckContext) => Promise<CheckOutcome>;

const CHECKERS: Record<HealthKind, Checker> = {
  http: (t, ctx) => checkHttp(t.target.http!, ctx),
  tcp: (t, ctx) => checkTcp(t.target.tcp!, ctx),
  postgres: (t, ctx) => checkPostgres(t.target.postgres!, ctx),
  mongodb: (t, ctx) => checkMongo(t.target.mongodb!, ctx),
  redis: (t, ctx) => checkRedis(t.target.redis!, ctx),
  prometheus: (t, ctx) => checkPrometheus(t.target.prometheus!, t.target.name, ctx),
};

/** The targets a run checks, after the name and interval filters. */
export function selectTargets(input: HealthCheckInput): EffectiveHealthTarget[] {
  let targets = [...input.targets];
  if (input.onlyTargets?.length) {
    const names = new Set(targets.map((t) => t.target.name));
    const unknown = input.onlyTargets.filter((name) => !names.has(name));
    if (unknown.length) throw new UnknownTarget(unknown, [...names]);
    const wanted = new Set(input.onlyTargets);
    targets = targets.filter((t) => wanted.has(t.target.name));
  }
  if (input.interval === 'default') targets = targets.filter((t) => t.intervalMs === undefined);
  else if (typeof input.interval === 'number')
    targets = targets.filter((t) => t.intervalMs === input.interval);
  return targets;
}

export async function run(deps: HealthCheckDeps, input: HealthCheckInput): Promise<HealthRunResult> {
  const targets = selectTargets(input);
  const startedAt = deps.now();
  const start = performance.now();
  const concurrency = Math.max(1, input.concurrency ?? DEFAULT_CONCURRENCY);
  const daily = sendsDailyMetrics(startedAt, input.periodMs);
  const repeating = input.repeat ? targets.filter((t) => isSubMinute(t.intervalMs)) : [];
  const once = targets.filter((t) => !repeating.includes(t));
  // One limit for every check in flight. A repeating target holds no slot between its checks, so one
  // that never answers costs its own timeout per slot and never moves another target's offsets.
  const limit = semaphore(concurrency);
  const checkLimited = (target: EffectiveHealthTarget, slot?: number) =>
    limit(() => checkOne(deps, target, daily, slot, input.metricsSent));
  const [onceResults, repeatedResults] = await Promise.all([
    mapLimit(once, concurrency, (target) => checkLimited(target)),
    Promise.all(repeating.map((target) => checkEverySlot(deps, target, input.scheduledAt, checkLimited))),
  ]);
  // results in the targets' order, whichever way each was checked
  const byTarget = new Map<EffectiveHealthTarget, TargetResult>([
    ...once.map((t, i) => [t, onceResults[i] as TargetResult] as const),
    ...repeating.map((t, i) => [t, repeatedResults[i] as TargetResult] as const),
  ]);
  const results = targets.map((t) => byTarget.get(t) as TargetResult);
  const durationMs = Math.round(performance.now() - start);
  const down = results.filter((r) => !r.up);
  const summary: HealthRunResult = {
    startedAt: startedAt.toISOString(),
    durationMs,
    up: results.length - down.length,
    down: down.length,
    results,
  };
  const warned = results.filter((r) => r.warnings.length > 0);
  deps.log.info('health check run', {
    targets: results.length,
    up: summary.up,
    down: summary.down,
    durationMs,
    concurrency,
    downTargets: down.map((r) => ({
      target: r.target,
      kind: r.kind,
      reason: r.reason,
      ...(r.checks ? { failedChecks: `${r.checks.failed} of ${r.checks.total}` } : {}),
    })),
    ...(warned.length ? { warnings: warned.map((r) => ({ target: r.target, warnings: r.warnings })) } : {}),
  });
  return summary;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Checks a sub-minute target at each slot of the minute, waiting for each slot on the deps' clock; a
 * slot already past (a late run, or a check that overran) is checked at once.
 */
async function checkEverySlot(
  deps: HealthCheckDeps,
  target: EffectiveHealthTarget,
  scheduledAt: number | undefined,
  check: (target: EffectiveHealthTarget, slot: number) => Promise<TargetResult>,
): Promise<TargetResult> {
  const sleep = deps.sleep ?? realSleep;
  const slots = minuteSlots(deps.now().getTime(), target.intervalMs as number, scheduledAt);
  let firstFailed: TargetResult | undefined;
  let last: TargetResult | undefined;
  let failed = 0;
  for (const slot of slots) {
    const wait = slot - deps.now().getTime();
    if (wait > 0) await sleep(wait);
    last = await check(target, slot);
    if (!last.up) {
      failed++;
      firstFailed ??= last;
    }
  }
  return { ...((firstFailed ?? last) as TargetResult), checks: { total: slots.length, failed } };
}

/** At most `limit` calls of the returned function run at once; the others wait in order. */
function semaphore(limit: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/**
 * Checks one target under its hard timeout; never throws. Without `sendDaily` the daily metrics stay
 * in the result (and the run's log line) but are not sent; with `sent` = 'breaches' neither are values
 * their alarm would not count as breaching — except for sub-minute targets, whose alarms repeat the
 * last value into the periods between checks (FILL REPEAT) and so need every value. A sub-minute
 * target's metrics are sent at high resolution, stamped with `slot` when given (the time it was due).
 */
export async function checkOne(
  deps: HealthCheckDeps,
  target: EffectiveHealthTarget,
  sendDaily = true,
  slot?: number,
  sentOption: MetricsSent = 'all',
): Promise<TargetResult> {
  const name = target.target.name;
  const known: string[] = [];
  const started = performance.now();
  let outcome = await attempt(deps, target, known, target.timeoutMs);
  // a refused login may be a rotated secret still cached in this container: read it again, once,
  // within what is left of the target's timeout
  const refs = secretRefs(target);
  const left = target.timeoutMs - (performance.now() - started);
  if (
    !outcome.up &&
    left > 0 &&
    refs.length > 0 &&
    deps.secrets.forget &&
    AUTH_REFUSED.test(outcome.reason ?? '')
  ) {
    for (const ref of refs) deps.secrets.forget(ref);
    outcome = await attempt(deps, target, known, left);
  }

  const warnings = [...outcome.warnings];
  if (
    outcome.up &&
    outcome.latencyMs !== undefined &&
    target.maxLatencyMs !== undefined &&
    outcome.latencyMs > target.maxLatencyMs
  ) {
    warnings.unshift(`slow: ${Math.round(outcome.latencyMs)} ms, above ${target.maxLatencyMs} ms`);
  }
  const metrics: Record<string, number> = { [HealthMetric.Up]: outcome.up ? 1 : 0 };
  const dimensions = healthDimensions(deps.project, name);
  // targets checked every minute or less often send exactly what they always did (no options)
  const subMinute = isSubMinute(target.intervalMs);
  const options = subMinute
    ? { resolution: storageResolution(target.intervalMs), timestamp: slot ?? deps.now().getTime() }
    : undefined;
  const sent: MetricsSent = subMinute ? 'all' : sentOption;
  const send = (metric: string, unit: MetricUnit, value: number) => {
    if (sent === 'breaches') {
      const condition = healthAlarmCondition(target, metric);
      if (condition && !breaches(condition, value)) return;
    }
    deps.metrics.put(metric, unit, value, dimensions, options);
  };
  send(HealthMetric.Up, 'Count', outcome.up ? 1 : 0);
  if (outcome.latencyMs !== undefined) {
    metrics[HealthMetric.LatencyMs] = outcome.latencyMs;
    // sent only where the latency alarm (and its graph) reads it: opt-in with maxLatency
    if (target.maxLatencyMs !== undefined) send(HealthMetric.LatencyMs, 'Milliseconds', outcome.latencyMs);
  }
  for (const metric of outcome.metrics) {
    if (metric.rule !== undefined) {
      metrics[`${metric.name}:${metric.rule}`] = metric.value;
      deps.metrics.put(
        metric.name,
        metric.unit,
        metric.value,
        ruleDimensions(deps.project, name, metric.rule),
      );
      continue;
    }
    metrics[metric.name] = metric.value;
    if (sendDaily || !DAILY_HEALTH_METRICS.has(metric.name)) send(metric.name, metric.unit, metric.value);
  }
  return {
    target: name,
    kind: target.kind,
    up: outcome.up,
    latencyMs: outcome.latencyMs,
    reason: outcome.reason === undefined ? undefined : redact(outcome.reason, known),
    detail: redact(outcome.detail, known),
    warnings: warnings.map((w) => redact(w, known)),
    metrics,
  };
}

/** A login the server refused (PostgreSQL, MongoDB, Redis) or an HTTP 401: the credentials are wrong. */
const AUTH_REFUSED =
  /password authentication failed|authentication failed|WRONGPASS|NOAUTH|invalid password|\b401\b/i;

/** The secret references a target reads (its connection secret and secret header values). */
function secretRefs(target: EffectiveHealthTarget): string[] {
  const { postgres, mongodb, redis, http } = target.target;
  const refs = [postgres?.secret, mongodb?.secret, redis?.secret];
  for (const value of Object.values(http?.headers ?? {}))
    if (typeof value !== 'string') refs.push(value.secret);
  return refs.filter((ref): ref is string => typeof ref === 'string');
}

/** One check of the target under its hard timeout; never throws. */
async function attempt(
  deps: HealthCheckDeps,
  target: EffectiveHealthTarget,
  known: string[],
  timeoutMs: number,
): Promise<CheckOutcome> {
  const controller = new AbortController();
  const ctx: CheckContext = {
    secrets: deps.secrets,
    signal: controller.signal,
    timeoutMs,
    maxLatencyMs: target.maxLatencyMs,
    now: deps.now,
    known,
    trustedCa: deps.trustedCa,
    scrapeState: deps.scrapeState,
  };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const timedOut = new CheckTimedOut(timeoutMs);
      controller.abort(timedOut);
      reject(timedOut);
    }, timeoutMs);
  });
  let outcome: CheckOutcome;
  try {
    outcome = await Promise.race([CHECKERS[target.kind](target, ctx), deadline]);
  } catch (error) {
    outcome = {
      up: false,
      reason: reasonFor(error, timeoutMs, known),
      detail: '',
      warnings: [],
      metrics: [],
    };
  } finally {
    clearTimeout(timer);
    // whatever the check left open (a hung socket, a pool) is closed now
    if (!controller.signal.aborted) controller.abort(new Error('check finished'));
  }

  return outcome;
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping the order of results. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
