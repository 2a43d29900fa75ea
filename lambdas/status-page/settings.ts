/**
 * What the status page knows about its targets, written by the StatusPage construct into the function's
 * environment (env.ts) and read by the handler. Internal names stay here: the alarm names map an alarm
 * event to a target; the page itself shows only `title` and each target's `display` name.
 */

/** What an open incident of an alarm means on the page. */
export type IncidentKind = 'down' | 'slow';

export interface StatusTarget {
  /** healthChecks target name: the Up metric's Target dimension and the incident table's key. */
  readonly target: string;
  /** What the page shows: the configured display name, else the target name. */
  readonly display: string;
  /** Schedule period of the target's checks (ms): how old the newest Up datapoint may be. */
  readonly periodMs: number;
  /** Alarm name → what it means: its ALARM opens an incident of that kind, its OK closes it. */
  readonly alarms: Readonly<Record<string, IncidentKind>>;
}

export interface StatusPageSettings {
  readonly project: string;
  readonly title: string;
  /** Served through CloudFront to everyone (Cache-Control public) or privately (AWS_IAM only). */
  readonly public: boolean;
  /** How long one GetMetricData result serves page views (in memory and as Cache-Control max-age). */
  readonly cacheSeconds: number;
  readonly targets: readonly StatusTarget[];
}

/** Days of uptime the page shows. */
export const UPTIME_DAYS = 90;
/** Page views within this many seconds share one GetMetricData call (and CloudFront's cache). */
export const DEFAULT_CACHE_SECONDS = 60;

export function statusTableName(project: string): string {
  return `${project}-nightshift-status`;
}
