/**
 * The health-check job core: checks every target concurrently (bounded), each under a hard timeout,
 * emits Up/LatencyMs and the kind's metrics per target, and logs one summary line. A failing, slow or
 * hanging target never fails the run and never delays the others beyond its own timeout.
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
  type MetricsSent,
  sendsDailyMetrics,
} from './metrics';

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
  /** Every metric emitted for the target, by name (Up, LatencyMs, TlsDaysLeft, …). */
  readonly metrics: Readonly<Record<string, number>>;
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
  const results = await mapLimit(targets, concurrency, (target) =>
    checkOne(deps, target, sendsDailyMetrics(startedAt, input.periodMs), input.metricsSent),
  );
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
    downTargets: down.map((r) => ({ target: r.target, kind: r.kind, reason: r.reason })),
    ...(warned.length ? { warnings: warned.map((r) => ({ target: r.target, warnings: r.warnings })) } : {}),
  });
  return summary;
}

/**
 * Checks one target under its hard timeout; never throws. Without `sendDaily` the daily metrics stay
 * in the result (and the run's log line) but are not sent; with `sent` = 'breaches' neither are values
 * their alarm would not count as breaching.
 */
export async function checkOne(
  deps: HealthCheckDeps,
  target: EffectiveHealthTarget,
  sendDaily = true,
  sent: MetricsSent = 'all',
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
  const send = (metric: string, unit: MetricUnit, value: number) => {
    if (sent === 'breaches') {
      const condition = healthAlarmCondition(target, metric);
      if (condition && !breaches(condition, value)) return;
    }
    deps.metrics.put(metric, unit, value, dimensions);
  };
  send(HealthMetric.Up, 'Count', outcome.up ? 1 : 0);
  if (outcome.latencyMs !== undefined) {
    metrics[HealthMetric.LatencyMs] = outcome.latencyMs;
    // sent only where the latency alarm (and its graph) reads it: opt-in with maxLatency
    if (target.maxLatencyMs !== undefined) send(HealthMetric.LatencyMs, 'Milliseconds', outcome.latencyMs);
  }
  for (const metric of outcome.metrics) {
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
