/**
 * Reminders with a fresh value: before each reminder the escalation state machine asks the router
 * (ReminderRequest), which reads the alarm now — DescribeAlarms for its state and reason, GetMetricData
 * for the latest datapoint of its metric or metric-math expression — and renders the reminder again:
 * "now: 97.2 (was 99.5)".
 *
 * - The alarm left ALARM (or was deleted) since the state machine checked: page "no", nothing is sent.
 * - A read fails: the reminder says so and still goes out (page "yes"); a missed page is worse.
 * - A rotating top level: the member on call now is paged (the episode may outlast a hand-off).
 */
import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricAlarm,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { expiryFor } from '../ack-link/links';
import { isObject } from '../shared/json';
import type { Log } from '../shared/log';
import { reasonOf, redact } from '../shared/redact';
import { type AckLinkStore, LinkMinter, storeLinks } from './ack-links';
import { notice } from './alert-router';
import {
  type EscalationNotice,
  REMINDER_REQUEST,
  type ReminderReply,
  type ReminderRequest,
} from './escalation-definition';
import {
  type AlarmFacts,
  type EscalationPlan,
  type FreshReading,
  fromReminderRender,
  type RenderOptions,
  renderEscalation,
} from './format';
import { onCallMember } from './notifier';
import type { LevelSettings, RotationMemberSettings, RouterSettings } from './settings';

export interface ReminderDeps {
  readonly settings: RouterSettings;
  readonly cloudwatch: Pick<CloudWatchClient, 'send'>;
  readonly log: Log;
  readonly now: () => Date;
  /** Absent: reminders keep the acknowledge links minted at alarm time (ADR 006). */
  readonly ackLinks?: AckLinkStore | undefined;
}

export function isReminderRequest(event: unknown): event is ReminderRequest {
  return (
    isObject(event) &&
    event.kind === REMINDER_REQUEST &&
    isObject(event.alarm) &&
    typeof event.alarm.name === 'string' &&
    isObject(event.reminder)
  );
}

type AlarmType = ReminderRequest['alarm']['type'];

/** What was read: the state (undefined: unreadable), and the reading to quote. */
export interface AlarmNow {
  readonly state: ReminderReply['state'];
  readonly reading: FreshReading;
}

/** How far back to look for the latest datapoint: the alarm's evaluation range and two periods more. */
function lookbackSeconds(alarm: MetricAlarm, period: number): number {
  return Math.max(600, period * ((alarm.EvaluationPeriods ?? 1) + 2));
}

/**
 * The GetMetricData queries that compute what the alarm evaluates, and the id of the one it alarms on:
 * a single-metric alarm becomes one MetricStat; a metric-math alarm keeps its own queries (metrics and
 * expressions), returning only the expression it alarms on.
 */
export function alarmQueries(alarm: MetricAlarm): { queries: MetricDataQuery[]; id: string; period: number } {
  if (alarm.Metrics?.length) {
    const evaluated =
      alarm.Metrics.find((m) => m.ReturnData === true && m.Id !== alarm.ThresholdMetricId) ??
      alarm.Metrics.find((m) => m.ReturnData !== false && m.Id !== alarm.ThresholdMetricId) ??
      alarm.Metrics[0]!;
    const id = evaluated.Id ?? 'm1';
    const period =
      evaluated.Period ??
      evaluated.MetricStat?.Period ??
      Math.max(60, ...alarm.Metrics.map((m) => m.MetricStat?.Period ?? m.Period ?? 60));
    return {
      id,
      period,
      queries: alarm.Metrics.map((m) => ({ ...m, ReturnData: m.Id === id })),
    };
  }
  const period = alarm.Period ?? 60;
  return {
    id: 'value',
    period,
    queries: [
      {
        Id: 'value',
        MetricStat: {
          Metric: { Namespace: alarm.Namespace, MetricName: alarm.MetricName, Dimensions: alarm.Dimensions },
          Period: period,
          Stat: alarm.ExtendedStatistic ?? alarm.Statistic ?? 'Average',
          ...(alarm.Unit ? { Unit: alarm.Unit } : {}),
        },
        ReturnData: true,
      },
    ],
  };
}

async function latestValue(
  deps: ReminderDeps,
  alarm: MetricAlarm,
  at: Date,
): Promise<Pick<FreshReading, 'value' | 'valueAt' | 'error'>> {
  const { queries, id, period } = alarmQueries(alarm);
  const lookback = lookbackSeconds(alarm, period);
  try {
    const out = await deps.cloudwatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: queries,
        StartTime: new Date(at.getTime() - lookback * 1000),
        EndTime: at,
        ScanBy: 'TimestampDescending',
      }),
    );
    const result = out.MetricDataResults?.find((r) => r.Id === id);
    const value = result?.Values?.[0];
    if (value === undefined) {
      const why = result?.Messages?.map((m) => m.Value).find(Boolean);
      return {
        error: why
          ? `CloudWatch could not compute it (${redact(why)})`
          : `no datapoint in the last ${Math.round(lookback / 60)} min`,
      };
    }
    return { value, valueAt: result?.Timestamps?.[0] };
  } catch (error) {
    return { error: `could not read the latest value (${reasonOf(error)})` };
  }
}

