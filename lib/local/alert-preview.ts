/**
 * Alerts in `nightshift run`: the real alert router core runs on synthetic "CloudWatch Alarm State
 * Change" events and prints the e-mail and SMS it would publish instead of publishing. It previews one
 * alarm per configured severity (with its escalation plan) and, for each metric point the other local
 * jobs emitted that breaches an alarm of the synthesized app (a health target down, a backup failed),
 * that alarm: its real name, severity, summary and runbook.
 */
import { run } from '../../lambdas/alert-router/alert-router';
import type { AlarmStateChangeEvent } from '../../lambdas/alert-router/event';
import { consoleNotifier } from '../../lambdas/alert-router/notifier';
import { routerSettings } from '../../lambdas/alert-router/settings';
import { SMS_LIMITS } from '../../lambdas/alert-router/sms';
import { encodeAlarmDescription } from '../../lambdas/shared/alarm-metadata';
import { silentLog } from '../../lambdas/shared/log';
import { METRICS_NAMESPACE, MemoryMetrics, type MetricsSink } from '../../lambdas/shared/metrics';
import { formatDuration, SEVERITIES, type Severity } from '../config/primitives';
import { severityPolicy } from '../config/resolved';
import type { NightshiftConfig } from '../config/schema';
import type { PlanAlarm } from '../plan';
import type { LocalJob } from './jobs';

export interface SampleAlarm {
  /** The full alarm name, e.g. `shop-health-api-down`. */
  readonly name: string;
  readonly summary: string;
  readonly severity: Severity;
  readonly target: string;
  readonly runbook?: string | undefined;
  /** How long the failure must last before the alarm fires (period × datapoints to alarm). */
  readonly persists?: string;
  readonly reason: string;
  readonly value?: number;
  readonly threshold?: number;
}

const LOCAL_REGION = 'local';
const LOCAL_ACCOUNT = '000000000000';

/** A "CloudWatch Alarm State Change" event as CloudWatch would send it for `sample` entering ALARM. */
export function sampleAlarmEvent(
  config: NightshiftConfig,
  sample: SampleAlarm,
  at: Date,
): AlarmStateChangeEvent {
  const name = sample.name;
  const stamp = (d: Date) => d.toISOString().replace('Z', '+0000');
  return {
    id: `local-${name}-${at.getTime()}`,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: LOCAL_ACCOUNT,
    time: at.toISOString(),
    region: config.region ?? LOCAL_REGION,
    resources: [`arn:aws:cloudwatch:${config.region}:${LOCAL_ACCOUNT}:alarm:${name}`],
    detail: {
      alarmName: name,
      configuration: {
        description: encodeAlarmDescription(sample.summary, {
          severity: sample.severity,
          target: sample.target,
          runbook: sample.runbook,
          project: config.project,
        }),
      },
      previousState: { value: 'OK', timestamp: stamp(new Date(at.getTime() - 3_600_000)), reason: '' },
      state: {
        value: 'ALARM',
        timestamp: stamp(at),
        reason: sample.reason,
        reasonData: JSON.stringify(
          sample.threshold !== undefined
            ? { version: '1.0', threshold: sample.threshold, recentDatapoints: [sample.value ?? 0] }
            : {},
        ),
      },
    },
  };
}

/** Runs the router core on the event with a console notifier; returns what it would have sent. */
export async function previewAlert(
  config: NightshiftConfig,
  event: AlarmStateChangeEvent,
): Promise<string[]> {
  const printed: string[] = [];
  const settings = routerSettings(
    config,
    config.alerts.levels.map(
      (level) => `arn:aws:sns:${config.region}:${LOCAL_ACCOUNT}:${config.project}-alerts-${level.name}`,
    ),
  );
  const offline = {
    send: async () => {
      throw new Error('not available locally');
    },
  };
  await run(
    {
      settings,
      notifier: consoleNotifier((text) => printed.push(text)),
      cloudwatch: offline as never,
      logs: offline as never,
      log: silentLog,
    },
    { event, deliveryId: 'local' },
  );
  return printed.flatMap((text) => text.split('\n'));
}

const BREACHES: Readonly<Record<string, (value: number, threshold: number) => boolean>> = {
  GreaterThanThreshold: (v, t) => v > t,
  GreaterThanOrEqualToThreshold: (v, t) => v >= t,
  LessThanThreshold: (v, t) => v < t,
  LessThanOrEqualToThreshold: (v, t) => v <= t,
};

