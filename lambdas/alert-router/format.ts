/**
 * Alert messages, as pure functions: facts about an alarm state change in, the subject, e-mail body,
 * SMS text and JSON document out. SNS receives them with MessageStructure=json, one body per protocol.
 *
 * Limits honoured here:
 * - SNS subjects must be ASCII, without line breaks, under 100 characters.
 * - SMS bodies fit one segment: 160 GSM-7 septets, or 70 UCS-2 units when the alarm's own text cannot
 *   be written in GSM-7 (sms.ts).
 */
import { formatDuration, type Severity } from '../../lib/config/primitives';
import { type SeverityAliases, severityName } from '../../lib/config/severity-names';
import { redact, redactDeep } from '../shared/redact';
import { chatbotNotification, chatEnvelope } from './chat';
import type { ReminderRender } from './escalation-definition';
import { fitSms, fitSmsWithLink, SMS_LIMITS, smsEncodingOf, smsLength } from './sms';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export type AlarmKind = 'metric' | 'math' | 'composite';

/** What the router knows about one alarm state change, normalised from the EventBridge event. */
export interface AlarmFacts {
  readonly project: string;
  readonly alarmName: string;
  readonly alarmArn: string;
  readonly region: string;
  readonly kind: AlarmKind;
  readonly severity: Severity;
  /** What the alarm is about, e.g. "api" or "backup/postgres". */
  readonly target: string;
  /** What is wrong, in plain words: "api health check failing". */
  readonly summary: string;
  readonly state: AlarmState;
  readonly previousState: AlarmState;
  /** When the alarm entered `state`. */
  readonly changedAt: Date;
  /** When the ALARM episode that just ended began (recovery and no-data messages). */
  readonly episodeStart?: Date | undefined;
  /** CloudWatch's own reason text. */
  readonly reason: string;
  /** Latest evaluated datapoint. */
  readonly value?: number | undefined;
  readonly threshold?: number | undefined;
  /** ">", ">=", "<" or "<=". */
  readonly comparison?: string | undefined;
  /** What is measured: "AWS/RDS CPUUtilization (DBInstanceIdentifier=shop) Average per 5 min". */
  readonly measured?: string | undefined;
  /** Composite alarms: the child alarms that triggered it. */
  readonly triggeringAlarms?: readonly string[] | undefined;
  /** Log-pattern alarms: one matching log line, redacted. */
  readonly logSample?: string | undefined;
  readonly runbook?: string | undefined;
}

export interface PlanStep {
  /** Level name from config. */
  readonly level: string;
  /** "e-mail", "SMS", "e-mail and SMS", "e-mail, SMS and chat" … (channelsOf). */
  readonly channels: string;
  /** Delay after the alarm (or after the maintenance window ends) when this level is notified. */
  readonly afterMs: number;
}

export interface EscalationPlan {
  readonly steps: readonly PlanStep[];
  readonly repeatEveryMs: number;
  /** When the first step fires (the alarm time, or the end of a maintenance window). */
  readonly startsAt: Date;
  /** promoteAfter: raised to the severity shown as `to` this long after startsAt, if unacknowledged. */
  readonly raise?: { readonly to: string; readonly afterMs: number } | undefined;
}

export interface RenderOptions {
  readonly timeZone: string;
  /** The runbook's severity names (alerts.severities.aliases): a severity with an alias is shown by it. */
  readonly aliases?: SeverityAliases | undefined;
  /** The first message of a raised severity (promoteAfter): raised from which severity, how long after. */
  readonly promotedFrom?: { readonly severity: Severity; readonly afterMs: number } | undefined;
  /** Shown as the maintenance window that holds the first notification. */
  readonly heldBy?: { readonly name: string; readonly until: Date } | undefined;
  /**
   * One-tap acknowledge links of this page (ADR 006), one per channel so the ack names who it went to.
   * `email` also goes to the JSON body and to `RenderedMessage.ackUrl` (chat deliveries read it).
   */
  readonly ackLink?: { readonly email?: string | undefined; readonly sms?: string | undefined } | undefined;
}

/**
 * The alarm as read when a reminder is sent (lambdas/alert-router/reminder.ts), quoted as
 * "now: 97.2 (was 99.5)". `error` says why a value could not be read; the reminder goes out anyway.
 */
