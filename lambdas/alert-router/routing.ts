/**
 * Which alarms Nightshift pages for, and with which severity: the one decision shared by the alert
 * router (an alarm state change arrives), `nightshift alarms` (listing the account's alarms) and
 * `nightshift plan` (the synthesized template's alarms). Pure: the caller supplies the tags when
 * `needsTags` says they matter, since fetching them costs an API call.
 */
import type { Severity } from '../../lib/config/primitives';
import { resolveSeverity } from '../../lib/config/severity-names';
import { decodeAlarmDescription, SEVERITY_TAG, TARGET_TAG } from '../shared/alarm-metadata';
import type { RouterSettings } from './settings';

export const PROJECT_TAG = 'nightshift:project';
export const RUNBOOK_TAG = 'nightshift:runbook';
/**
 * Auto Scaling target-tracking alarms flap by design: the EventBridge rule never sends them to the router
 * (lib/constructs/alerting/router.ts), and listings treat them as unrouted.
 */
export const NEVER_ROUTED_PREFIX = 'TargetTracking-';

/** The settings the decision depends on (a subset of the router's NIGHTSHIFT_ALERTS). */
export type RoutingSettings = Pick<RouterSettings, 'project' | 'routeAlarms' | 'severities' | 'aliases'>;

export interface AlarmIdentity {
  readonly name: string;
  readonly description?: string | undefined;
  /** The alarm's tags; undefined when not fetched (fine when `needsTags` is false). */
  readonly tags?: Readonly<Record<string, string>> | undefined;
}

export type RoutingDecision =
  | {
      readonly routed: true;
      readonly severity: Severity;
      readonly target: string;
      readonly summary: string;
      readonly runbook?: string | undefined;
    }
  | { readonly routed: false; readonly why: string };

/**
 * Whether the decision needs the alarm's tags: Nightshift alarms carry everything in their description
 * (which comes with the event); other alarms opt in by tag.
 */
export function needsTags(description: string | undefined): boolean {
  return decodeAlarmDescription(description).meta === undefined;
}

/** Decides whether Nightshift pages for an alarm, and with which severity, target and runbook. */
export function routingDecision(settings: RoutingSettings, alarm: AlarmIdentity): RoutingDecision {
  const { routeAlarms } = settings;
  if (alarm.name.startsWith(NEVER_ROUTED_PREFIX)) {
    return { routed: false, why: `"${NEVER_ROUTED_PREFIX}*" alarms (Auto Scaling) are never routed` };
  }
  const decoded = decodeAlarmDescription(alarm.description);
  const meta = decoded.meta;
  if (meta?.project && meta.project !== settings.project) {
    return { routed: false, why: `belongs to Nightshift project "${meta.project}"` };
  }
  const tags = alarm.tags ?? {};
  if (tags[PROJECT_TAG] && tags[PROJECT_TAG] !== settings.project) {
    return { routed: false, why: `belongs to Nightshift project "${tags[PROJECT_TAG]}"` };
  }
  const ownPrefix = `${settings.project}-`;
  const own = alarm.name.startsWith(ownPrefix);
  const prefixed = routeAlarms.namePrefix ? alarm.name.startsWith(routeAlarms.namePrefix) : false;
  const tagged = tags[routeAlarms.tagKey] !== undefined || tags[SEVERITY_TAG] !== undefined;
  if (!meta && !own && !prefixed && !tagged) {
    return {
      routed: false,
      why: `not routed: no "${routeAlarms.tagKey}" tag${routeAlarms.namePrefix ? ` and name does not start with "${routeAlarms.namePrefix}"` : ''}`,
    };
  }
  // Tag values may be the runbook's names ("P1"), as anywhere a severity is written.
  const tagSeverity = [tags[routeAlarms.tagKey], tags[SEVERITY_TAG]]
    .map((value) => (value === undefined ? undefined : resolveSeverity(settings.aliases, value)))
    .find((value): value is Severity => value !== undefined);
  const severity = meta?.severity ?? tagSeverity ?? routeAlarms.severity;
  const target = meta?.target ?? tags[TARGET_TAG] ?? (own ? alarm.name.slice(ownPrefix.length) : alarm.name);
  const firstLine = decoded.summary
    .split('\n')
    .map((l) => l.trim())
    .find(Boolean);
  const summary = (firstLine ?? alarm.name).replace(/\.$/, '');
  const runbook = meta?.runbook ?? tags[RUNBOOK_TAG] ?? settings.severities[severity].runbook;
  return { routed: true, severity, target, summary, runbook };
}

/** The levels an alarm of `severity` notifies, in order (first, then each escalation). */
export function escalationLevels(
  settings: Pick<RouterSettings, 'levels' | 'severities'>,
  severity: Severity,
): string[] {
  return settings.levels.slice(settings.severities[severity].firstLevel).map((level) => level.name);
}
