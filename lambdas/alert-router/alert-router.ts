/**
 * The alert router core: one CloudWatch alarm state change in, readable notifications out.
 *
 * ALARM  → severity from the description metadata, else tags, else routeAlarms.severity; one Step
 *          Functions execution per episode (duplicate events fail to start a second one and page no
 *          one); then the first level of the severity is notified — unless a maintenance window holds
 *          it, in which case the execution waits for the window to end and pages if still in ALARM.
 * OK     → after ALARM: "RESOLVED after 23 min" to every level the escalation reached; escalation stops.
 * INSUFFICIENT_DATA → e-mail only to the first level ("no data"); escalation stops.
 */

import {
  type CloudWatchClient,
  DescribeAlarmHistoryCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-cloudwatch';
import { type CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  ExecutionAlreadyExists,
  ListExecutionsCommand,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Severity } from '../../lib/config/primitives';
import { severityName } from '../../lib/config/severity-names';
import { deliverySeed } from '../ack-link/links';
import type { Log } from '../shared/log';
import { reasonOf, redact } from '../shared/redact';
import { type AckLinkStore, LinkMinter, type PageLinks, storeLinks } from './ack-links';
import {
  describeDeadLetters,
  JOBS_DLQ_ALARM,
  jobsDeadLetterQueueName,
  peekDeadLetters,
} from './dead-letters';
import {
  type EscalationInput,
  type EscalationNotice,
  type EscalationPromotion,
  executionName,
  executionPrefix,
  remindersPerExecution,
  type TeamNotice,
} from './escalation-definition';
import { assertAlarmEvent, type EventFacts, eventFacts, mergedJobSummary } from './event';
import {
  type AlarmFacts,
  channelsOf,
  type EscalationPlan,
  NOT_ASKED,
  type RenderedMessage,
  type RenderOptions,
  renderAlarm,
  renderEscalation,
  renderGone,
  renderNoData,
  renderRecovery,
  renderTeamEscalated,
  renderTestPage,
  toReminderRender,
} from './format';
import { type ActiveWindow, activeWindow } from './maintenance';
import type { Notifier } from './notifier';
import { onCallMember, publishInput, smsInput } from './notifier';
import { needsTags, routingDecision } from './routing';
import type { LevelSettings, RouterSettings } from './settings';
import { isTestPageEvent, requesterText, type TestPageEvent } from './test-page';

export interface Escalations {
  /** Starts the episode's execution; "duplicate" when it already exists with another delivery. */
  start(name: string, input: EscalationInput): Promise<'started' | 'duplicate'>;
  /** Stops every running execution of the alarm; returns how many were stopped. */
  stopAll(alarmName: string, cause: string): Promise<number>;
}

export interface RouterDeps {
  readonly settings: RouterSettings;
  readonly notifier: Notifier;
  /** Absent: no escalation (local runs). */
  readonly escalations?: Escalations | undefined;
  readonly cloudwatch: Pick<CloudWatchClient, 'send'>;
  readonly logs: Pick<CloudWatchLogsClient, 'send'>;
  /** Peeks at the jobs' dead-letter queue for the jobs-dlq page; absent: the generic summary. */
  readonly sqs?: Pick<SQSClient, 'send'> | undefined;
  readonly log: Log;
  /** Absent: pages carry no one-tap acknowledge link (local runs). */
  readonly ackLinks?: AckLinkStore | undefined;
  /** The clock links are minted by (defaults to the real one). */
  readonly now?: (() => Date) | undefined;
}

export interface RouterInput {
  readonly event: unknown;
  /** Unique per delivery (the Lambda request id, stable across Lambda's own retries). */
  readonly deliveryId: string;
}

export type RouterAction =
  | 'notified'
  | 'held'
  | 'duplicate'
  | 'resolved'
  | 'no-data'
  | 'suppressed'
  | 'ignored'
  | 'test-page'
  | 'acknowledged';

export interface RouterResult {
  readonly action: RouterAction;
  readonly alarmName: string;
  readonly why: string;
  readonly severity?: Severity;
  /** Levels notified now. */
  readonly levels?: string[];
  readonly execution?: string;
  readonly messages?: RenderedMessage[];
}

// ---------------------------------------------------------------------------------------------
// Routing: which alarms, which severity
// ---------------------------------------------------------------------------------------------

export interface Route {
  readonly severity: Severity;
  readonly target: string;
  readonly summary: string;
  readonly runbook?: string | undefined;
}

async function tagsOf(deps: RouterDeps, facts: EventFacts): Promise<Record<string, string>> {
  if (facts.tags) return facts.tags;
  try {
    const out = await deps.cloudwatch.send(new ListTagsForResourceCommand({ ResourceARN: facts.alarmArn }));
    return Object.fromEntries((out.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  } catch (error) {
    deps.log.warn('could not read alarm tags; routing by name only', {
      alarmName: facts.alarmName,
      reason: reasonOf(error),
    });
    return {};
  }
}

/** Decides whether an alarm is ours to route and with which severity (lambdas/alert-router/routing.ts). */
export async function resolveRoute(
  deps: RouterDeps,
  facts: EventFacts,
): Promise<Route | { ignored: string }> {
  // Nightshift alarms carry everything in the description; others need their tags.
  const tags = needsTags(facts.description) ? await tagsOf(deps, facts) : facts.tags;
  const decision = routingDecision(deps.settings, {
    name: facts.alarmName,
    description: facts.description,
    tags,
  });
  if (!decision.routed) return { ignored: decision.why };
  const { severity, target, runbook } = decision;
  // a job's merged failed-or-did-not-run alarm says which of the two happened
  let summary = mergedJobSummary(decision.summary, target, facts);
  if (facts.alarmName === `${deps.settings.project}-${JOBS_DLQ_ALARM}` && facts.state === 'ALARM') {
    summary = await withDeadLetters(deps, facts, summary);
  }
  return { severity, target, summary, runbook };
}

/** The jobs-dlq page names the jobs whose events are in the queue; a failed peek keeps the summary. */
async function withDeadLetters(deps: RouterDeps, facts: EventFacts, summary: string): Promise<string> {
  if (!deps.sqs) return summary;
  const project = deps.settings.project;
  const queueUrl = `https://sqs.${facts.region}.amazonaws.com/${facts.account}/${jobsDeadLetterQueueName(project)}`;
  try {
    const named = describeDeadLetters(await peekDeadLetters(deps.sqs, queueUrl, project));
    return named ? `${summary}: ${named}` : summary;
  } catch (error) {
    deps.log.warn('could not peek at the jobs dead-letter queue; paging without the job names', {
      reason: reasonOf(error),
    });
    return summary;
  }
}

// ---------------------------------------------------------------------------------------------
// Plans and messages
// ---------------------------------------------------------------------------------------------

/** The escalation plan of a severity, starting at `startsAt`. */
export function escalationPlan(settings: RouterSettings, severity: Severity, startsAt: Date): EscalationPlan {
  const policy = settings.severities[severity];
  const levels = settings.levels.slice(policy.firstLevel);
  return {
    startsAt,
    ...(policy.promoteAfterMs && policy.promoteTo
      ? { raise: { to: severityName(settings.aliases, policy.promoteTo), afterMs: policy.promoteAfterMs } }
      : {}),
    repeatEveryMs: policy.repeatEveryMs,
    steps: levels.map((level, i) => ({
      level: level.name,
      channels: channelsOf(level),
      afterMs: i * policy.escalateAfterMs,
    })),
  };
}

function toFacts(settings: RouterSettings, event: EventFacts, route: Route, extra: Partial<AlarmFacts> = {}) {
  const facts: AlarmFacts = {
    project: settings.project,
    alarmName: event.alarmName,
    alarmArn: event.alarmArn,
    region: event.region,
    kind: event.kind,
    severity: route.severity,
    target: route.target,
    summary: route.summary,
    state: event.state,
    previousState: event.previousState,
    changedAt: event.changedAt,
    reason: redact(event.reason),
    value: event.value,
    threshold: event.threshold,
    comparison: event.comparison,
    measured: event.measured,
    triggeringAlarms: event.triggeringAlarms,
    runbook: route.runbook,
    ...extra,
  };
  return facts;
}

export function notice(
  topicArn: string,
  level: string,
  message: RenderedMessage,
  phone?: string,
): EscalationNotice {
  const input = publishInput(topicArn, message);
  const text = phone && message.toSms ? smsInput(phone, message) : undefined;
  return {
    level,
    topicArn,
    subject: input.Subject,
    message: input.Message,
    sms: message.toSms ? 'yes' : 'no',
    ...(text ? { phone: text.PhoneNumber, text: text.Message } : {}),
  };
}

/** A message as the escalation publishes it to each level paged so far (TeamNotice). */
function teamNotice(message: RenderedMessage): TeamNotice {
  // the topic is the step's; publishInput renders and redacts subject and body as for any page
  const input = publishInput('', message);
  return { subject: input.Subject, message: input.Message, sms: message.toSms ? 'yes' : 'no' };
}

/**
 * Everything the execution of one episode needs, preformatted. `execution` names the episode's first
 * execution (continuations are named after it) and when its escalation starts (the alarm time, or the
 * end of a maintenance window). Both derive from the event: a Lambda retry of the same delivery must
 * send the same input, which StartExecution accepts as the same execution.
 */
export function escalationInput(
  settings: RouterSettings,
  facts: AlarmFacts,
  plan: EscalationPlan,
  options: RenderOptions,
  first: RenderedMessage,
  deliveryId: string,
  held: ActiveWindow | undefined,
  execution: { readonly name: string; readonly startedAt: Date } = {
    name: executionName(facts.alarmName, facts.changedAt),
    startedAt: plan.startsAt,
  },
  minter?: LinkMinter,
): EscalationInput {
  const own = escalationOf(settings, facts, plan, options, minter, first);
  const promotion = promotionOf(settings, facts, plan.startsAt, options, 0, minter);
  return {
    alarm: {
      name: facts.alarmName,
      type: facts.kind === 'composite' ? 'CompositeAlarm' : 'MetricAlarm',
      episode: facts.changedAt.toISOString(),
      gone: teamNotice(renderGone(facts, options)),
    },
    ...(held ? { holdUntil: held.end.toISOString() } : {}),
    escalateAfterSeconds: own.escalateAfterSeconds,
    repeatEverySeconds: own.repeatEverySeconds,
    pos: { next: held ? 0 : 1, count: own.steps.length },
    steps: own.steps,
    reminder: own.reminder,
    clock: { elapsed: 0 },
    ...(promotion ? { promotion } : {}),
    deliveryId,
    continuation: {
      name: execution.name,
      part: 1,
      startedAt: execution.startedAt.toISOString(),
      reminders: 0,
      inPart: 0,
      perPart: remindersPerExecution(repeatEveryOf(own.repeatEverySeconds, promotion)),
    },
  };
}

/** The repeatEvery of a severity and of every severity it may be raised to. */
function repeatEveryOf(own: number, promotion: EscalationPromotion | undefined): number[] {
  return promotion ? [own, ...repeatEveryOf(promotion.repeatEverySeconds, promotion.promotion)] : [own];
}

/** The preformatted notices and timings of one severity's escalation. */
function escalationOf(
  settings: RouterSettings,
  facts: AlarmFacts,
  plan: EscalationPlan,
  options: RenderOptions,
  minter: LinkMinter | undefined,
  first?: RenderedMessage,
) {
  const policy = settings.severities[facts.severity];
  const levels = settings.levels.slice(policy.firstLevel);
  const top = levels[levels.length - 1]!;
  // A rotating level's step goes to whoever is on call when the step is due: e-mail through their
  // topic, SMS to their number. Each page gets its own acknowledge links, minted for that recipient.
  const noticeAt = (
    level: LevelSettings,
    afterMs: number,
    render: (o: RenderOptions) => RenderedMessage,
    rendered = false,
  ) => {
    const dueAt = new Date(plan.startsAt.getTime() + afterMs);
    const member = onCallMember(level, dueAt);
    // `rendered`: the router's own first page, whose links it minted itself
    const ackLink = rendered ? undefined : minter?.linksFor(level, dueAt, member);
    const message = render(ackLink ? { ...options, ackLink } : options);
    return notice(member?.topicArn ?? level.topicArn, level.name, message, member?.phone);
  };
  // The reminder also keeps what it was rendered from, its links included (options.ackLink).
  const reminderOf = (level: LevelSettings, afterMs: number): EscalationNotice => {
    let used = options;
    const fallback = noticeAt(level, afterMs, (o) => {
      used = o;
      return renderEscalation(facts, plan, o, 'reminder', NOT_ASKED);
    });
    return { ...fallback, render: toReminderRender(facts, plan, used) };
  };
  // alerts.levels[].notifyTeam: the levels paged before it hear that it was reached
  const withTeam = (step: EscalationNotice, level: LevelSettings, i: number): EscalationNotice =>
    level.notifyTeam && i > 0
      ? { ...step, team: teamNotice(renderTeamEscalated(facts, plan, options, i)) }
      : step;
  return {
    escalateAfterSeconds: Math.round(policy.escalateAfterMs / 1000),
    repeatEverySeconds: Math.round(policy.repeatEveryMs / 1000),
    steps: levels.map((level, i) =>
      withTeam(
        noticeAt(
          level,
          i * policy.escalateAfterMs,
          (o) => (i === 0 ? (first ?? renderAlarm(facts, plan, o)) : renderEscalation(facts, plan, o, i)),
          i === 0 && first !== undefined,
        ),
        level,
        i,
      ),
    ),
    // Rendered again at each reminder with a fresh value (reminder.ts); this one is the fallback. The
    // render context keeps the options with this reminder's acknowledge links (ackLink).
    reminder: reminderOf(top, (levels.length - 1) * policy.escalateAfterMs + policy.repeatEveryMs),
  };
}

/**
 * The promotion chain from facts.severity (alerts.severities.<s>.promoteAfter): each raised severity's
 * escalation, preformatted, with its time counted from the escalation start. Config validation only
 * allows raising to a more severe severity, so the chain ends (at critical at the latest).
 */
function promotionOf(
  settings: RouterSettings,
  facts: AlarmFacts,
  startsAt: Date,
  options: RenderOptions,
  elapsedSeconds: number,
  minter?: LinkMinter,
): EscalationPromotion | undefined {
  const policy = settings.severities[facts.severity];
  if (!policy.promoteAfterMs || !policy.promoteTo) return undefined;
  const afterSeconds = elapsedSeconds + Math.round(policy.promoteAfterMs / 1000);
  const at = new Date(startsAt.getTime() + afterSeconds * 1000);
  const raised: AlarmFacts = {
    ...facts,
    severity: policy.promoteTo,
    runbook: facts.runbook ?? settings.severities[policy.promoteTo].runbook,
  };
  const plan = escalationPlan(settings, policy.promoteTo, at);
  const raisedOptions: RenderOptions = {
    ...options,
    heldBy: undefined,
    promotedFrom: { severity: facts.severity, afterMs: afterSeconds * 1000 },
  };
  const escalation = escalationOf(settings, raised, plan, raisedOptions, minter);
  const next = promotionOf(settings, raised, startsAt, options, afterSeconds, minter);
  return {
    severity: policy.promoteTo,
    afterSeconds,
    at: at.toISOString(),
    escalateAfterSeconds: escalation.escalateAfterSeconds,
    repeatEverySeconds: escalation.repeatEverySeconds,
    count: escalation.steps.length,
    steps: escalation.steps,
    reminder: escalation.reminder,
    ...(next ? { promotion: next } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Lookups at alarm time
// ---------------------------------------------------------------------------------------------

interface HistoryData {
  oldState?: { stateValue?: string };
  newState?: { stateValue?: string };
}

/** When the ALARM episode that `facts` ends began: from alarm history, else previousState.timestamp. */
export async function episodeStart(deps: RouterDeps, facts: EventFacts): Promise<Date> {
  try {
    const out = await deps.cloudwatch.send(
      new DescribeAlarmHistoryCommand({
        AlarmName: facts.alarmName,
        AlarmTypes: [facts.kind === 'composite' ? 'CompositeAlarm' : 'MetricAlarm'],
        HistoryItemType: 'StateUpdate',
        EndDate: facts.changedAt,
        ScanBy: 'TimestampDescending',
        MaxRecords: 50,
      }),
    );
    for (const item of out.AlarmHistoryItems ?? []) {
      if (!item.Timestamp || !item.HistoryData || item.Timestamp >= facts.changedAt) continue;
      const data = JSON.parse(item.HistoryData) as HistoryData;
      if (data.newState?.stateValue === 'ALARM' && data.oldState?.stateValue !== 'ALARM')
        return item.Timestamp;
    }
  } catch (error) {
    deps.log.warn('could not read alarm history; using previousState.timestamp', {
      alarmName: facts.alarmName,
      reason: reasonOf(error),
    });
  }
  return facts.previousChangedAt;
}

const SAMPLE_MAX = 400;

/** For a log-pattern alarm: the latest matching line around the alarm time, redacted. */
export async function logSample(deps: RouterDeps, facts: EventFacts): Promise<string | undefined> {
  const pattern = deps.settings.logPatterns.find((p) => p.alarmName === facts.alarmName);
  if (!pattern) return undefined;
  const window = Math.max(pattern.periodMs, (facts.periodSeconds ?? 0) * 1000);
  try {
    const out = await deps.logs.send(
      new FilterLogEventsCommand({
        logGroupName: pattern.logGroup,
        filterPattern: pattern.pattern,
        startTime: facts.changedAt.getTime() - window - 60_000,
        endTime: facts.changedAt.getTime() + 60_000,
        limit: 50,
      }),
    );
    const line = out.events?.filter((e) => e.message).at(-1)?.message;
    if (!line) return undefined;
    const clean = redact(line.replace(/\s+/g, ' ').trim());
    return clean.length > SAMPLE_MAX ? `${clean.slice(0, SAMPLE_MAX - 1)}…` : clean;
  } catch (error) {
    deps.log.warn('could not fetch a matching log line', {
      alarmName: facts.alarmName,
      logGroup: pattern.logGroup,
      reason: reasonOf(error),
    });
    return undefined;
  }
}

/**
 * The levels an episode that began at `start` has paged by `at` ("the team" of ADR 006): the severity's
 * first level, then one more every escalateAfter, counted from the end of a maintenance window that
 * held the first page. Recovery and acknowledgement notices go to them.
 */
export function pagedLevels(
  settings: RouterSettings,
  severity: Severity,
  start: Date,
  at: Date,
  names: readonly string[],
): LevelSettings[] {
  const policy = settings.severities[severity];
  const held = activeWindow(settings.maintenance, start, settings.timeZone, names);
  if (held && at < held.end) return [];
  const elapsed = at.getTime() - (held?.end ?? start).getTime();
  const reachable = settings.levels.slice(policy.firstLevel);
  const reached = Math.min(
    reachable.length,
    1 + Math.max(0, Math.floor(elapsed / Math.max(1, policy.escalateAfterMs))),
  );
  return reachable.slice(0, reached);
}

/** The names a maintenance window may use for an alarm: its name, short name, target and its parts. */
export function windowNames(
  alarm: { alarmName: string },
  route: Pick<Route, 'target'>,
  project: string,
): string[] {
  const facts = alarm;
  const names = [facts.alarmName, route.target];
  if (facts.alarmName.startsWith(`${project}-`)) names.push(facts.alarmName.slice(project.length + 1));
  const slash = route.target.indexOf('/');
  if (slash > 0) names.push(route.target.slice(0, slash), route.target.slice(slash + 1));
  return names;
}

// ---------------------------------------------------------------------------------------------
// The core
// ---------------------------------------------------------------------------------------------

/** A test page named a level the settings do not have. */
export class UnknownLevel extends Error {
  constructor(level: string, known: readonly string[]) {
    super(`there is no alert level "${level}" — the levels are ${known.join(', ')}`);
    this.name = 'UnknownLevel';
  }
}

/** A test page from `nightshift page --test`: one labelled message to one level, no escalation. */
async function testPage(deps: RouterDeps, event: TestPageEvent): Promise<RouterResult> {
  const { settings } = deps;
  const level = settings.levels.find((l) => l.name === event.detail.level);
  if (!level)
    throw new UnknownLevel(
      event.detail.level,
      settings.levels.map((l) => l.name),
    );
  const message = renderTestPage(
    {
      project: settings.project,
      level: level.name,
      channels: channelsOf(level),
      requestedBy: requesterText(event.detail.requestedBy),
      at: new Date(event.time),
    },
    { timeZone: settings.timeZone, aliases: settings.aliases },
  );
  await deps.notifier.notify(level, message);
  deps.log.info('test page sent', { level: level.name });
  return {
    alarmName: message.title,
    action: 'test-page',
    why: `test page to ${level.name} (${channelsOf(level)})`,
    levels: [level.name],
    messages: [message],
  };
}

export async function run(deps: RouterDeps, input: RouterInput): Promise<RouterResult> {
  if (isTestPageEvent(input.event)) return testPage(deps, input.event);
  assertAlarmEvent(input.event);
  const event = eventFacts(input.event);
  const { settings, log } = deps;
  const base = { alarmName: event.alarmName };

  const route = await resolveRoute(deps, event);
  if ('ignored' in route) {
    log.info('alarm ignored', { ...base, why: route.ignored });
    return { ...base, action: 'ignored', why: route.ignored };
  }
  const options: RenderOptions = { timeZone: settings.timeZone, aliases: settings.aliases };
  const names = windowNames(event, route, settings.project);
  const policy = settings.severities[route.severity];
  const firstLevel = settings.levels[policy.firstLevel] ?? settings.levels[0]!;

  if (event.state === 'ALARM') {
    if (event.previousState === 'ALARM') {
      return { ...base, action: 'ignored', why: 'still ALARM (reason update), not a new episode' };
    }
    const held = activeWindow(settings.maintenance, event.changedAt, settings.timeZone, names);
    const facts = toFacts(settings, event, route, { logSample: await logSample(deps, event) });
    const plan = escalationPlan(settings, route.severity, held?.end ?? event.changedAt);
    const renderOptions = held ? { ...options, heldBy: { name: held.name, until: held.end } } : options;
    const firstLinks = (minter: LinkMinter | undefined): PageLinks | undefined =>
      minter?.linksFor(firstLevel, plan.startsAt, onCallMember(firstLevel, plan.startsAt));
    const renderFirst = (links: PageLinks | undefined) =>
      renderAlarm(facts, plan, links ? { ...renderOptions, ackLink: links } : renderOptions);
    let first = renderAlarm(facts, plan, renderOptions);
    let execution: string | undefined;
    if (deps.escalations) {
      execution = executionName(event.alarmName, event.changedAt);
      const build = (minter: LinkMinter | undefined) => {
        first = renderFirst(firstLinks(minter));
        return escalationInput(
          settings,
          facts,
          plan,
          renderOptions,
          first,
          input.deliveryId,
          held,
          undefined,
          minter,
        );
      };
      let escalation = build(undefined);
      if (deps.ackLinks) {
        const now = (deps.now ?? (() => new Date()))();
        try {
          // a retry of this delivery mints the same link ids, so its escalation input is the same
          const seed = await deliverySeed(deps.ackLinks.dynamo, deps.ackLinks.table, input.deliveryId, now);
          const minter = new LinkMinter(
            deps.ackLinks.baseUrl,
            { alarm: event.alarmName, episode: event.changedAt, title: first.title },
            now,
            seed,
          );
          const withLinks = build(minter);
          await storeLinks(deps.ackLinks, minter);
          escalation = withLinks;
        } catch (error) {
          // A page without a link is better than no page: it still names `nightshift ack`.
          log.warn('could not store the acknowledge links; paging without them', {
            ...base,
            reason: reasonOf(error),
          });
          build(undefined);
        }
      }
      const started = await deps.escalations.start(execution, escalation);
      if (started === 'duplicate') {
        log.info('duplicate alarm event: this episode is already escalating, nobody paged again', {
          ...base,
          execution,
        });
        return {
          ...base,
          action: 'duplicate',
          why: 'episode already escalating',
          severity: route.severity,
          execution,
        };
      }
    }
    if (held) {
      log.info('notification held by maintenance window', {
        ...base,
        window: held.name,
        until: held.end.toISOString(),
      });
      return {
        ...base,
        action: 'held',
        why: `maintenance window "${held.name}" until ${held.end.toISOString()}`,
        severity: route.severity,
        execution,
        levels: [],
        messages: [first],
      };
    }
    await deps.notifier.notify(firstLevel, first);
    log.info('alarm notified', { ...base, severity: route.severity, level: firstLevel.name, execution });
    return {
      ...base,
      action: 'notified',
      why: `first level of ${route.severity}`,
      severity: route.severity,
      levels: [firstLevel.name],
      execution,
      messages: [first],
    };
  }

  if (event.previousState !== 'ALARM') {
    if (event.state === 'OK') {
      return { ...base, action: 'ignored', why: `${event.previousState} → OK is not a recovery` };
    }
  }

  // Leaving ALARM: stop escalating first, whatever happens next.
  let start: Date | undefined;
  if (event.previousState === 'ALARM') {
    start = await episodeStart(deps, event);
    if (deps.escalations) {
      const stopped = await deps.escalations.stopAll(event.alarmName, `alarm is ${event.state}`);
      log.info('escalation stopped', { ...base, stopped });
    }
  }
  const facts = toFacts(settings, event, route, { episodeStart: start });

  if (event.state === 'OK') {
    const heldAtStart = start
      ? activeWindow(settings.maintenance, start, settings.timeZone, names)
      : undefined;
    if (heldAtStart && event.changedAt < heldAtStart.end) {
      return {
        ...base,
        action: 'suppressed',
        why: `resolved within maintenance window "${heldAtStart.name}"`,
        severity: route.severity,
      };
    }
    const message = renderRecovery(facts, options);
    const levels = pagedLevels(settings, route.severity, start ?? event.changedAt, event.changedAt, names);
    for (const level of levels) await deps.notifier.notify(level, message);
    log.info('recovery notified', { ...base, levels: levels.map((l) => l.name) });
    return {
      ...base,
      action: 'resolved',
      why: message.title,
      severity: route.severity,
      levels: levels.map((l) => l.name),
      messages: [message],
    };
  }

  // INSUFFICIENT_DATA
  if (activeWindow(settings.maintenance, event.changedAt, settings.timeZone, names)) {
    return {
      ...base,
      action: 'suppressed',
      why: 'no data during a maintenance window',
      severity: route.severity,
    };
  }
  const message = renderNoData(facts, options);
  await deps.notifier.notify(firstLevel, message);
  return {
    ...base,
    action: 'no-data',
    why: message.title,
    severity: route.severity,
    levels: [firstLevel.name],
    messages: [message],
  };
}

// ---------------------------------------------------------------------------------------------
// Step Functions
// ---------------------------------------------------------------------------------------------

export function sfnEscalations(sfn: Pick<SFNClient, 'send'>, stateMachineArn: string, log: Log): Escalations {
  return {
    async start(name, input) {
      try {
        await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
        return 'started';
      } catch (error) {
        if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') {
          return 'duplicate';
        }
        throw error;
      }
    },
    async stopAll(alarmName, cause) {
      const prefix = executionPrefix(alarmName);
      let stopped = 0;
      let nextToken: string | undefined;
      do {
        const page = await sfn.send(
          new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', nextToken, maxResults: 100 }),
        );
        for (const execution of page.executions ?? []) {
          if (!execution.name?.startsWith(prefix) || !execution.executionArn) continue;
          try {
            await sfn.send(new StopExecutionCommand({ executionArn: execution.executionArn, cause }));
            stopped++;
          } catch (error) {
            log.warn('could not stop an escalation (it checks the alarm itself and will stop)', {
              execution: execution.name,
              reason: reasonOf(error),
            });
          }
        }
        nextToken = page.nextToken;
      } while (nextToken);
      return stopped;
    },
  };
}
