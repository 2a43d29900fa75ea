/**
 * What the router needs from the config, in one JSON document (the NIGHTSHIFT_ALERTS environment
 * variable in Lambda; built in memory by the CLI). Contacts are reduced to counts: messages say
 * "oncall (SMS)", never phone numbers.
 */
import { durationMs, SEVERITIES, type Severity } from '../../lib/config/primitives';
import { severityPolicy } from '../../lib/config/resolved';
import type { MaintenanceWindow, NightshiftConfig } from '../../lib/config/schema';
import type { SeverityAliases } from '../../lib/config/severity-names';

export interface LevelSettings {
  readonly name: string;
  readonly topicArn: string;
  readonly email: number;
  readonly sms: number;
}

export interface SeveritySettings {
  readonly firstLevel: number;
  readonly escalateAfterMs: number;
  readonly repeatEveryMs: number;
  readonly runbook?: string | undefined;
  /** Raise an unacknowledged alarm to `promoteTo` after this long (re-paged at its first level). */
  readonly promoteAfterMs?: number | undefined;
  readonly promoteTo?: Severity | undefined;
}

export interface LogPatternSettings {
  readonly alarmName: string;
  readonly logGroup: string;
  readonly pattern: string;
  readonly periodMs: number;
}

export interface RouterSettings {
  readonly project: string;
  readonly timeZone: string;
  readonly levels: readonly LevelSettings[];
  readonly severities: Readonly<Record<Severity, SeveritySettings>>;
  /** The runbook's severity names (alerts.severities.aliases): read from tags, shown in messages. */
  readonly aliases: SeverityAliases;
  readonly routeAlarms: {
    readonly tagKey: string;
    readonly namePrefix?: string | undefined;
    readonly severity: Severity;
  };
  readonly maintenance: readonly MaintenanceWindow[];
  readonly logPatterns: readonly LogPatternSettings[];
}

/** The name every Nightshift alarm carries: `<project>-<name>`. */
export function projectAlarmName(project: string, name: string): string {
  return `${project}-${name}`;
}

/** Alarm name of a log-pattern alarm. */
export function logPatternAlarmName(project: string, patternName: string): string {
  return projectAlarmName(project, `log-${patternName}`);
}

export function routerSettings(config: NightshiftConfig, topicArns: readonly string[]): RouterSettings {
  const { alerts } = config;
  if (topicArns.length !== alerts.levels.length) {
    throw new Error(
      `alerts.levels has ${alerts.levels.length} levels but ${topicArns.length} topics were given — one topic per level`,
    );
  }
  const severities = Object.fromEntries(
    SEVERITIES.map((severity) => {
      const policy = severityPolicy(config, severity);
      return [
        severity,
        {
          firstLevel: policy.firstLevel,
          escalateAfterMs: policy.escalateAfterMs,
          repeatEveryMs: policy.repeatEveryMs,
          ...(policy.runbook ? { runbook: policy.runbook } : {}),
          ...(policy.promoteAfterMs && policy.promoteTo
            ? { promoteAfterMs: policy.promoteAfterMs, promoteTo: policy.promoteTo }
            : {}),
        },
      ];
    }),
  ) as Record<Severity, SeveritySettings>;
  return {
    project: config.project,
    timeZone: config.timezone,
    levels: alerts.levels.map((level, i) => ({
      name: level.name,
      topicArn: topicArns[i] ?? '',
      email: level.email.length,
      sms: level.sms.length,
    })),
    severities,
    aliases: alerts.severities.aliases,
    routeAlarms: alerts.routeAlarms,
    maintenance: alerts.maintenance,
    logPatterns: alerts.logPatterns.map((p) => ({
      alarmName: logPatternAlarmName(config.project, p.name),
      logGroup: p.logGroup,
      pattern: p.pattern,
      periodMs: durationMs(p.period),
    })),
  };
}
