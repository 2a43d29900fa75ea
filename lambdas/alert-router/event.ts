/**
 * The EventBridge "CloudWatch Alarm State Change" event, parsed and normalised. Covers metric alarms,
 * metric-math alarms (an `expression` among `configuration.metrics`) and composite alarms
 * (`configuration.alarmRule`, `reasonData.triggeringAlarms`).
 */
import type { AlarmKind, AlarmState } from './format';

export interface AlarmStateValue {
  readonly value: string;
  readonly reason?: string;
  readonly reasonData?: string;
  readonly timestamp: string;
  readonly actionsSuppressedBy?: string;
}

interface EventMetric {
  readonly id: string;
  readonly expression?: string;
  readonly label?: string;
  readonly returnData?: boolean;
  readonly metricStat?: {
    readonly metric: {
      readonly namespace?: string;
      readonly name: string;
      readonly dimensions?: Record<string, string>;
    };
    readonly period: number;
    readonly stat: string;
  };
}

export interface AlarmStateChangeEvent {
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: {
    readonly alarmName: string;
    readonly state: AlarmStateValue;
    readonly previousState: AlarmStateValue;
    readonly configuration: {
      readonly description?: string;
      readonly metrics?: readonly EventMetric[];
      readonly alarmRule?: string;
    };
    /** Present when the alarm has tag propagation enabled. */
    readonly alarmTags?: Record<string, string>;
  };
}

export class InvalidAlarmEvent extends Error {
  constructor(message: string) {
    super(`${message} — the alert router only handles EventBridge "CloudWatch Alarm State Change" events`);
    this.name = 'InvalidAlarmEvent';
  }
}

/** CloudWatch writes "2019-10-02T17:04:40.989+0000" (no colon in the offset). */
export function parseAlarmTime(text: string): Date {
  const iso = text.replace(/([+-]\d\d)(\d\d)$/, '$1:$2');
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new InvalidAlarmEvent(`unreadable timestamp "${text}"`);
  return date;
}

const STATES: readonly AlarmState[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];

function state(value: string, field: string): AlarmState {
  if (!STATES.includes(value as AlarmState)) throw new InvalidAlarmEvent(`${field} is "${value}"`);
  return value as AlarmState;
}

export function assertAlarmEvent(event: unknown): asserts event is AlarmStateChangeEvent {
  const e = event as Partial<AlarmStateChangeEvent> | undefined;
  if (!e || typeof e !== 'object') throw new InvalidAlarmEvent('the event is empty');
  if (e['detail-type'] !== 'CloudWatch Alarm State Change') {
    throw new InvalidAlarmEvent(`detail-type is "${String(e['detail-type'])}"`);
  }
  if (!e.detail?.alarmName || !e.detail.state?.value || !e.detail.state.timestamp) {
    throw new InvalidAlarmEvent('detail.alarmName or detail.state is missing');
  }
}

/** Facts read straight from the event; severity, target and summary are resolved by the router. */
export interface EventFacts {
  readonly alarmName: string;
  readonly alarmArn: string;
  readonly region: string;
  readonly account: string;
  readonly kind: AlarmKind;
  readonly description?: string | undefined;
  readonly state: AlarmState;
  readonly previousState: AlarmState;
  readonly changedAt: Date;
  readonly previousChangedAt: Date;
  readonly reason: string;
  readonly value?: number | undefined;
  readonly threshold?: number | undefined;
  readonly comparison?: string | undefined;
  readonly measured?: string | undefined;
  readonly triggeringAlarms?: string[] | undefined;
  readonly periodSeconds?: number | undefined;
  readonly tags?: Record<string, string> | undefined;
}

const COMPARISONS: [RegExp, string][] = [
  [/greater than or equal to/, '>='],
  [/greater than/, '>'],
  [/less than or equal to/, '<='],
  [/less than/, '<'],
];

/** The comparison from a reason such as "... was greater than the threshold (50.0) ...". */
export function comparisonFromReason(reason: string): string | undefined {
  const match = /(?:was|were) (not )?((?:greater|less) than(?: or equal to)?) the threshold/.exec(reason);
  if (!match?.[2]) return undefined;
  return COMPARISONS.find(([re]) => re.test(match[2] ?? ''))?.[1];
}