/** Reads the alarm now: its state, reason and (metric alarms) latest value. Never throws. */
export async function readAlarmNow(
  deps: ReminderDeps,
  alarm: { readonly name: string; readonly type: AlarmType },
): Promise<AlarmNow> {
  const at = deps.now();
  let metric: MetricAlarm | undefined;
  let state: string | undefined;
  let reason: string | undefined;
  try {
    const out = await deps.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: [alarm.name], AlarmTypes: [alarm.type] }),
    );
    metric = out.MetricAlarms?.[0];
    const found = metric ?? out.CompositeAlarms?.[0];
    if (!found) return { state: 'DELETED', reading: { at } };
    state = found.StateValue;
    reason = found.StateReason ? redact(found.StateReason) : undefined;
  } catch (error) {
    return {
      state: 'UNKNOWN',
      reading: { at, error: `could not read the alarm (${reasonOf(error)})` },
    };
  }
  if (state !== 'ALARM') {
    return {
      state: state === 'OK' || state === 'INSUFFICIENT_DATA' ? state : 'UNKNOWN',
      reading: { at, reason },
    };
  }
  if (!metric) return { state: 'ALARM', reading: { at, reason } };
  return { state: 'ALARM', reading: { at, reason, ...(await latestValue(deps, metric, at)) } };
}

/** Minimum time a reminder's acknowledge link stays usable after it is sent. */
const LINK_MARGIN_MS = 60 * 60 * 1000;

/**
 * When the links saved with the reminder stop working: the router minted them for the first reminder
 * (alert-router.ts escalationOf), valid LINK_TTL_HOURS from when it was due.
 */
export function savedLinkExpiry(plan: EscalationPlan): Date {
  const lastStep = plan.steps.at(-1)?.afterMs ?? 0;
  const firstReminder = new Date(plan.startsAt.getTime() + lastStep + plan.repeatEveryMs);
  return new Date(expiryFor(firstReminder) * 1000);
}

/**
 * The options to render this reminder with: the saved links while they stay usable until the next
 * reminder (at least LINK_MARGIN_MS), else fresh ones minted and stored now. Storing fails: the saved
 * links are kept (the page still names `nightshift ack`).
 */
async function reminderLinks(
  deps: ReminderDeps,
  request: ReminderRequest,
  render: { facts: AlarmFacts; plan: EscalationPlan; options: RenderOptions },
  level: LevelSettings | undefined,
  member: RotationMemberSettings | undefined,
): Promise<RenderOptions> {
  const { facts, plan, options } = render;
  const now = deps.now();
  const needUntil = now.getTime() + Math.max(plan.repeatEveryMs, LINK_MARGIN_MS);
  const saved = options.ackLink && savedLinkExpiry(plan).getTime() >= needUntil;
  if (saved || !deps.ackLinks || !level) return options;
  const episode = new Date(request.alarm.episode);
  const { ackLink: _old, ...plain } = options;
  const title = renderEscalation(facts, plan, plain, 'reminder').title;
  const minter = new LinkMinter(
    deps.ackLinks.baseUrl,
    {
      alarm: request.alarm.name,
      episode: Number.isNaN(episode.getTime()) ? facts.changedAt : episode,
      title,
    },
    now,
  );
  const ackLink = minter.linksFor(level, now, member);
  try {
    await storeLinks(deps.ackLinks, minter);
    return { ...options, ackLink };
  } catch (error) {
    deps.log.warn('could not store fresh acknowledge links; the reminder keeps the saved ones', {
      alarmName: request.alarm.name,
      reason: reasonOf(error),
    });
    return options;
  }
}

/** The notice without the render context (the state machine publishes it as it is). */
function plain(reminder: EscalationNotice): EscalationNotice {
  const { render: _render, ...rest } = reminder;
  return rest;
}

/** The reminder to send now, or none. Never throws for a failed read: the reminder says it instead. */
export async function freshReminder(deps: ReminderDeps, request: ReminderRequest): Promise<ReminderReply> {
  const { alarm, reminder, count } = request;
  const now = await readAlarmNow(deps, alarm);
  const base = { alarmName: alarm.name, count, state: now.state };
  if (now.state !== 'ALARM' && now.state !== 'UNKNOWN') {
    deps.log.info('reminder not sent: the alarm left ALARM since the last check', base);
    return { page: 'no', state: now.state, notice: plain(reminder) };
  }
  if (!reminder.render) {
    deps.log.warn('reminder has no render context; sending the preformatted one', base);
    return { page: 'yes', state: now.state, notice: plain(reminder) };
  }
  const render = fromReminderRender(reminder.render);
  const { facts, plan } = render;
  const level = deps.settings.levels.find((l) => l.name === reminder.level);
  const member = level ? onCallMember(level, deps.now()) : undefined;
  const options = await reminderLinks(deps, request, render, level, member);
  const message = renderEscalation(facts, plan, options, 'reminder', { count, reading: now.reading });
  if (now.reading.error) deps.log.warn('reminder without a fresh value', { ...base, why: now.reading.error });
  // As escalationOf addresses it, but for the member on call now.
  const topicArn = member?.topicArn ?? level?.topicArn ?? reminder.topicArn;
  const phone = level ? member?.phone : reminder.phone;
  return { page: 'yes', state: now.state, notice: notice(topicArn, reminder.level, message, phone) };
}
