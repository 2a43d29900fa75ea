/**
 * The metric contract of the health-check job (DESIGN rule 11): metric names and their one dimension
 * set. The core and the checks write them; the HealthChecks construct's alarms and dashboard read them.
 * test/lib/metric-contract.int.test.ts runs both sides.
 */
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
