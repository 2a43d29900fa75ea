/**
 * What the router needs from the config, in one JSON document (the NIGHTSHIFT_ALERTS environment
 * variable in Lambda; built in memory by the CLI). Contacts are reduced to counts: messages say
 * "oncall (SMS)", never phone numbers. Rotations are the exception: the router texts the member on
 * call directly, so it carries their numbers (already in the template as subscriptions elsewhere);
 * e-mail goes through each member's topic, so addresses stay out.
 */
import { durationMs, SEVERITIES, type Severity } from '../../lib/config/primitives';
import { severityPolicy } from '../../lib/config/resolved';
import type { MaintenanceWindow, NightshiftConfig } from '../../lib/config/schema';
import type { SeverityAliases } from '../../lib/config/severity-names';
import { maskEmail, maskPhone } from '../shared/mask';
import type { RotationSpec } from './rotation';

export interface RotationMemberSettings {
  readonly name: string;
  /** The member's own topic (e-mail subscription); absent when the member has no e-mail. */
  readonly topicArn?: string | undefined;
  /** E.164 number texted directly (SNS Publish with PhoneNumber). */
  readonly phone?: string | undefined;
}

export interface RotationSettings extends RotationSpec<RotationMemberSettings> {
  /** The config's time zone: hand-off times are wall-clock times there. */
  readonly timeZone: string;
}

export interface LevelSettings {
  readonly name: string;
  readonly topicArn: string;
  readonly email: number;
  readonly sms: number;
  /** Chat channels and webhooks of the level (messages say "e-mail and chat"); absent: none. */
  readonly chat?: number | undefined;
  /** Present when only the member on call is paged (the level topic then has no subscribers). */
  readonly rotation?: RotationSettings | undefined;
  /**
   * The topic's contacts, masked ("a…@example.com", "+1…23"): an ack link names who it was sent to
   * (lambdas/shared/mask.ts). Absent for rotating levels.
   */
  readonly masked?: { readonly email: readonly string[]; readonly sms: readonly string[] } | undefined;
  /** alerts.levels[].notifyTeam: reaching this level is told to the levels paged before it. */
  readonly notifyTeam?: boolean | undefined;
}

/** Topic name of a rotation member's e-mail topic (one per member and level). */
export function memberTopicName(project: string, level: string, member: string): string {
  return `${project}-rota-${level}-${member}`;
}

/** A member topic's ARN next to a level topic's (same partition, region and account). */
export function memberTopicArnBeside(levelTopicArn: string, project: string, level: string, member: string) {
  return `${levelTopicArn.split(':').slice(0, 5).join(':')}:${memberTopicName(project, level, member)}`;
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

/**
 * `memberTopicArn` names each rotation member's e-mail topic; by default it sits beside the level
 * topic (CDK passes the created topics' ARNs, which are tokens).
 */
export function routerSettings(
  config: NightshiftConfig,
  topicArns: readonly string[],
  memberTopicArn: (level: string, member: string) => string = (level, member) =>
    memberTopicArnBeside(
      topicArns[config.alerts.levels.findIndex((l) => l.name === level)] ?? '',
      config.project,
      level,
      member,
    ),
): RouterSettings {
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
      ...(level.notifyTeam ? { notifyTeam: true } : {}),
      email: level.rotation ? level.rotation.members.filter((m) => m.email).length : level.email.length,
      sms: level.rotation ? level.rotation.members.filter((m) => m.sms).length : level.sms.length,
      ...(level.chat.length + level.webhooks.length > 0
        ? { chat: level.chat.length + level.webhooks.length }
        : {}),
      ...(level.rotation
        ? {
            rotation: {
              timeZone: config.timezone,
              handoff: level.rotation.handoff,
              every: level.rotation.every,
              start: level.rotation.start,
              members: level.rotation.members.map((m) => ({
                name: m.name,
                ...(m.email ? { topicArn: memberTopicArn(level.name, m.name) } : {}),
                ...(m.sms ? { phone: m.sms } : {}),
              })),
            },
          }
        : {
            masked: { email: level.email.map(maskEmail), sms: level.sms.map(maskPhone) },
          }),
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
