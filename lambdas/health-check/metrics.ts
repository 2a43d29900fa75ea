/**
 * The metric contract of the health-check job (DESIGN rule 11): metric names and their one dimension
 * set. The core and the checks write them; the HealthChecks construct's alarms and dashboard read them.
 * test/lib/app/metric-contract.int.test.ts runs both sides.
 */
import type { EffectiveHealthTarget } from '../../lib/config/resolved';
export const HealthMetric = {
  Up: 'Up',
  LatencyMs: 'LatencyMs',
  TlsDaysLeft: 'TlsDaysLeft',
  ConnectionsPercent: 'ConnectionsPercent',
  ReplicationLagSeconds: 'ReplicationLagSeconds',
  MemoryPercent: 'MemoryPercent',
  /** A prometheus target's rule value: one metric per rule, dimensions ruleDimensions. */
  RuleValue: 'RuleValue',
} as const;

export type HealthMetricName = (typeof HealthMetric)[keyof typeof HealthMetric];

/**
 * Which values a check sends (the schedule input's `metricsSent`, written by the HealthChecks construct):
 * - `breaches`: only a value its alarm would count as breaching: Up 0, LatencyMs above maxLatency, a
 *   percentage above its limit. A passing check sends nothing, and CloudWatch bills a custom metric only
 *   for the hours it is sent in, so a healthy target costs nothing. The alarms treat missing data as
 *   not breaching, so they fire and clear exactly as on the full series; a checker that stops running
 *   is the job's `-failed` page ("did not run"), as before. The default without a dashboard.
 * - `all`: every value, every check (the dashboard graphs them). Also what a run without the field does.
 */
export type MetricsSent = 'all' | 'breaches';

/** The alarm condition of a health metric, for a target: the construct's alarms and the core both read it. */
export interface HealthAlarmCondition {
  readonly threshold: number;
  /** `lt`: breaching below the threshold (Up); `gt`: above it. */
  readonly comparison: 'lt' | 'gt';
}

/** The condition of the alarm on `metric` for this target, or undefined if no alarm reads it. */
export function healthAlarmCondition(
  t: EffectiveHealthTarget,
  metric: string,
): HealthAlarmCondition | undefined {
  const above = (threshold: number | undefined): HealthAlarmCondition | undefined =>
    threshold === undefined ? undefined : { threshold, comparison: 'gt' };
  switch (metric) {
    case HealthMetric.Up:
      return { threshold: 1, comparison: 'lt' };
    case HealthMetric.LatencyMs:
      return above(t.maxLatencyMs);
    case HealthMetric.ConnectionsPercent:
      return above(t.target.postgres?.maxConnectionsPercent ?? t.target.mongodb?.maxConnectionsPercent);
    case HealthMetric.ReplicationLagSeconds:
      return above(t.target.postgres?.replicationLagSeconds);
    case HealthMetric.MemoryPercent:
      return above(t.target.redis?.maxMemoryPercent);
    default:
      return undefined;
  }
}

/** Whether a value breaches its alarm's condition (what `breaches` mode sends). */
export function breaches(condition: HealthAlarmCondition, value: number): boolean {
  return condition.comparison === 'lt' ? value < condition.threshold : value > condition.threshold;
}

/**
 * Metrics sent only when breaching in `breaches` mode: the pricing counts them at the hours of the
 * assumed alarm episodes, not every hour.
 */
export const BREACH_ONLY_HEALTH_METRICS: ReadonlySet<string> = new Set([
  HealthMetric.Up,
  HealthMetric.LatencyMs,
  HealthMetric.ConnectionsPercent,
  HealthMetric.ReplicationLagSeconds,
  HealthMetric.MemoryPercent,
]);

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Metrics that change about once a day (days left of a certificate). CloudWatch bills a custom metric
 * for every hour it is sent in, so these are sent only by the checks of one window a day: 1/24 of the
 * price of sending them every minute.
 */
export const DAILY_HEALTH_METRICS: ReadonlySet<string> = new Set([HealthMetric.TlsDaysLeft]);

