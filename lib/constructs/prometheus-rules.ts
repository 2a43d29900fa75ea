/**
 * The CDK side of the prometheus health check kind: the table that keeps each target's previous scrape
 * (lambdas/health-check/prometheus/state.ts) and one alarm per rule on its RuleValue metric. `for:` is
 * the number of consecutive check periods that must breach (datapoints to alarm = evaluation periods);
 * `whenMissing` is the alarm's treatment of periods without a value.
 */
import { Duration } from 'aws-cdk-lib';
import { type Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { HealthMetric, ruleDimensions } from '../../lambdas/health-check/metrics';
import { describeSelector } from '../../lambdas/health-check/prometheus/samples';
import { scrapeTableName } from '../../lambdas/health-check/prometheus/state';
import { METRICS_NAMESPACE } from '../../lambdas/shared/metrics';
import { durationMs, formatDuration } from '../config/primitives';
import type { PrometheusRule, RuleExpr, SumExpr, TermExpr, WhenMissing } from '../config/prometheus';
import type { EffectiveHealthTarget } from '../config/resolved';
import type { NightshiftContext } from './context';
import type { ScheduledJob } from './scheduled-job';
import { stateTable } from './state-table';

/** CloudWatch: evaluation periods × period may not exceed one day for periods under an hour. */
const MAX_EVALUATION_MS = 24 * 3_600_000;

const MISSING: Record<WhenMissing, TreatMissingData> = {
  ok: TreatMissingData.NOT_BREACHING,
  alarm: TreatMissingData.BREACHING,
  keep: TreatMissingData.IGNORE,
};

/**
 * The previous-scrape table: one item per prometheus target, pay per request, TTL on expiresAt. It
 * holds nothing that must survive (losing it costs one missing rate value), so it lives in the jobs
 * stack and is destroyed with it; point-in-time recovery stays on as for every Nightshift table.
 */
export function scrapeStateTable(scope: Construct, context: NightshiftContext): Table {
  return stateTable(scope, 'ScrapeState', {
    tableName: scrapeTableName(context.project),
    partitionKey: 'target',
  });
}

/** The health-check function reads and writes items of the table, nothing else (no scan, no delete). */
export function grantScrapeState(table: Table, grantee: IGrantable): void {
  table.grant(grantee, 'dynamodb:GetItem', 'dynamodb:PutItem');
}

/** N = M = ceil(for / period), at least 1 and within CloudWatch's one-day look-back. */
export function rulePeriods(rule: Pick<PrometheusRule, 'for'>, periodMs: number): number {
  const forMs = rule.for === undefined ? 0 : durationMs(rule.for);
  return Math.max(1, Math.min(Math.ceil(forMs / periodMs), Math.floor(MAX_EVALUATION_MS / periodMs)));
}

/** The alarm name of a rule, without the project prefix. */
export function ruleAlarmName(target: string, rule: string): string {
  return `health-${target}-${rule}`;
}

/** One alarm per rule of a prometheus target, on the metric the check sends for it. */
export function prometheusRuleAlarms(
  job: ScheduledJob,
  context: NightshiftContext,
  t: EffectiveHealthTarget,
  periodMs: number,
): Alarm[] {
  const spec = t.target.prometheus;
  if (!spec) return [];
  const name = t.target.name;
  return spec.rules.map((rule) => {
    const periods = rulePeriods(rule, periodMs);
    const above = rule.above !== undefined;
    const threshold = (above ? rule.above : rule.below) as number;
    return job.addAlarm(`${name}-Rule-${rule.name}`, {
      severity: rule.severity ?? t.severity,
      target: name,
      runbook: t.runbook,
      name: ruleAlarmName(name, rule.name),
      summary: `${name}: ${rule.name} — ${describeExpr(rule.expr)} ${above ? '>' : '<'} ${threshold} for ${formatDuration(periods * periodMs)}`,
      metric: new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: HealthMetric.RuleValue,
        dimensionsMap: ruleDimensions(context.project, name, rule.name),
        // one value per period from a schedule of that period; with retries, the worst one
        statistic: above ? 'Maximum' : 'Minimum',
        period: Duration.millis(periodMs),
      }),
      threshold,
      comparisonOperator: above
        ? ComparisonOperator.GREATER_THAN_THRESHOLD
        : ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: periods,
      datapointsToAlarm: periods,
      treatMissingData: MISSING[rule.whenMissing],
    });
  });
}

/** A rule expression in PromQL-like words, for alarm summaries: rate(a) / rate(b). */
export function describeExpr(e: RuleExpr): string {
  if (e.ratio) return `${describeSum(e.ratio.numerator, true)} / ${describeSum(e.ratio.denominator, true)}`;
  return describeSum(e as SumExpr, false);
}

function describeSum(e: SumExpr, parenthesize: boolean): string {
  if (e.sum) {
    const text = e.sum.map(describeTerm).join(' + ');
    return parenthesize ? `(${text})` : text;
  }
  return describeTerm(e as TermExpr);
}

function describeTerm(t: TermExpr): string {
  if (t.gauge !== undefined) return describeSelector(t.gauge);
  if (t.rate !== undefined) return `rate(${describeSelector(t.rate)})`;
  if (t.quantile)
    return `p${Number((t.quantile.q * 100).toPrecision(4))}(${describeSelector(t.quantile.histogram)})`;
  return '?';
}