function parseReasonData(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function latestValue(data: Record<string, unknown>): number | undefined {
  const evaluated = data.evaluatedDatapoints;
  if (Array.isArray(evaluated)) {
    const withValue = evaluated.filter(
      (p): p is { value: number; timestamp?: string } => typeof (p as { value?: unknown }).value === 'number',
    );
    const sorted = withValue.sort((a, b) =>
      String(b.timestamp ?? '').localeCompare(String(a.timestamp ?? '')),
    );
    if (sorted[0]) return sorted[0].value;
  }
  const recent = data.recentDatapoints;
  if (Array.isArray(recent)) {
    const last = recent.filter((v): v is number => typeof v === 'number').at(-1);
    if (last !== undefined) return last;
  }
  return undefined;
}

function describeMetric(metric: NonNullable<EventMetric['metricStat']>): string {
  const dims = Object.entries(metric.metric.dimensions ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const ns = metric.metric.namespace ? `${metric.metric.namespace} ` : '';
  return `${ns}${metric.metric.name}${dims ? ` (${dims})` : ''} ${metric.stat} per ${periodText(metric.period)}`;
}

function periodText(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

function alarmNameFromArn(arn: string): string {
  return arn.slice(arn.indexOf(':alarm:') + ':alarm:'.length);
}

export function eventFacts(event: AlarmStateChangeEvent): EventFacts {
  const { detail } = event;
  const config = detail.configuration ?? {};
  const metrics = config.metrics ?? [];
  const expression =
    metrics.find((m) => m.expression && m.returnData !== false) ?? metrics.find((m) => m.expression);
  const kind: AlarmKind = config.alarmRule !== undefined ? 'composite' : expression ? 'math' : 'metric';
  const data = parseReasonData(detail.state.reasonData);
  const reason = detail.state.reason ?? '';

  let measured: string | undefined;
  let periodSeconds: number | undefined;
  if (kind === 'composite') {
    measured = `rule ${config.alarmRule}`;
  } else if (kind === 'math' && expression) {
    const inputs = metrics.filter((m) => m.metricStat);
    periodSeconds = inputs[0]?.metricStat?.period;
    measured = `${expression.label ? `${expression.label}: ` : ''}${expression.expression} where ${inputs
      .map((m) => `${m.id} = ${describeMetric(m.metricStat!)}`)
      .join('; ')}`;
  } else {
    const stat = metrics.find((m) => m.metricStat)?.metricStat;
    if (stat) {
      measured = describeMetric(stat);
      periodSeconds = stat.period;
    }
  }

  const triggering = Array.isArray(data.triggeringAlarms)
    ? (data.triggeringAlarms as { arn?: string }[])
        .map((a) => (a.arn ? alarmNameFromArn(a.arn) : undefined))
        .filter((a): a is string => Boolean(a))
    : undefined;

  const threshold = typeof data.threshold === 'number' ? data.threshold : undefined;
  return {
    alarmName: detail.alarmName,
    alarmArn:
      event.resources?.[0] ?? `arn:aws:cloudwatch:${event.region}:${event.account}:alarm:${detail.alarmName}`,
    region: event.region,
    account: event.account,
    kind,
    description: config.description,
    state: state(detail.state.value, 'detail.state.value'),
    previousState: state(detail.previousState?.value ?? 'INSUFFICIENT_DATA', 'detail.previousState.value'),
    changedAt: parseAlarmTime(detail.state.timestamp),
    previousChangedAt: parseAlarmTime(detail.previousState?.timestamp ?? detail.state.timestamp),
    reason,
    value: kind === 'composite' ? undefined : latestValue(data),
    threshold,
    comparison: threshold !== undefined ? comparisonFromReason(reason) : undefined,
    measured,
    triggeringAlarms: triggering?.length ? triggering : undefined,
    periodSeconds,
    tags: detail.alarmTags,
  };
}

/**
 * The summary suffix of a job's merged failed-or-did-not-run alarm (lib/constructs/scheduled-job.ts):
 * FILL(Errors, DID_NOT_RUN_VALUE) over the schedule's window, missing data breaching.
 */
export const FAILED_OR_DID_NOT_RUN = '(or did not run)';

/** What a period without any invocation reads in that alarm: breaching (> 0), never a whole count. */
export const DID_NOT_RUN_VALUE = 0.5;

/**
 * Which of the two a merged alarm's ALARM stands for: a period without a run (the filled 0.5, or no
 * datapoint at all in the range: missing data treated as breaching) is "did not run"; a whole number
 * of errors is "failed". Any other summary, and any other state, is returned unchanged.
 */
export function mergedJobSummary(
  summary: string,
  target: string,
  facts: Pick<EventFacts, 'state' | 'value'>,
): string {
  if (!summary.endsWith(` ${FAILED_OR_DID_NOT_RUN}`) || facts.state !== 'ALARM') return summary;
  return facts.value === undefined || facts.value === DID_NOT_RUN_VALUE
    ? `${target} job did not run (no invocation in the alarm's period)`
    : summary.slice(0, -FAILED_OR_DID_NOT_RUN.length - 1);
}
