/**
 * The one way Nightshift creates alarms: named `<project>-<name>`, severity/target/runbook written into
 * the description (read by the alert router from the EventBridge event) and into tags, and registered
 * for the dashboard. Alarms have no actions: EventBridge routes every state change to the router.
 */
import { Tags } from 'aws-cdk-lib';
import {
  Alarm,
  type ComparisonOperator,
  type IMetric,
  MathExpression,
  type Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { encodeAlarmDescription, SEVERITY_TAG, TARGET_TAG } from '../../lambdas/shared/alarm-metadata';
import type { Severity } from '../config/primitives';
import type { NightshiftContext } from './context';

export interface NightshiftAlarmProps {
  readonly context: NightshiftContext;
  /** Alarm name without the project prefix, e.g. "api-down". */
  readonly name: string;
  readonly metric: IMetric;
  readonly threshold: number;
  readonly comparisonOperator: ComparisonOperator;
  /** N in "M of N". @default 1 */
  readonly evaluationPeriods?: number;
  /** M in "M of N". @default evaluationPeriods */
  readonly datapointsToAlarm?: number;
  /** @default TreatMissingData.NOT_BREACHING */
  readonly treatMissingData?: TreatMissingData;
  readonly severity: Severity;
  /** Target or job the alarm is about, e.g. "api" or "backup/postgres". */
  readonly target: string;
  /** What is wrong, in plain words, e.g. "api health check failing". */
  readonly summary: string;
  readonly runbook?: string | undefined;
}

export function alarmName(context: NightshiftContext, name: string): string {
  return `${context.project}-${name}`;
}

export function nightshiftAlarm(scope: Construct, id: string, props: NightshiftAlarmProps): Alarm {
  const { context } = props;
  const evaluationPeriods = props.evaluationPeriods ?? 1;
  const alarm = new Alarm(scope, id, {
    alarmName: alarmName(context, props.name),
    alarmDescription: encodeAlarmDescription(props.summary, {
      severity: props.severity,
      target: props.target,
      runbook: props.runbook,
      project: context.project,
    }),
    metric: props.metric,
    threshold: props.threshold,
    comparisonOperator: props.comparisonOperator,
    evaluationPeriods,
    datapointsToAlarm: props.datapointsToAlarm ?? evaluationPeriods,
    treatMissingData: props.treatMissingData ?? TreatMissingData.NOT_BREACHING,
  });
  Tags.of(alarm).add(SEVERITY_TAG, props.severity);
  Tags.of(alarm).add(TARGET_TAG, props.target);
  context.alarms.push(alarm);
  return alarm;
}

/**
 * A count that is absent when nothing happened (successes, invocations), with 0 for every period of
 * the alarm's evaluation range that has no datapoint. An "it did not happen for N periods" alarm needs
 * this: CloudWatch evaluates every real datapoint still in its evaluation range when fewer than N are
 * real, so one old success would otherwise keep the alarm OK for hours after N periods have passed
 * (docs/alerting.md, "When alarms fire"). Missing data then only means "no datapoint in the whole
 * range" (a fresh deploy, or a long silence), which the alarm's treatMissingData decides.
 */
export function zeroFilled(metric: Metric): MathExpression {
  return filledWith(metric, 0);
}

/**
 * A metric sent only when something is wrong (a failed check's Up 0, a latency above its limit), with
 * `value` (a healthy one) for every period of the evaluation range without a datapoint. Plain missing
 * data would not do: CloudWatch then evaluates the last real datapoints still in its (longer than N)
 * evaluation range, so a recovered target would stay in ALARM a few periods longer than on the full
 * series. Billed as one alarm metric, like the metric alone.
 */
export function filledWith(metric: Metric, value: number): MathExpression {
  return new MathExpression({
    expression: `FILL(m, ${value})`,
    usingMetrics: { m: metric },
    period: metric.period,
    label: `${metric.metricName} (${value} when absent)`,
  });
}
