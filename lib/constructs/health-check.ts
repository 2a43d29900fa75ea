/**
 * The health-check capability: one ScheduledJob (one schedule per distinct interval, targets carried in
 * the schedule input — names of secrets only), read access to exactly the secrets the targets reference,
 * per-target alarms (down M of N, latency when maxLatency is set, TLS days left, resource percentages)
 * with each target's severity, and a dashboard section with Up per target and latency where alarmed.
 */
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import {
  type Alarm,
  ComparisonOperator,
  GraphWidget,
  type IWidget,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { healthCheckEnvironment } from '../../lambdas/health-check/env';
import { healthEventTarget } from '../../lambdas/health-check/event';
import {
  dailyWindowMs,
  downPeriods,
  HealthMetric,
  type HealthMetricName,
  HIGH_RESOLUTION_PERIOD_S,
  healthAlarmCondition,
  healthDimensions,
  isSubMinute,
  type MetricsSent,
  SCHEDULED_TIME,
} from '../../lambdas/health-check/metrics';
import { METRICS_NAMESPACE } from '../../lambdas/shared/metrics';
import { healthTargetInputChars, MAX_SCHEDULE_INPUT, SCHEDULE_INPUT_OVERHEAD } from '../config/limits';
import { parseSchedule, SEVERITIES, type Severity, schedulePeriodMs } from '../config/primitives';
import { type EffectiveHealthTarget, effectiveHealthTargets, usesVpc } from '../config/resolved';
import type { HealthChecksConfig } from '../config/schema';
import { filledWith } from './alarms';
import type { NightshiftContext } from './context';
import { grantScrapeState, prometheusRuleAlarms, scrapeStateTable } from './prometheus-rules';
import { JobCode, type JobSchedule, ScheduledJob } from './scheduled-job';

export const HEALTH_CHECK_ENTRY = join(import.meta.dirname, '../../lambdas/health-check/handler.ts');

export { MAX_SCHEDULE_INPUT };

/** Lines per dashboard graph. */
const TARGETS_PER_GRAPH = 8;
const MINUTE = 60_000;
const HOUR = 3_600_000;
/** CloudWatch evaluates at most 7 days of datapoints. */
const MAX_EVALUATION_MS = 7 * 24 * HOUR;

/** The severity one step below (the TLS "warn" alarm): critical → high → medium → low → low. */
export function lowerSeverity(severity: Severity): Severity {
  return SEVERITIES[Math.min(SEVERITIES.indexOf(severity) + 1, SEVERITIES.length - 1)] ?? 'low';
}

function mostSevere(severities: Severity[]): Severity {
  return SEVERITIES.find((s) => severities.includes(s)) ?? 'high';
}

/** rate() expression for an interval, rounded to whole minutes (the Scheduler's resolution). */
export function rateFor(intervalMs: number): string {
  if (intervalMs % (24 * HOUR) === 0) {
    const days = intervalMs / (24 * HOUR);
    return `rate(${days} ${days === 1 ? 'day' : 'days'})`;
  }
  if (intervalMs % HOUR === 0) {
    const hours = intervalMs / HOUR;
    return `rate(${hours} ${hours === 1 ? 'hour' : 'hours'})`;
  }
  const minutes = Math.max(1, Math.round(intervalMs / MINUTE));
  return `rate(${minutes} ${minutes === 1 ? 'minute' : 'minutes'})`;
}

/** "30s", "5m", "1h", "1d" — for schedule names. */
function shortInterval(intervalMs: number): string {
  if (isSubMinute(intervalMs)) return `${intervalMs / 1000}s`;
  if (intervalMs % (24 * HOUR) === 0) return `${intervalMs / (24 * HOUR)}d`;
  if (intervalMs % HOUR === 0) return `${intervalMs / HOUR}h`;
  return `${Math.max(1, Math.round(intervalMs / MINUTE))}m`;
}

export interface HealthScheduleGroup {
  /** Schedule name, unique within the job: "default", "every-5m", "every-30s", "default-2", … */
  readonly name: string;
  readonly expression: string;
  readonly targets: EffectiveHealthTarget[];
  /** Sub-minute targets: the run (once a minute) checks them at every slot of its minute. */
  readonly repeat: boolean;
}

/**
 * Groups targets by interval (targets without one run on healthChecks.schedule) and splits each group so
 * no schedule input exceeds MAX_SCHEDULE_INPUT characters.
 */
export function healthSchedules(
  section: HealthChecksConfig,
  targets: EffectiveHealthTarget[],
): HealthScheduleGroup[] {
  const byInterval = new Map<number | 'default', EffectiveHealthTarget[]>();
  for (const target of targets) {
    const key = target.intervalMs ?? 'default';
    byInterval.set(key, [...(byInterval.get(key) ?? []), target]);
  }
  const groups: HealthScheduleGroup[] = [];
  for (const [key, members] of byInterval) {
    const base = key === 'default' ? 'default' : `every-${shortInterval(key)}`;
    const expression = key === 'default' ? section.schedule : rateFor(key);
    const chunks: EffectiveHealthTarget[][] = [];
    let current: EffectiveHealthTarget[] = [];
    let size = 0;
    for (const target of members) {
      // validateConfig keeps each target within one schedule input (lib/config/limits.ts)
      const length = healthTargetInputChars(target);
      if (current.length > 0 && size + length + SCHEDULE_INPUT_OVERHEAD > MAX_SCHEDULE_INPUT) {
        chunks.push(current);
        current = [];
        size = 0;
      }
      current.push(target);
      size += length;
    }
    if (current.length) chunks.push(current);
    chunks.forEach((chunk, i) => {
      groups.push({
        name: i === 0 ? base : `${base}-${i + 1}`,
        expression,
        targets: chunk,
        repeat: key !== 'default' && isSubMinute(key),
      });
    });
  }
  return groups;
}

/** Every Secrets Manager secret a target references (connection secrets and secret header values). */
export function referencedSecrets(targets: EffectiveHealthTarget[]): string[] {
  const names = new Set<string>();
  for (const { target } of targets) {
    for (const connection of [target.postgres, target.mongodb, target.redis]) {
      if (connection?.secret) names.add(connection.secret);
    }
    for (const value of Object.values({ ...target.http?.headers, ...target.prometheus?.headers })) {
      if (typeof value !== 'string') names.add(value.secret);
    }
  }
  return [...names];
}

export interface HealthChecksProps {
  readonly context: NightshiftContext;
}

export class HealthChecks extends Construct {
  readonly job: ScheduledJob;
  /** Alarms per target name. */
  readonly targetAlarms = new Map<string, Alarm[]>();
  readonly secrets: string[];
  /** The prometheus targets' previous scrapes; only when there is such a target. */
  readonly scrapeState?: Table;

  constructor(scope: Construct, id: string, props: HealthChecksProps) {
    super(scope, id);
    const { context } = props;
    const section = context.config.healthChecks;
    if (!section) throw new Error('internal: HealthChecks built without config.healthChecks');
    const targets = effectiveHealthTargets(context.config);
    if (targets.length === 0) {
      throw new Error('internal: HealthChecks built without healthChecks.targets');
    }
    const concurrency = section.concurrency;
    const groups = healthSchedules(section, targets);
    // without the dashboard nothing graphs the values: send only breaching ones (a healthy target's
    // metrics then cost nothing); the alarms treat missing data as not breaching either way. The status
    // page computes uptime from every Up value, so a schedule with a target on it sends them all.
    const onStatusPage = new Set(
      (context.config.statusPage?.targets ?? []).map((entry) =>
        typeof entry === 'string' ? entry : entry.target,
      ),
    );
    // Sub-minute schedules (repeat) send every value too: their alarms repeat the last value into the
    // periods between checks (FILL REPEAT), so a recovery must be sent (the core does so either way).
    const metricsSentBy = (group: (typeof groups)[number]): MetricsSent =>
      context.config.alerts.dashboard ||
      group.repeat ||
      group.targets.some((t) => onStatusPage.has(t.target.name))
        ? 'all'
        : 'breaches';
    const schedules: JobSchedule[] = groups.map((group) => ({
      name: group.name,
      expression: group.expression,
      input: {
        periodMs: alarmPeriodMs(group.expression, context.timeZone),
        metricsSent: metricsSentBy(group),
        targets: group.targets.map(healthEventTarget),
        // the run's slots start at the time the schedule fired for, whenever the run starts
        ...(group.repeat ? { repeat: true, scheduledTime: SCHEDULED_TIME } : {}),
      },
    }));
    // the longest run: waves of `concurrency` targets, each wave at most as long as its slowest timeout;
    // a sub-minute run checks until its minute's last slot (under a minute in) and then waits for it
    const longestMs = Math.max(
      ...groups.map(
        (g) =>
          (g.repeat ? MINUTE : 0) +
          Math.ceil(g.targets.length / concurrency) * Math.max(...g.targets.map((t) => t.timeoutMs)),
      ),
    );
    const shortestPeriodMs = Math.min(...groups.map((g) => schedulePeriodMs(g.expression, context.timeZone)));

    if (targets.some((t) => t.kind === 'prometheus')) this.scrapeState = scrapeStateTable(this, context);
    this.job = new ScheduledJob(this, 'Job', {
      context,
      jobName: 'health-check',
      description: `Health checks of ${targets.length} target${targets.length === 1 ? '' : 's'}`,
      code: JobCode.nodejs(HEALTH_CHECK_ENTRY),
      schedules,
      // a dead checker leaves every target unwatched: it pages like the most important one
      severity: mostSevere(targets.map((t) => t.severity)),
      timeout: Duration.seconds(Math.min(900, Math.max(30, Math.ceil(longestMs / 1000) + 15))),
      memorySize: 512,
      vpc: usesVpc(context.config, 'healthChecks'),
      environment: healthCheckEnvironment({
        project: context.project,
        concurrency,
        scrapeTable: this.scrapeState?.tableName,
      }),
      // a late health check is worthless: the next run is due soon, so no retries of stale events
      retryAttempts: 0,
      maxEventAge: Duration.seconds(Math.max(60, Math.min(3600, Math.round(shortestPeriodMs / 1000)))),
    });
    if (this.scrapeState) grantScrapeState(this.scrapeState, this.job.role);
    this.secrets = referencedSecrets(targets);
    for (const secret of this.secrets) this.job.bindSecret(secret);

    for (const group of groups) {
      const periodMs = alarmPeriodMs(group.expression, context.timeZone);
      for (const target of group.targets) {
        this.targetAlarms.set(target.target.name, this.alarmsFor(context, target, periodMs));
      }
    }
    context.dashboard.addSection('Health checks', this.widgets(context.project, targets));
  }

  private alarmsFor(context: NightshiftContext, t: EffectiveHealthTarget, periodMs: number): Alarm[] {
    const name = t.target.name;
    const metric = (metricName: HealthMetricName, statistic: string, period = periodMs) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: healthDimensions(context.project, name),
        statistic,
        period: Duration.millis(period),
      });
    // M of N periods; N is capped so the alarm looks at no more than 7 days
    const evaluationPeriods = Math.max(
      1,
      Math.min(t.down.evaluationPeriods, Math.floor(MAX_EVALUATION_MS / periodMs)),
    );
    const datapointsToAlarm = Math.min(t.down.datapoints, evaluationPeriods);
    const common = { severity: t.severity, target: name, runbook: t.runbook };
    // the threshold and direction come from the metric contract, which the checks' breaches-only
    // sending reads too: a value the alarm counts as breaching is always sent, and a period without one
    // is filled with a healthy value (Up 1, 0 for the rest), so the alarms fire and clear as on the
    // full series; no datapoint in the whole range (the checker stopped) stays not breaching, as before
    const condition = (metricName: HealthMetricName) => {
      const found = healthAlarmCondition(t, metricName);
      if (!found)
        throw new Error(`internal: the metric contract has no alarm condition for ${metricName} (${name})`);
      return {
        threshold: found.threshold,
        comparisonOperator:
          found.comparison === 'lt'
            ? ComparisonOperator.LESS_THAN_THRESHOLD
            : ComparisonOperator.GREATER_THAN_THRESHOLD,
      };
    };
    const mOfN = `${datapointsToAlarm} of ${evaluationPeriods} checks`;
    const alarms: Alarm[] = [
      isSubMinute(t.intervalMs) && t.downForMs !== undefined
        ? this.subMinuteDownAlarm(t, t.intervalMs, t.downForMs, metric)
        : this.job.addAlarm(`${name}-Down`, {
            ...common,
            name: `health-${name}-down`,
            summary: `${name} (${t.kind}) is down: failed ${mOfN}`,
            metric: filledWith(metric(HealthMetric.Up, 'Minimum'), 1),
            ...condition(HealthMetric.Up),
            evaluationPeriods,
            datapointsToAlarm,
          }),
    ];
    // latency alarms are opt-in (maxLatency on the target or in defaults): $0.10 an alarm, $0.30 a metric
    const maxLatencyMs = t.maxLatencyMs;
    if (maxLatencyMs !== undefined) {
      alarms.push(
        this.job.addAlarm(`${name}-Latency`, {
          ...common,
          name: `health-${name}-latency`,
          summary: `${name} (${t.kind}) is slow: latency above ${maxLatencyMs} ms in ${mOfN}`,
          metric: filledWith(metric(HealthMetric.LatencyMs, 'Maximum'), 0),
          ...condition(HealthMetric.LatencyMs),
          evaluationPeriods,
          datapointsToAlarm,
        }),
      );
    }
    const http = t.target.http;
    if (http && new URL(http.url).protocol === 'https:' && http.tls !== false) {
      const warnDays = http.tls?.warnDays ?? 14;
      const criticalDays = http.tls?.criticalDays ?? 7;
      // days left are sent once a day, by the checks in the first hour (or period, if longer) of the UTC
      // day; the alarm's period is that window, so the day's datapoints are judged when it ends, and the
      // 23 hours without data keep the state (a cert crossing a threshold pages at most a day later)
      const tlsPeriod = dailyWindowMs(periodMs);
      for (const [level, days, severity] of [
        ['Warn', warnDays, lowerSeverity(t.severity)],
        ['Critical', criticalDays, t.severity],
      ] as const) {
        alarms.push(
          this.job.addAlarm(`${name}-Tls${level}`, {
            ...common,
            severity,
            name: `health-${name}-tls-${level.toLowerCase()}`,
            summary: `${name}: TLS certificate of ${new URL(http.url).host} expires within ${days} days`,
            metric: metric(HealthMetric.TlsDaysLeft, 'Minimum', tlsPeriod),
            threshold: days,
            comparisonOperator: ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
            treatMissingData: TreatMissingData.IGNORE,
          }),
        );
      }
    }
    const resource = (metricName: HealthMetricName, threshold: number, what: string, unit = '%') =>
      this.job.addAlarm(`${name}-${metricName}`, {
        ...common,
        name: `health-${name}-${metricName.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}`,
        summary: `${name} (${t.kind}): ${what} above ${threshold}${unit} in ${mOfN}`,
        metric: filledWith(metric(metricName, 'Maximum'), 0),
        ...condition(metricName),
        evaluationPeriods,
        datapointsToAlarm,
      });
    if (t.target.postgres) {
      alarms.push(
        resource(
          HealthMetric.ConnectionsPercent,
          t.target.postgres.maxConnectionsPercent,
          'connections used',
        ),
      );
      if (t.target.postgres.replicationLagSeconds !== undefined) {
        alarms.push(
          resource(
            HealthMetric.ReplicationLagSeconds,
            t.target.postgres.replicationLagSeconds,
            'replication lag',
            ' s',
          ),
        );
      }
    }
    if (t.target.mongodb) {
      alarms.push(
        resource(HealthMetric.ConnectionsPercent, t.target.mongodb.maxConnectionsPercent, 'connections used'),
      );
    }
    if (t.target.redis) {
      alarms.push(
        resource(HealthMetric.MemoryPercent, t.target.redis.maxMemoryPercent, 'memory used of maxmemory'),
      );
    }
    alarms.push(...prometheusRuleAlarms(this.job, context, t, periodMs));
    return alarms;
  }

  /**
   * The down alarm of a sub-minute target: a high-resolution alarm ($0.30 a month) over periods of
   * HIGH_RESOLUTION_PERIOD_S on the Up metric the checks send at StorageResolution 1. FILL(REPEAT) carries
   * each check's outcome into the periods before the next check (a 30 s interval fills two of three), so
   * "down for 30s" is downPeriods() breaching periods in a row, whatever the interval.
   */
  private subMinuteDownAlarm(
    t: EffectiveHealthTarget,
    intervalMs: number,
    downForMs: number,
    metric: (name: HealthMetricName, statistic: string, period?: number) => Metric,
  ): Alarm {
    const name = t.target.name;
    const periods = downPeriods(downForMs, intervalMs);
    const up = metric(HealthMetric.Up, 'Minimum', HIGH_RESOLUTION_PERIOD_S * 1000);
    return this.job.addAlarm(`${name}-Down`, {
      severity: t.severity,
      target: name,
      runbook: t.runbook,
      name: `health-${name}-down`,
      summary: `${name} (${t.kind}) is down: failed every check for ${downForMs / 1000} s (checked every ${intervalMs / 1000} s)`,
      metric: new MathExpression({
        expression: 'FILL(up, REPEAT)',
        usingMetrics: { up },
        period: up.period,
        label: 'Up (last check)',
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: periods,
      datapointsToAlarm: periods,
    });
  }

  private widgets(project: string, targets: EffectiveHealthTarget[]): IWidget[] {
    const graphs = (
      members: EffectiveHealthTarget[],
      title: string,
      metricName: HealthMetricName,
      statistic: string,
      leftYAxis: { min: number; max?: number },
    ): IWidget[] => {
      const widgets: IWidget[] = [];
      for (let i = 0; i < members.length; i += TARGETS_PER_GRAPH) {
        const slice = members.slice(i, i + TARGETS_PER_GRAPH);
        const suffix = members.length > TARGETS_PER_GRAPH ? ` (${i + 1}-${i + slice.length})` : '';
        widgets.push(
          new GraphWidget({
            title: `${title}${suffix}`,
            left: slice.map(
              (t) =>
                new Metric({
                  namespace: METRICS_NAMESPACE,
                  metricName,
                  dimensionsMap: healthDimensions(project, t.target.name),
                  statistic,
                  period: Duration.minutes(1),
                  label: t.target.name,
                }),
            ),
            leftYAxis,
            width: 12,
            height: 6,
          }),
        );
      }
      return widgets;
    };
    // LatencyMs is sent only for targets with a latency alarm (maxLatency), so only they are graphed
    return [
      ...graphs(targets, 'Up', HealthMetric.Up, 'Minimum', { min: 0, max: 1 }),
      ...graphs(
        targets.filter((t) => t.maxLatencyMs !== undefined),
        'Latency ms',
        HealthMetric.LatencyMs,
        'Average',
        { min: 0 },
      ),
    ];
  }
}

/** Alarm period for a schedule: its period rounded up to whole minutes (CloudWatch's resolution). */
function alarmPeriodMs(expression: string, timeZone: string): number {
  parseSchedule(expression);
  const periodMs = schedulePeriodMs(expression, timeZone);
  return Math.min(24 * HOUR, Math.max(MINUTE, Math.ceil(periodMs / MINUTE) * MINUTE));
}