/**
 * Whether a check at `time`, on a schedule that runs every `periodMs`, sends the daily metrics: it does
 * when it runs within the first max(1 h, period) of the UTC day, so exactly one window a day holds them
 * whatever the schedule, with no state across cold starts. A check whose period is unknown (a local run)
 * sends them every time.
 */
export function sendsDailyMetrics(time: Date, periodMs: number | undefined): boolean {
  if (periodMs === undefined) return true;
  return time.getTime() % DAY_MS < dailyWindowMs(periodMs);
}

/** The daily metrics' window from UTC midnight for a schedule period; also the TLS alarms' period. */
export function dailyWindowMs(periodMs: number): number {
  return Math.max(HOUR_MS, periodMs);
}

const MINUTE_MS = 60_000;

/**
 * Sub-minute targets (interval under a minute, lib/config SUB_MINUTE_INTERVALS_MS) are checked several
 * times per run and send every metric at high resolution (EMF StorageResolution 1), stamped with the
 * check's slot; their down alarm reads Up over periods of HIGH_RESOLUTION_PERIOD_S. A standard-resolution
 * metric has one datapoint a minute: a 10 s period alarm on it sees 5 empty periods of 6 and never
 * holds N breaching ones in a row, so the writer and the reader both decide by `isSubMinute`.
 */
export const HIGH_RESOLUTION_PERIOD_S = 10;

/** Whether a target with this interval is checked several times a run, at high resolution. */
export function isSubMinute(intervalMs: number | undefined): intervalMs is number {
  return intervalMs !== undefined && intervalMs < MINUTE_MS;
}

/** The EMF StorageResolution (seconds) of a target's metrics. */
export function storageResolution(intervalMs: number | undefined): 1 | 60 {
  return isSubMinute(intervalMs) ? 1 : 60;
}

/**
 * The slots (epoch ms) a run checks a sub-minute target at: one every `intervalMs` for a minute from the
 * time the schedule fired for (`scheduledAt`, EventBridge Scheduler's scheduled time), so runs a minute
 * apart neither skip nor repeat a slot however late each starts. Without it (a manual run) the minute
 * starts at the multiple of the interval nearest to `now`.
 */
export function minuteSlots(now: number, intervalMs: number, scheduledAt?: number): number[] {
  const first = scheduledAt ?? Math.round(now / intervalMs) * intervalMs;
  return Array.from({ length: Math.round(MINUTE_MS / intervalMs) }, (_, i) => first + i * intervalMs);
}

/** What EventBridge Scheduler replaces with the time a schedule fired for, in a schedule's input. */
export const SCHEDULED_TIME = '<aws.scheduler.scheduled-time>';

/**
 * Periods of HIGH_RESOLUTION_PERIOD_S the down alarm of a sub-minute target needs breaching (M = N): the
 * alarm reads FILL(Up, REPEAT), so each period holds the latest check's outcome. `downFor` is a whole
 * number k of intervals: k failed checks in a row. The k-th failed check lands (k - 1) intervals after
 * the first, in the same period or a later one; counting periods from the first failed one, its period
 * is at most ceil((downFor - interval) / period) later. The alarm fires when that period completes,
 * within downFor + one period of the target going down (downFor 30s: ≤ 40 s), and never on fewer than
 * k failed checks.
 */
export function downPeriods(downForMs: number, intervalMs: number): number {
  const periodMs = HIGH_RESOLUTION_PERIOD_S * 1000;
  return Math.ceil((downForMs - intervalMs) / periodMs) + 1;
}

/** Every health metric has exactly these dimensions. */
export function healthDimensions(project: string, target: string): { Project: string; Target: string } {
  return { Project: project, Target: target };
}

/** A prometheus rule's value (HealthMetric.RuleValue) has exactly these dimensions: the target's plus Rule. */
export function ruleDimensions(
  project: string,
  target: string,
  rule: string,
): { Project: string; Target: string; Rule: string } {
  return { ...healthDimensions(project, target), Rule: rule };
}