export interface FreshReading {
  /** When it was read (absent: never read, the preformatted fallback). */
  readonly at?: Date | undefined;
  /** Latest datapoint of the alarm's metric or metric-math expression. */
  readonly value?: number | undefined;
  /** Timestamp of that datapoint. */
  readonly valueAt?: Date | undefined;
  /** CloudWatch's StateReason now, redacted (composite alarms: which children). */
  readonly reason?: string | undefined;
  /** Why there is no fresh value: "could not read the latest value (ThrottlingException: …)". */
  readonly error?: string | undefined;
}

/** A reminder rendered at reminder time: its number in the episode and what was read. */
export interface ReminderNow {
  readonly count?: number | undefined;
  readonly reading: FreshReading;
}

export interface RenderedMessage {
  /** Human title, may contain non-ASCII (used in the e-mail body and CLI preview). */
  readonly title: string;
  /** SNS Subject: ASCII, < 100 characters. */
  readonly subject: string;
  readonly email: string;
  readonly sms: string;
  /** Body of the "default" key, for HTTPS/SQS/Lambda/email-json subscribers. */
  readonly json: Record<string, unknown>;
  /** Whether SMS subscribers receive it (SMS subscriptions filter on the nightshift.sms attribute). */
  readonly toSms: boolean;
  /** The body's first paragraph (what is wrong, since when): chat messages quote it (chat.ts). */
  readonly lead?: readonly string[] | undefined;
  /**
   * The one-tap acknowledge link of a page (alarm, escalation, reminder), when the router minted one:
   * the e-mail's link, also in the JSON body. A chat delivery adds it to its message.
   */
  readonly ackUrl?: string | undefined;
}

export const SUBJECT_MAX_CHARS = 99;

const SEVERITY_SHORT: Record<Severity, string> = {
  critical: 'CRIT',
  high: 'HIGH',
  medium: 'MED',
  low: 'LOW',
};

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

/** SNS subjects are ASCII only: transliterate what we can (é → e, · → -), drop the rest. */
export function asciiSubject(title: string): string {
  const ascii = title
    .replace(/[·•]/g, '-')
    .replace(/[—–]/g, '-')
    .replace(/→/g, '->')
    .replace(/[“”]/g, '"')
    .replace(/[‘’]/g, "'")
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  const safe = /^[A-Za-z0-9[(]/.test(ascii) ? ascii : `Nightshift ${ascii}`;
  return safe.length <= SUBJECT_MAX_CHARS ? safe : `${safe.slice(0, SUBJECT_MAX_CHARS - 3).trimEnd()}...`;
}

/** "Wed 2 Oct, 17:04 BST" in the configured time zone. */
export function formatTime(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).format(date);
}

/** "17:04" in the configured time zone. */
export function formatClock(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(date);
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e9 || abs < 0.001)) return value.toExponential(2);
  return String(Number(value.toFixed(abs >= 100 ? 1 : 3)));
}

export const COMPARISON_WORDS: Record<string, string> = {
  '>': 'above',
  '>=': 'at or above',
  '<': 'below',
  '<=': 'at or below',
};

