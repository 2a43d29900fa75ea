/**
 * What every check kind receives and returns. A check either returns an outcome (up or down with a
 * reason) or throws; the core turns anything thrown into a human reason (see reasons.ts).
 */
import type { SecretsReader } from '../../shared/connections';
import type { MetricUnit } from '../../shared/metrics';
import type { HealthMetricName } from '../metrics';
import type { ScrapeStateStore } from '../prometheus/state';

export interface CheckContext {
  readonly secrets: SecretsReader;
  /** Aborted when the target's timeout elapses: checks stop their sockets on it. */
  readonly signal: AbortSignal;
  /** The target's timeout; clients get it as their connect/command timeout too. */
  readonly timeoutMs: number;
  /** Latency above which the target is reported slow (a warning, and the latency alarm). */
  readonly maxLatencyMs?: number | undefined;
  readonly now: () => Date;
  /**
   * Secret values resolved for this check. Checks push every value they read; everything the check
   * produces (reason, detail, warnings) is redacted with them.
   */
  readonly known: string[];
  /** Extra trusted CA certificates (PEM) for https checks, in addition to Node's bundle. */
  readonly trustedCa?: readonly string[] | undefined;
  /** Where prometheus targets keep their previous scrape. @default this process's memory */
  readonly scrapeState?: ScrapeStateStore | undefined;
}

export interface CheckMetric {
  readonly name: HealthMetricName;
  readonly unit: MetricUnit;
  readonly value: number;
  /** A prometheus rule's value: sent with the Rule dimension (metrics.ts ruleDimensions). */
  readonly rule?: string | undefined;
}

export interface CheckOutcome {
  readonly up: boolean;
  /** Time the check took to get its answer, when it got one. */
  readonly latencyMs?: number | undefined;
  /** Why the target is down: short, human, no stack trace, no secret. */
  readonly reason?: string | undefined;
  /** What was observed, e.g. "200 OK, 1.2 kB" or "12/100 connections". */
  readonly detail: string;
  /** Up but worth a look: slow, certificate expiring, connections high. */
  readonly warnings: string[];
  /** Kind-specific metrics (Up and LatencyMs are added by the core). */
  readonly metrics: CheckMetric[];
}

/**
 * The outcome of a check that got an answer: up when nothing failed, the failures joined as the reason.
 * `detail` is what was observed ("200 OK, 1.2 kB", "postgres db:5432/app, 12/100 connections").
 */
export function answered(found: {
  readonly latencyMs: number;
  readonly detail: string;
  readonly failures: readonly string[];
  readonly warnings: string[];
  readonly metrics: CheckMetric[];
}): CheckOutcome {
  const { latencyMs, detail, failures, warnings, metrics } = found;
  return {
    up: failures.length === 0,
    latencyMs,
    reason: failures.length ? failures.join('; ') : undefined,
    detail,
    warnings,
    metrics,
  };
}

/** A failure whose message is already a reason a person understands. */
export class CheckFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckFailed';
  }
}

/** Thrown (as the abort reason) when a target's timeout elapses. */
export class CheckTimedOut extends Error {
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
    this.name = 'CheckTimedOut';
  }
}

/** Milliseconds since `start` (a performance.now() value), rounded to 0.1 ms. */
export function elapsedMs(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}

/** Percent rounded to one decimal. */
export function percent(part: number, whole: number): number {
  return whole > 0 ? Math.round((part / whole) * 1000) / 10 : 0;
}
