/**
 * The alarms the config declares: `alerts.alarms` (presets and metric math) and `alerts.logPatterns`
 * (a metric filter on the log group and an alarm on its count). Created in the caller's scope, so
 * their logical ids are those of `Alerting`.
 */
import { Duration } from 'aws-cdk-lib';
import {
  type Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { FilterPattern, LogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { logPatternAlarmName } from '../../../lambdas/alert-router/settings';
import { type MetricRef, type ResolvedMetricAlarm, resolveMetricAlarm } from '../../config/alarm-presets';
import { durationMs, formatDuration } from '../../config/primitives';
import type { NightshiftConfig } from '../../config/schema';
import { nightshiftAlarm } from '../alarms';
import type { NightshiftContext } from '../context';

export const LOG_PATTERN_NAMESPACE = 'Nightshift/LogPatterns';

const COMPARISON: Record<ResolvedMetricAlarm['comparison'], ComparisonOperator> = {
  '>': ComparisonOperator.GREATER_THAN_THRESHOLD,
  '>=': ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  '<': ComparisonOperator.LESS_THAN_THRESHOLD,
  '<=': ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
};

const MISSING: Record<ResolvedMetricAlarm['missingData'], TreatMissingData> = {
  breaching: TreatMissingData.BREACHING,
  notBreaching: TreatMissingData.NOT_BREACHING,
  ignore: TreatMissingData.IGNORE,
  missing: TreatMissingData.MISSING,
};

export interface ConfiguredAlarms {
  /** alerts.alarms, by config name. */
  readonly metricAlarms: Record<string, Alarm>;
  /** alerts.logPatterns, by config name. */
  readonly logPatternAlarms: Record<string, Alarm>;
}

export function configuredAlarms(scope: Construct, context: NightshiftContext): ConfiguredAlarms {
  const { alerts } = context.config;
  const metricAlarms: Record<string, Alarm> = {};
  alerts.alarms.forEach((entry, index) => {
    metricAlarms[entry.name] = metricAlarm(scope, context, entry, index);
  });
  const logPatternAlarms: Record<string, Alarm> = {};
  for (const pattern of alerts.logPatterns) {
    logPatternAlarms[pattern.name] = logPatternAlarm(scope, context, pattern);
  }
  return { metricAlarms, logPatternAlarms };
}

type MetricAlarmEntry = NightshiftConfig['alerts']['alarms'][number];
type LogPattern = NightshiftConfig['alerts']['logPatterns'][number];

function cwMetric(ref: MetricRef, period: Duration): Metric {
  return new Metric({
    namespace: ref.namespace,
    metricName: ref.metric,
    dimensionsMap: { ...ref.dimensions },
    statistic: ref.statistic,
    period,
  });
}

/** An alerts.alarms entry merged with its preset: one metric, or metric math over several. */
function metricAlarm(
  scope: Construct,
  context: NightshiftContext,
  entry: MetricAlarmEntry,
  index: number,
): Alarm {
  const alarm = resolveMetricAlarm(entry, index);
  const period = Duration.seconds(alarm.periodSeconds);
  const metric: IMetric = alarm.metric
    ? cwMetric(alarm.metric, period)
    : new MathExpression({
        expression: alarm.expression ?? '',
        usingMetrics: Object.fromEntries(
          Object.entries(alarm.metrics ?? {}).map(([key, ref]) => [key, cwMetric(ref, period)]),
        ),
        period,
        label: alarm.summary,
      });
  return nightshiftAlarm(scope, `Alarm-${entry.name}`, {
    context,
    name: entry.name,
    metric,
    threshold: alarm.threshold,
    comparisonOperator: COMPARISON[alarm.comparison],
    evaluationPeriods: alarm.evaluationPeriods,
    datapointsToAlarm: alarm.datapoints,
    treatMissingData: MISSING[alarm.missingData],
    severity: alarm.severity,
    target: entry.name,
    summary: alarm.summary,
    runbook: alarm.runbook ?? context.config.alerts.severities[alarm.severity].runbook,
  });
}

/** Counts matching lines with a metric filter, and alarms at `threshold` or more per `period`. */
function logPatternAlarm(scope: Construct, context: NightshiftContext, pattern: LogPattern): Alarm {
  const { project } = context;
  const name = logPatternAlarmName(project, pattern.name);
  const periodMs = durationMs(pattern.period);
  new MetricFilter(scope, `LogPattern-${pattern.name}`, {
    logGroup: LogGroup.fromLogGroupName(scope, `LogGroup-${pattern.name}`, pattern.logGroup),
    filterName: name,
    filterPattern: FilterPattern.literal(pattern.pattern),
    metricNamespace: LOG_PATTERN_NAMESPACE,
    metricName: name,
    metricValue: '1',
    defaultValue: 0,
  });
  return nightshiftAlarm(scope, `LogAlarm-${pattern.name}`, {
    context,
    name: name.slice(project.length + 1),
    metric: new Metric({
      namespace: LOG_PATTERN_NAMESPACE,
      metricName: name,
      statistic: 'Sum',
      period: Duration.millis(periodMs),
    }),
    threshold: pattern.threshold,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
    severity: pattern.severity,
    target: `log/${pattern.name}`,
    summary: `${pattern.pattern} in ${pattern.logGroup}: ${pattern.threshold} or more per ${formatDuration(periodMs)}`,
    runbook: pattern.runbook ?? context.config.alerts.severities[pattern.severity].runbook,
  });
}