export function consoleUrl(region: string, alarmName: string): string {
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarmName)}`;
}

export function ackCommand(alarmName: string): string {
  return `nightshift ack ${/^[\w.:/-]+$/.test(alarmName) ? alarmName : `'${alarmName.replace(/'/g, "'\\''")}'`} --note "..."`;
}

/** The severity in titles and subjects: the runbook's alias as written ("P1"), else "HIGH". */
function severityLabel(severity: Severity, aliases: SeverityAliases | undefined): string {
  const name = severityName(aliases ?? {}, severity);
  return name === severity ? severity.toUpperCase() : name;
}

/** The severity in SMS texts: the alias, else the four-letter short form ("CRIT"). */
function severityShort(severity: Severity, aliases: SeverityAliases | undefined): string {
  const name = severityName(aliases ?? {}, severity);
  return name === severity ? SEVERITY_SHORT[severity] : name;
}

function headline(facts: AlarmFacts): string {
  return `${facts.project} · ${facts.summary}`;
}

/** One line on the measured value: "Current value 99.5, threshold > 50 (AWS/EC2 CPUUtilization …)". */
function valueLine(facts: AlarmFacts, label = 'Current value'): string | undefined {
  if (facts.value === undefined && facts.threshold === undefined) return undefined;
  const parts: string[] = [];
  if (facts.value !== undefined) parts.push(`${label}: ${formatNumber(facts.value)}`);
  if (facts.threshold !== undefined) {
    const words = facts.comparison ? COMPARISON_WORDS[facts.comparison] : undefined;
    parts.push(
      words
        ? `alarm when ${words} ${formatNumber(facts.threshold)}`
        : `threshold ${formatNumber(facts.threshold)}`,
    );
  }
  return parts.join(' — ');
}

/** "now: 97.2 (was 99.5)", "now: unknown — could not read … (was 99.5)" — `unit` when it has one. */
export function nowText(reading: FreshReading, was: number | undefined): string {
  const now =
    reading.value !== undefined
      ? formatNumber(reading.value)
      : `unknown — ${reading.error ?? 'no datapoint yet'}`;
  return `now: ${now}${was !== undefined ? ` (was ${formatNumber(was)})` : ''}`;
}

/** The fresh-value lines of a reminder's e-mail. */
function nowLines(facts: AlarmFacts, now: ReminderNow, timeZone: string): string[] {
  const { reading } = now;
  const lines: string[] = [];
  if (facts.kind === 'composite') {
    lines.push(
      reading.error
        ? `Now: unknown — ${reading.error}.`
        : `Now: still ALARM${reading.at ? ` at ${formatClock(reading.at, timeZone)}` : ''}.`,
    );
  } else {
    const at = reading.value !== undefined ? (reading.valueAt ?? reading.at) : undefined;
    lines.push(
      `Value ${nowText(reading, facts.value)}${at ? `, latest datapoint at ${formatClock(at, timeZone)}` : ''}.`,
    );
  }
  if (reading.reason && reading.reason !== facts.reason) lines.push(`CloudWatch says now: ${reading.reason}`);
  return lines;
}

/** A short reason for SMS: the value against the threshold, else the first clause of the reason. */
function shortReason(facts: AlarmFacts, now?: ReminderNow): string {
  if (now && facts.kind !== 'composite' && (now.reading.value !== undefined || facts.value !== undefined)) {
    const versus =
      facts.threshold !== undefined ? ` vs ${facts.comparison ?? ''}${formatNumber(facts.threshold)}` : '';
    const fresh = now.reading.value !== undefined ? formatNumber(now.reading.value) : '?';
    const was = facts.value !== undefined ? `, was ${formatNumber(facts.value)}` : '';
    return `now ${fresh}${was}${versus}`;
  }
  if (facts.value !== undefined && facts.threshold !== undefined) {
    return `${formatNumber(facts.value)} vs ${facts.comparison ?? ''}${formatNumber(facts.threshold)}`;
  }
  if (facts.triggeringAlarms?.length) return `by ${facts.triggeringAlarms.join(', ')}`;
  return facts.reason.split(/[.:(]/)[0]?.trim() ?? '';
}

function smsText(prefix: string, facts: AlarmFacts, tail: string, link?: string, now?: ReminderNow): string {
  const head = `${prefix} ${facts.project}/${facts.target}`;
  const reason = shortReason(facts, now);
  const text = [head, tail, facts.summary, reason ? `(${reason})` : ''].filter(Boolean).join(' ');
  const clean = text.replace(/\s+/g, ' ');
  // With a link the page stays one GSM-7 segment: the text is cut to leave the link whole.
  return link ? fitSmsWithLink(clean, link).text : fitSms(clean).text;
}

/** "e-mail", "SMS", "e-mail and SMS", "e-mail, SMS and chat" … for a level's contact counts. */
export function channelsOf(level: { email: number; sms: number; chat?: number | undefined }): string {
  const parts = [level.email ? 'e-mail' : '', level.sms ? 'SMS' : '', level.chat ? 'chat' : ''].filter(
    Boolean,
  );
  if (parts.length === 0) return 'no contacts';
  return parts.length === 1 ? (parts[0] as string) : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

/** The escalation plan with clock times: one line per level, then the repeat rule. */
export function planLines(plan: EscalationPlan, timeZone: string, acked = false): string[] {
  if (plan.steps.length === 0) return [];
  const line = (afterMs: number, text: string) => {
    const when = afterMs === 0 ? 'now' : `+${formatDuration(afterMs)}`;
    const at = formatClock(new Date(plan.startsAt.getTime() + afterMs), timeZone);
    return `  ${when.padEnd(8)} ${at}  ${text}`;
  };
  const { raise } = plan;
  // Once raised, the raised severity's levels and timings apply: later steps of this plan never happen.
  const steps = raise ? plan.steps.filter((step) => step.afterMs < raise.afterMs) : plan.steps;
  const lines = steps.map((step) => line(step.afterMs, `${step.level} (${step.channels})`));
  const last = plan.steps[plan.steps.length - 1];
  if (raise) lines.push(line(raise.afterMs, `raised to ${raise.to}: its first level is paged again`));
  else if (last) lines.push(`  then every ${formatDuration(plan.repeatEveryMs)}: ${last.level} again`);
  if (!acked) lines.push('  until the alarm is OK or someone acknowledges it.');
  return lines;
}

function detailLines(facts: AlarmFacts, timeZone: string, now?: ReminderNow): string[] {
  const lines: string[] = [];
  const value = valueLine(facts, now ? 'Value at alarm time' : undefined);
  if (value) lines.push(value);
  if (facts.measured) lines.push(`Measured: ${facts.measured}`);
  if (facts.triggeringAlarms?.length) lines.push(`Triggered by: ${facts.triggeringAlarms.join(', ')}`);
  if (facts.logSample) lines.push('Matching log line:', `  ${facts.logSample}`);
  lines.push(`CloudWatch says${now ? ' (at alarm time)' : ''}: ${facts.reason}`);
  lines.push(`Alarm: ${facts.alarmName} (${facts.kind === 'math' ? 'metric math' : facts.kind} alarm)`);
  lines.push(`Changed at: ${formatTime(facts.changedAt, timeZone)}`);
  return lines;
}

function linkLines(facts: AlarmFacts): string[] {
  return [
    `Runbook: ${facts.runbook ?? 'none configured (set alerts.severities.<severity>.runbook)'}`,
    `CloudWatch: ${consoleUrl(facts.region, facts.alarmName)}`,
  ];
}

/** What every paging e-mail ends with: the details, the links, the escalation plan, how to acknowledge. */
function bodyTail(
  facts: AlarmFacts,
  plan: EscalationPlan,
  timeZone: string,
  ackUrl?: string,
  now?: ReminderNow,
): string[] {
  return [
    ...(ackUrl ? [`Acknowledge in one tap: ${ackUrl}`, ''] : []),
    ...detailLines(facts, timeZone, now),
    '',
    ...linkLines(facts),
    '',
    'Escalation:',
    ...planLines(plan, timeZone),
    '',
    ackUrl
      ? `Or from a terminal: ${ackCommand(facts.alarmName)}`
      : `Acknowledge (stops escalation for this episode): ${ackCommand(facts.alarmName)}`,
  ];
}

function baseJson(facts: AlarmFacts, kind: string): Record<string, unknown> {
  return {
    version: 1,
    type: kind,
    project: facts.project,
    alarmName: facts.alarmName,
    alarmArn: facts.alarmArn,
    alarmKind: facts.kind,
    severity: facts.severity,
    target: facts.target,
    summary: facts.summary,
    state: facts.state,
    previousState: facts.previousState,
    changedAt: facts.changedAt.toISOString(),
    reason: facts.reason,
    value: facts.value ?? null,
    threshold: facts.threshold ?? null,
    comparison: facts.comparison ?? null,
    runbook: facts.runbook ?? null,
    consoleUrl: consoleUrl(facts.region, facts.alarmName),
    ...(facts.logSample ? { logSample: facts.logSample } : {}),
    ...(facts.triggeringAlarms?.length ? { triggeringAlarms: facts.triggeringAlarms } : {}),
  };
}

function finish(
  title: string,
  body: string[],
  sms: string,
  json: Record<string, unknown>,
  toSms: boolean,
  ackUrl?: string,
): RenderedMessage {
  const email = `${[title, '', ...body].join('\n')}\n\n— Nightshift\n`;
  const end = body.indexOf('');
  const lead = (end === -1 ? body : body.slice(0, end)).filter(Boolean);
  return {
    title,
    subject: asciiSubject(title),
    email,
    sms,
    json: ackUrl ? { ...json, ackUrl } : json,
    toSms,
    lead,
    ...(ackUrl ? { ackUrl } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

/** First notification of an ALARM episode. */
export function renderAlarm(
  facts: AlarmFacts,
  plan: EscalationPlan,
  options: RenderOptions,
): RenderedMessage {
  const sev = severityLabel(facts.severity, options.aliases);
  const raised = options.promotedFrom;
  const raisedText = raised
    ? `raised from ${severityLabel(raised.severity, options.aliases)} after ${formatDuration(raised.afterMs)}`
    : undefined;
  const title = `[${sev}] ${headline(facts)}${raisedText ? ` — ${raisedText}` : ''}`;
  const since = formatTime(facts.changedAt, options.timeZone);
  const body = [
    `What is wrong: ${facts.summary}.`,
    `Since: ${since}.`,
    ...(raisedText ? [`Still unacknowledged: ${raisedText}.`] : []),
    ...(options.heldBy
      ? [
          `This alarm started during the maintenance window "${options.heldBy.name}"; notifications were held until ${formatTime(options.heldBy.until, options.timeZone)}.`,
        ]
      : []),
    '',
    ...bodyTail(facts, plan, options.timeZone, options.ackLink?.email),
  ];
  const sms = smsText(
    severityShort(facts.severity, options.aliases),
    facts,
    raised ? 'ALARM, raised:' : 'ALARM',
    options.ackLink?.sms,
  );
  const json = {
    ...baseJson(facts, 'alarm'),
    ...(raised ? { promotedFrom: raised.severity } : {}),
    escalation: plan.steps.map((s) => ({
      level: s.level,
      at: new Date(plan.startsAt.getTime() + s.afterMs).toISOString(),
    })),
    repeatEveryMs: plan.repeatEveryMs,
  };
  return finish(title, body, sms, json, true, options.ackLink?.email);
}

/**
 * Sent by the escalation state machine when a level is reached (`step` ≥ 1) or at each reminder. A
 * reminder rendered at reminder time (`now`) quotes the fresh value next to the one at alarm time.
 */
export function renderEscalation(
  facts: AlarmFacts,
  plan: EscalationPlan,
  options: RenderOptions,
  step: number | 'reminder',
  now?: ReminderNow,
): RenderedMessage {
  const sev = severityLabel(facts.severity, options.aliases);
  const reminder = step === 'reminder';
  const current = reminder ? plan.steps[plan.steps.length - 1] : plan.steps[step];
  const previous = reminder ? plan.steps.slice(0, -1) : plan.steps.slice(0, step);
  const since = formatTime(facts.changedAt, options.timeZone);
  const every = `every ${formatDuration(plan.repeatEveryMs)}`;
  const tail = reminder
    ? `still failing (reminder${now?.count ? ` ${now.count},` : ''} ${every})`
    : `escalated to ${current?.level ?? 'next level'} after ${formatDuration(current?.afterMs ?? 0)}`;
  const title = `[${sev}] ${headline(facts)} — ${tail}`;
  const notified = previous.map((s) => s.level);
  const body = [
    `What is wrong: ${facts.summary}.`,
    now?.reading.at
      ? `In ALARM since ${since} (${formatDuration(now.reading.at.getTime() - facts.changedAt.getTime())}) and not acknowledged.`
      : `In ALARM since ${since} and not acknowledged.`,
    ...(now ? nowLines(facts, now, options.timeZone) : []),
    notified.length
      ? `Already notified: ${notified.join(', ')}.`
      : reminder
        ? 'This is a repeated reminder.'
        : '',
    '',
    ...bodyTail(facts, plan, options.timeZone, options.ackLink?.email, now),
  ];
  const sms = smsText(
    severityShort(facts.severity, options.aliases),
    facts,
    reminder ? 'STILL ALARM' : 'ALARM, escalated:',
    options.ackLink?.sms,
    now,
  );
  const json = {
    ...baseJson(facts, reminder ? 'reminder' : 'escalation'),
    level: current?.level ?? null,
    escalatedAfterMs: reminder ? null : (current?.afterMs ?? null),
    ...(now
      ? {
          reminder: now.count ?? null,
          now: {
            readAt: now.reading.at?.toISOString() ?? null,
            value: now.reading.value ?? null,
            valueAt: now.reading.valueAt?.toISOString() ?? null,
            reason: now.reading.reason ?? null,
            error: now.reading.error ?? null,
          },
        }
      : {}),
  };
  return finish(title, body, sms, json, true, options.ackLink?.email);
}

/** OK after ALARM: how long it was down. */
export function renderRecovery(facts: AlarmFacts, options: RenderOptions): RenderedMessage {
  const downMs = facts.episodeStart ? facts.changedAt.getTime() - facts.episodeStart.getTime() : undefined;
  const after = downMs !== undefined ? ` after ${formatDuration(downMs)}` : '';
  const title = `[RESOLVED] ${headline(facts)} — RESOLVED${after}`;
  const body = [
    `RESOLVED${after}: ${facts.summary} is over.`,
    facts.episodeStart
      ? `In ALARM from ${formatTime(facts.episodeStart, options.timeZone)} to ${formatTime(facts.changedAt, options.timeZone)}.`
      : `OK since ${formatTime(facts.changedAt, options.timeZone)}.`,
    'Escalation for this episode has stopped.',
    '',
    ...detailLines(facts, options.timeZone),
    '',
    ...linkLines(facts),
  ];
  const sms = fitSms(
    `RESOLVED${after}: ${severityShort(facts.severity, options.aliases)} ${facts.project}/${facts.target} ${facts.summary}`.replace(
      /\s+/g,
      ' ',
    ),
  ).text;
  const json = {
    ...baseJson(facts, 'recovery'),
    episodeStart: facts.episodeStart?.toISOString() ?? null,
    downMs: downMs ?? null,
  };
  return finish(title, body, sms, json, true);
}

/** INSUFFICIENT_DATA: the alarm cannot be evaluated. E-mail only (no SMS). */
export function renderNoData(facts: AlarmFacts, options: RenderOptions): RenderedMessage {
  const sev = severityLabel(facts.severity, options.aliases);
  const wasAlarm = facts.previousState === 'ALARM' && facts.episodeStart;
  const title = `[${sev}] ${headline(facts)} — no data`;
  const body = [
    `CloudWatch cannot evaluate this alarm: too few datapoints since ${formatTime(facts.changedAt, options.timeZone)}.`,
    'Usually the job or service that emits the metric stopped reporting. Check that it still runs.',
    ...(wasAlarm && facts.episodeStart
      ? [
          `It was in ALARM for ${formatDuration(facts.changedAt.getTime() - facts.episodeStart.getTime())} before; escalation has stopped.`,
        ]
      : []),
    '',
    ...detailLines(facts, options.timeZone),
    '',
    ...linkLines(facts),
  ];
  const sms = smsText(severityShort(facts.severity, options.aliases), facts, 'NO DATA');
  return finish(title, body, sms, baseJson(facts, 'insufficient-data'), false);
}

/** What a test page says (`nightshift page --test`). */
export interface TestPageFacts {
  readonly project: string;
  readonly level: string;
  /** "e-mail", "SMS" or "e-mail and SMS" (channelsOf). */
  readonly channels: string;
  readonly requestedBy: string;
  readonly at: Date;
}

/** A labelled test page: nothing is wrong, nothing to acknowledge; goes to SMS like a real page. */
export function renderTestPage(facts: TestPageFacts, options: RenderOptions): RenderedMessage {
  const title = `TEST PAGE — ${facts.project} — level ${facts.level}`;
  const body = [
    'This is a test page. Nothing is wrong and there is nothing to acknowledge.',
    `Requested by ${facts.requestedBy} at ${formatTime(facts.at, options.timeZone)} with "nightshift page --test".`,
    `It went through the deployed alert router and the "${facts.level}" level topic to its ${facts.channels} subscribers, like a real page.`,
    'If you are reading it, alerts reach you.',
  ];
  const sms = fitSms(
    `TEST PAGE ${facts.project} level ${facts.level}: alerts reach you. Nothing is wrong.`,
  ).text;
  const json = {
    version: 1,
    type: 'test',
    project: facts.project,
    level: facts.level,
    requestedBy: facts.requestedBy,
    sentAt: facts.at.toISOString(),
  };
  return finish(title, body, sms, json, true);
}

/**
 * The SNS Message for MessageStructure=json: the JSON document by default, text for e-mail and SMS,
 * an AWS Chatbot custom notification for HTTPS (Chatbot's subscription) and the chat document for
 * Lambda (the webhook delivery function), see chat.ts.
 */
export function snsMessage(message: RenderedMessage): string {
  // the last step before SNS: every body is redacted (the facts were already; this also masks any
  // secret value the process registered since)
  const chat = redactDeep(chatEnvelope(message));
  return JSON.stringify({
    default: JSON.stringify(redactDeep(message.json)),
    email: redact(message.email),
    sms: redact(message.sms),
    https: JSON.stringify(chatbotNotification(chat.chat)),
    lambda: JSON.stringify(chat),
  });
}

/** "GSM-7 57/160" or "UCS-2 41/70": the encoding and how much of the one segment is used. */
export function smsSize(sms: string): string {
  const encoding = smsEncodingOf(sms);
  return `${encoding} ${smsLength(sms, encoding)}/${SMS_LIMITS[encoding]}`;
}

/** Console rendering for `nightshift run` and previews. */
export function renderForConsole(message: RenderedMessage, levelName: string): string {
  const rule = '─'.repeat(72);
  return [
    rule,
    `to level "${levelName}"${message.toSms ? '' : ' (e-mail only)'}`,
    `Subject: ${message.subject}`,
    '',
    message.email.trimEnd(),
    '',
    `SMS (${smsSize(message.sms)}): ${message.sms}`,
    rule,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Reminders rendered at reminder time: what the router needs, as JSON in the escalation input
// ---------------------------------------------------------------------------------------------

/** The preformatted fallback reminder says why it has no fresh value. */
export const NOT_ASKED: ReminderNow = {
  reading: { error: 'the alert router could not be asked for a fresh value' },
};

/** The facts, plan and options of a reminder as JSON (dates become ISO strings). */
export function toReminderRender(
  facts: AlarmFacts,
  plan: EscalationPlan,
  options: RenderOptions,
): ReminderRender {
  return JSON.parse(JSON.stringify({ facts, plan, options })) as ReminderRender;
}

function dateOf(value: unknown, field: string): Date {
  const date = typeof value === 'string' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime()))
    throw new Error(`reminder render context: ${field} is not a date`);
  return date;
}

/** The inverse of toReminderRender. */
export function fromReminderRender(render: ReminderRender): {
  facts: AlarmFacts;
  plan: EscalationPlan;
  options: RenderOptions;
} {
  const facts = render.facts as unknown as AlarmFacts & { changedAt: unknown; episodeStart?: unknown };
  const plan = render.plan as unknown as EscalationPlan & { startsAt: unknown };
  const options = render.options as unknown as RenderOptions & { heldBy?: { name: string; until: unknown } };
  return {
    facts: {
      ...facts,
      changedAt: dateOf(facts.changedAt, 'facts.changedAt'),
      episodeStart:
        facts.episodeStart === undefined ? undefined : dateOf(facts.episodeStart, 'facts.episodeStart'),
    },
    plan: { ...plan, startsAt: dateOf(plan.startsAt, 'plan.startsAt') },
    options: {
      ...options,
      heldBy: options.heldBy
        ? { name: options.heldBy.name, until: dateOf(options.heldBy.until, 'options.heldBy.until') }
        : undefined,
    },
  };
}

/** An acknowledgement, told to the team (alert-router/team.ts). */
export interface AckFacts {
  readonly project: string;
  readonly alarmName: string;
  readonly region: string;
  readonly severity: Severity;
  readonly target: string;
  readonly summary: string;
  /** Who acknowledged: a masked contact for a link ("+1…23"), the login or --by for the CLI. */
  readonly by: string;
  readonly at: Date;
  readonly episodeStart: Date;
  readonly note?: string | undefined;
}

/** "acknowledged by +1…23 after 7 min" to every level the episode paged. */
export function renderAcknowledged(facts: AckFacts, options: RenderOptions): RenderedMessage {
  const after = formatDuration(Math.max(0, facts.at.getTime() - facts.episodeStart.getTime()));
  const sev = severityLabel(facts.severity, options.aliases);
  const said = `acknowledged by ${facts.by} after ${after}`;
  const title = `[ACK] [${sev}] ${facts.project} · ${facts.summary} — ${said}`;
  const body = [
    `${facts.summary}: ${said}, at ${formatTime(facts.at, options.timeZone)}.`,
    ...(facts.note ? [`Note: ${facts.note}`] : []),
    'The escalation for this episode stops; the RESOLVED message still goes out when it is over.',
    '',
    `Alarm: ${facts.alarmName}`,
    `In ALARM since: ${formatTime(facts.episodeStart, options.timeZone)}`,
    `CloudWatch: ${consoleUrl(facts.region, facts.alarmName)}`,
  ];
  const sms = fitSms(
    `ACK ${facts.project}/${facts.target}: ${said}${facts.note ? `. ${facts.note}` : ''}`.replace(
      /\s+/g,
      ' ',
    ),
  ).text;
  const json = {
    version: 1,
    type: 'acknowledged',
    project: facts.project,
    alarmName: facts.alarmName,
    severity: facts.severity,
    target: facts.target,
    summary: facts.summary,
    by: facts.by,
    at: facts.at.toISOString(),
    episodeStart: facts.episodeStart.toISOString(),
    note: facts.note ?? null,
  };
  return finish(title, body, sms, json, true);
}

/** Told to the levels paged so far when the alarm is deleted mid-episode (the escalation then stops). */
export function renderGone(facts: AlarmFacts, options: RenderOptions): RenderedMessage {
  const sev = severityLabel(facts.severity, options.aliases);
  const title = `[${sev}] ${headline(facts)} — alarm deleted, escalation stopped`;
  const body = [
    `The alarm ${facts.alarmName} was deleted while it was in ALARM (since ${formatTime(facts.changedAt, options.timeZone)}).`,
    'Nobody acknowledged it and it did not recover: the escalation stopped because there is nothing left to check.',
    'If the deletion was not planned (a stack update that replaced the alarm, a manual clean-up), check that the problem is really over.',
    '',
    `CloudWatch: ${consoleUrl(facts.region, facts.alarmName)}`,
  ];
  const sms = smsText(
    severityShort(facts.severity, options.aliases),
    facts,
    'ALARM DELETED, escalation stopped:',
  );
  return finish(title, body, sms, { ...baseJson(facts, 'alarm-deleted') }, true);
}

/** Told to the levels paged before `step` when it is reached (alerts.levels[].notifyTeam). */
export function renderTeamEscalated(
  facts: AlarmFacts,
  plan: EscalationPlan,
  options: RenderOptions,
  step: number,
): RenderedMessage {
  const sev = severityLabel(facts.severity, options.aliases);
  const current = plan.steps[step];
  const level = current?.level ?? 'the next level';
  const after = formatDuration(current?.afterMs ?? 0);
  const title = `[${sev}] ${headline(facts)} — escalated to ${level} after ${after}, still unacknowledged`;
  const body = [
    `Nobody acknowledged ${facts.summary} for ${after}: ${level} has been paged.`,
    `In ALARM since ${formatTime(facts.changedAt, options.timeZone)}.`,
    `Acknowledge to stop the escalation: ${ackCommand(facts.alarmName)}`,
    '',
    `CloudWatch: ${consoleUrl(facts.region, facts.alarmName)}`,
  ];
  const sms = smsText(severityShort(facts.severity, options.aliases), facts, `ESCALATED to ${level}:`);
  return finish(title, body, sms, { ...baseJson(facts, 'team-escalated'), level }, true);
}