const COMPARISON_WORDS: Readonly<Record<string, string>> = {
  GreaterThanThreshold: 'greater than',
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

function sameDimensions(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/**
 * The alarms of the app (`alarms`, from the synthesized templates) that a metric point of this local run
 * breaches: same namespace, name and exact dimension set, value past the threshold. Each alarm once.
 */
export function reportedFailures(alarms: readonly PlanAlarm[], metrics: MetricsSink): SampleAlarm[] {
  if (!(metrics instanceof MemoryMetrics)) return [];
  const failures: SampleAlarm[] = [];
  const seen = new Set<string>();
  for (const point of metrics.points) {
    for (const alarm of alarms) {
      const watched = alarm.metric;
      if (!watched || alarm.severity === 'unrouted' || seen.has(alarm.name)) continue;
      if (watched.namespace !== METRICS_NAMESPACE || watched.name !== point.name) continue;
      if (!sameDimensions(watched.dimensions, point.dimensions)) continue;
      if (!BREACHES[watched.comparison]?.(point.value, watched.threshold)) continue;
      seen.add(alarm.name);
      const comparison = COMPARISON_WORDS[watched.comparison] ?? watched.comparison;
      const persists = formatDuration(watched.periodSeconds * watched.datapointsToAlarm * 1000);
      failures.push({
        name: alarm.name,
        summary: alarm.summary,
        severity: alarm.severity,
        target: alarm.target ?? alarm.name,
        runbook: alarm.runbook,
        persists,
        reason: `Threshold Crossed: in this local run ${point.name} was ${point.value}, ${comparison} the threshold (${watched.threshold})`,
        value: point.value,
        threshold: watched.threshold,
      });
    }
  }
  return failures;
}

/** One line per severity: who is notified when. */
export function planSummary(config: NightshiftConfig, severity: Severity): string {
  const policy = severityPolicy(config, severity);
  const levels = config.alerts.levels.slice(policy.firstLevel);
  const steps = levels.map((level, i) =>
    i === 0 ? `${level.name} now` : `${level.name} +${formatDuration(i * policy.escalateAfterMs)}`,
  );
  return `${severity}: ${steps.join(' → ')}, then ${levels.at(-1)?.name} every ${formatDuration(policy.repeatEveryMs)}`;
}

export const alertsJob: LocalJob = {
  name: 'alerts',
  enabled: (config) => config.alerts.levels.length > 0,
  async run(context) {
    const { config } = context;
    const now = context.now();
    const lines: string[] = [];
    const messages: { alarm: string; severity: Severity; kind: 'failure' | 'sample' }[] = [];

    const failures = reportedFailures(context.alarms, context.metrics);
    for (const failure of failures) {
      const after = failure.persists ? `, if it lasts ${failure.persists}` : '';
      lines.push(`would page for ${failure.summary} (${failure.name}, ${failure.severity}${after}):`);
      lines.push(...(await previewAlert(config, sampleAlarmEvent(config, failure, now))));
      messages.push({
        alarm: failure.name,
        severity: failure.severity,
        kind: 'failure',
      });
    }

    lines.push(
      failures.length ? 'escalation per severity:' : 'nothing failed; what each severity would send:',
    );
    for (const severity of SEVERITIES) {
      const sample: SampleAlarm = {
        name: `${config.project}-sample-${severity}`,
        summary: `sample ${severity} alarm`,
        severity,
        target: 'sample',
        runbook: config.alerts.severities[severity].runbook,
        reason:
          'Threshold Crossed: 1 out of the last 1 datapoints [97.5] was greater than the threshold (80.0)',
        value: 97.5,
        threshold: 80,
      };
      const printed = await previewAlert(config, sampleAlarmEvent(config, sample, now));
      const subject = printed.find((l) => l.startsWith('Subject: '));
      const sms = printed.find((l) => l.startsWith('SMS ('));
      lines.push(`  ${planSummary(config, severity)}`);
      if (subject) lines.push(`    ${subject}`);
      if (sms) lines.push(`    ${sms}`);
      messages.push({ alarm: `${config.project}-sample-${severity}`, severity, kind: 'sample' });
    }
    return {
      job: 'alerts',
      ok: true,
      lines,
      detail: { messages, smsLimits: SMS_LIMITS },
    };
  },
};
