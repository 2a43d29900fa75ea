/**
 * Alerts in `nightshift run`: the real alert router core runs on synthetic "CloudWatch Alarm State
 * Change" events and prints the e-mail and SMS it would publish instead of publishing. It previews one
 * alarm per configured severity (with its escalation plan) and one per failure the other local jobs
 * reported (a health target down, a backup failed).
 */
import { run } from '../../lambdas/alert-router/alert-router';
import type { AlarmStateChangeEvent } from '../../lambdas/alert-router/event';
import { consoleNotifier } from '../../lambdas/alert-router/notifier';
import { routerSettings } from '../../lambdas/alert-router/settings';
import { SMS_LIMITS } from '../../lambdas/alert-router/sms';
import { encodeAlarmDescription } from '../../lambdas/shared/alarm-metadata';
import { silentLog } from '../../lambdas/shared/log';
import { MemoryMetrics, type MetricsSink } from '../../lambdas/shared/metrics';
import { formatDuration, SEVERITIES, type Severity } from '../config/primitives';
import { effectiveBackupTargets, effectiveHealthTargets, severityPolicy } from '../config/resolved';
import type { NightshiftConfig } from '../config/schema';
import type { LocalJob } from './jobs';

export interface SampleAlarm {
  /** Alarm name without the project prefix. */
  readonly name: string;
  readonly summary: string;
  readonly severity: Severity;
  readonly target: string;
  readonly runbook?: string | undefined;
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
  const name = `${config.project}-${sample.name}`;
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
      metrics: new MemoryMetrics(),
    },
    { event, deliveryId: 'local' },
  );
  return printed.flatMap((text) => text.split('\n'));
}

/** Failures the earlier local jobs reported through the shared metrics sink. */
export function reportedFailures(config: NightshiftConfig, metrics: MetricsSink): SampleAlarm[] {
  if (!(metrics instanceof MemoryMetrics)) return [];
  const failures: SampleAlarm[] = [];
  const health = new Map(effectiveHealthTargets(config).map((t) => [t.target.name, t]));
  const backups = new Map(effectiveBackupTargets(config).map((t) => [t.target.name, t]));
  const seen = new Set<string>();
  for (const point of metrics.points) {
    const target = point.dimensions.Target ?? '';
    const key = `${point.name}/${target}`;
    if (seen.has(key)) continue;
    if (point.name === 'Up' && point.value === 0 && health.has(target)) {
      const t = health.get(target)!;
      seen.add(key);
      failures.push({
        name: `${target}-down`,
        summary: `${target} health check failing`,
        severity: t.severity,
        target,
        runbook: t.runbook,
        reason: `Threshold Crossed: the ${t.kind} check of ${target} failed in this local run: Up 0 was less than the threshold (1.0)`,
        value: 0,
        threshold: 1,
      });
    }
    if (point.name === 'BackupFailed' && point.value > 0 && backups.has(target)) {
      const t = backups.get(target)!;
      seen.add(key);
      failures.push({
        name: `backup-${target}-failed`,
        summary: `backup of ${target} failed`,
        severity: t.severity,
        target: `backup/${target}`,
        runbook: t.runbook,
        reason: `Threshold Crossed: the ${t.engine} backup of ${target} failed in this local run: 1 failure was greater than the threshold (0.0)`,
        value: 1,
        threshold: 0,
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

    const failures = reportedFailures(config, context.metrics);
    for (const failure of failures) {
      lines.push(`would page for ${failure.summary} (${failure.severity}):`);
      lines.push(...(await previewAlert(config, sampleAlarmEvent(config, failure, now))));
      messages.push({
        alarm: `${config.project}-${failure.name}`,
        severity: failure.severity,
        kind: 'failure',
      });
    }

    lines.push(
      failures.length ? 'escalation per severity:' : 'nothing failed; what each severity would send:',
    );
    for (const severity of SEVERITIES) {
      const sample: SampleAlarm = {
        name: `sample-${severity}`,
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
