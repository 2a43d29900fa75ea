/**
 * Uptime from the health checks' Up metric (lambdas/health-check/metrics.ts: 1 up, 0 down, one
 * datapoint per check, dimensions Project + Target) with one GetMetricData call for every target:
 * daily averages over the last UPTIME_DAYS UTC days (today so far included), and the newest minimum
 * over the last few check periods for the current state. A day without datapoints is "no data", never
 * counted as up or down; the 90-day figure is the mean of the days that have data, and says how many.
 */
import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { HealthMetric, healthDimensions } from '../health-check/metrics';
import { METRICS_NAMESPACE } from '../shared/metrics';
import { type StatusTarget, UPTIME_DAYS } from './settings';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

export interface DayUptime {
  /** UTC date, YYYY-MM-DD. */
  readonly date: string;
  /** Fraction of checks that passed that day, 0–1; null: no checks recorded. */
  readonly uptime: number | null;
}

export interface TargetUptime {
  readonly days: DayUptime[];
  /** Mean of the days with data, 0–1; null when no day has data. */
  readonly uptime: number | null;
  readonly daysWithData: number;
  /** The newest check result within the freshness window: 1 up, 0 down, undefined none. */
  readonly latest?: { readonly value: number; readonly at: string } | undefined;
}

/** How far back the newest datapoint may be and still count as current: 3 periods, at least 15 minutes. */
export function freshnessMs(periodMs: number): number {
  return Math.max(15 * MINUTE_MS, 3 * periodMs);
}

/** GetMetricData's period for the freshness query: the check period in whole minutes, at least 1. */
function recentPeriodSeconds(periodMs: number): number {
  return Math.max(60, Math.ceil(periodMs / MINUTE_MS) * 60);
}

export function dayStart(now: Date, daysAgo: number): Date {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return new Date(midnight - daysAgo * DAY_MS);
}

/** The queries of one GetMetricData call: `d<i>` daily averages and `r<i>` recent minimums per target. */
export function uptimeQueries(project: string, targets: readonly StatusTarget[]): MetricDataQuery[] {
  return targets.flatMap((t, i): MetricDataQuery[] => {
    const metric = {
      Namespace: METRICS_NAMESPACE,
      MetricName: HealthMetric.Up,
      Dimensions: Object.entries(healthDimensions(project, t.target)).map(([Name, Value]) => ({
        Name,
        Value,
      })),
    };
    return [
      { Id: `d${i}`, MetricStat: { Metric: metric, Period: 86_400, Stat: 'Average' }, ReturnData: true },
      {
        Id: `r${i}`,
        MetricStat: { Metric: metric, Period: recentPeriodSeconds(t.periodMs), Stat: 'Minimum' },
        ReturnData: true,
      },
    ];
  });
}

/**
 * Reads the Up metric of every target. The daily query spans UPTIME_DAYS days from UTC midnight; the
 * recent one only the freshness window, so the call returns few datapoints (a time range is per call,
 * hence two calls when the windows differ: they are paginated together by NextToken).
 */
export async function readUptime(
  cloudwatch: Pick<CloudWatchClient, 'send'>,
  project: string,
  targets: readonly StatusTarget[],
  now: Date,
): Promise<Map<string, TargetUptime>> {
  const queries = uptimeQueries(project, targets);
  const start = dayStart(now, UPTIME_DAYS - 1);
  const values = new Map<string, { t: Date; v: number }[]>();
  const collect = async (ids: MetricDataQuery[], from: Date) => {
    let token: string | undefined;
    do {
      const out = await cloudwatch.send(
        new GetMetricDataCommand({
          MetricDataQueries: ids,
          StartTime: from,
          EndTime: now,
          ScanBy: 'TimestampDescending',
          NextToken: token,
        }),
      );
      for (const result of out.MetricDataResults ?? []) {
        const list = values.get(result.Id ?? '') ?? [];
        (result.Timestamps ?? []).forEach((t, j) => {
          const v = result.Values?.[j];
          if (v !== undefined && Number.isFinite(v)) list.push({ t: new Date(t), v });
        });
        values.set(result.Id ?? '', list);
      }
      token = out.NextToken;
    } while (token);
  };
  const longest = Math.max(...targets.map((t) => freshnessMs(t.periodMs)));
  await collect(
    queries.filter((q) => q.Id?.startsWith('d')),
    start,
  );
  await collect(
    queries.filter((q) => q.Id?.startsWith('r')),
    new Date(now.getTime() - longest),
  );

  const result = new Map<string, TargetUptime>();
  targets.forEach((t, i) => {
    const daily = new Map<string, number>();
    for (const { t: at, v } of values.get(`d${i}`) ?? []) daily.set(at.toISOString().slice(0, 10), v);
    const days: DayUptime[] = [];
    for (let d = UPTIME_DAYS - 1; d >= 0; d--) {
      const date = dayStart(now, d).toISOString().slice(0, 10);
      const v = daily.get(date);
      days.push({ date, uptime: v === undefined ? null : Math.min(1, Math.max(0, v)) });
    }
    const known = days.flatMap((d) => (d.uptime === null ? [] : [d.uptime]));
    const fresh = (values.get(`r${i}`) ?? [])
      .filter((p) => now.getTime() - p.t.getTime() <= freshnessMs(t.periodMs))
      .sort((a, b) => b.t.getTime() - a.t.getTime())[0];
    result.set(t.target, {
      days,
      uptime: known.length ? known.reduce((a, b) => a + b, 0) / known.length : null,
      daysWithData: known.length,
      latest: fresh ? { value: fresh.v, at: fresh.t.toISOString() } : undefined,
    });
  });
  return result;
}
