/**
 * Chat renderings of a message, derived from the rendered e-mail's facts, for the two chat paths of a
 * level topic (docs/alerting.md, "Chat channels"):
 *
 * - `https` body: an AWS Chatbot (Amazon Q Developer in chat applications) custom notification
 *   (version "1.0", source "custom", content.title/description/nextSteps). Chatbot subscribes to the
 *   topic over HTTPS, so SNS hands it this body; e-mail and SMS keep their own bodies.
 * - `lambda` body: the chat document (ChatMessage) plus the JSON default, for the webhook delivery
 *   function (lambdas/webhook-delivery), which formats it per webhook kind.
 *
 * Links are written as bare URLs: the same notification reaches Slack and Microsoft Teams, whose link
 * markups differ, and both link a bare URL.
 */
import { COMPARISON_WORDS, formatNumber, type RenderedMessage } from './format';

/** What a chat message conveys, independent of the chat platform. Version 1. */
export interface ChatMessage {
  readonly version: 1;
  /** The JSON default's type: alarm, escalation, reminder, recovery, insufficient-data, test, … */
  readonly type: string;
  /** alarm: red; warning: amber (no data); ok: green (resolved); info: neutral (test pages, notices). */
  readonly tone: ChatTone;
  /** The message title, e.g. "[CRITICAL] shop · api health check failing". */
  readonly title: string;
  /** A few plain lines: what is wrong, since when, the value against the threshold. */
  readonly lines: readonly string[];
  /** The one-tap acknowledge link, when the router made one (RenderedMessage.ackUrl). */
  readonly ackUrl?: string | undefined;
  /** Acknowledging from a terminal, when there is no link. */
  readonly ackCommand?: string | undefined;
  readonly runbook?: string | undefined;
  readonly consoleUrl?: string | undefined;
  /** Groups the messages of one alarm in a chat thread. */
  readonly threadId?: string | undefined;
  readonly project?: string | undefined;
  readonly alarmName?: string | undefined;
}

export type ChatTone = 'alarm' | 'warning' | 'ok' | 'info';

export const TONE_EMOJI: Record<ChatTone, string> = {
  alarm: '🔴',
  warning: '🟠',
  ok: '✅',
  info: 'ℹ️',
};

/** Chatbot caps: longer titles and descriptions are cut. */
export const CHATBOT_TITLE_MAX = 250;
export const CHATBOT_DESCRIPTION_MAX = 3_000;

function toneOf(type: string): ChatTone {
  if (type === 'alarm' || type === 'escalation' || type === 'reminder') return 'alarm';
  if (type === 'insufficient-data') return 'warning';
  if (type === 'recovery') return 'ok';
  return 'info';
}

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;

/** "Current value: 99.5 — alarm when above 50", from the JSON default. */
function valueLine(json: Record<string, unknown>): string | undefined {
  const { value, threshold, comparison } = json;
  const parts: string[] = [];
  if (typeof value === 'number') parts.push(`Current value: ${formatNumber(value)}`);
  if (typeof threshold === 'number') {
    const words = typeof comparison === 'string' ? COMPARISON_WORDS[comparison] : undefined;
    parts.push(
      words ? `alarm when ${words} ${formatNumber(threshold)}` : `threshold ${formatNumber(threshold)}`,
    );
  }
  return parts.length ? parts.join(' — ') : undefined;
}

export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

/** The chat document of a rendered message. */
export function chatMessage(message: RenderedMessage): ChatMessage {
  const json = message.json;
  const type = str(json.type) ?? 'notice';
  const value = type === 'test' || type === 'recovery' ? undefined : valueLine(json);
  const alarmName = str(json.alarmName);
  const lead = message.lead ?? [];
  return {
    version: 1,
    type,
    tone: toneOf(type),
    title: message.title,
    lines: [...lead, ...(value && !lead.includes(value) ? [value] : [])],
    ...(message.ackUrl ? { ackUrl: message.ackUrl } : {}),
    ...(!message.ackUrl && alarmName && toneOf(type) === 'alarm'
      ? { ackCommand: `nightshift ack ${alarmName}` }
      : {}),
    ...(str(json.runbook) ? { runbook: str(json.runbook) } : {}),
    ...(str(json.consoleUrl) ? { consoleUrl: str(json.consoleUrl) } : {}),
    ...(alarmName ? { threadId: alarmName, alarmName } : {}),
    ...(str(json.project) ? { project: str(json.project) } : {}),
  };
}

/** "Acknowledge: https://…", "Runbook: https://…", "CloudWatch: https://…" — in that order. */
export function chatNextSteps(chat: ChatMessage): string[] {
  return [
    ...(chat.ackUrl ? [`Acknowledge (stops escalation): ${chat.ackUrl}`] : []),
    ...(chat.ackCommand ? [`Acknowledge: ${chat.ackCommand} --note "..."`] : []),
    ...(chat.runbook ? [`Runbook: ${chat.runbook}`] : []),
    ...(chat.consoleUrl ? [`CloudWatch: ${chat.consoleUrl}`] : []),
  ];
}

/** The AWS Chatbot custom notification (version 1.0, source custom) for the topic's `https` body. */
export function chatbotNotification(chat: ChatMessage): Record<string, unknown> {
  const keywords = [chat.project, chat.alarmName].filter((k): k is string => Boolean(k));
  return {
    version: '1.0',
    source: 'custom',
    content: {
      textType: 'client-markdown',
      title: cut(`${TONE_EMOJI[chat.tone]} ${chat.title}`, CHATBOT_TITLE_MAX),
      description: cut(chat.lines.join('\n'), CHATBOT_DESCRIPTION_MAX),
      nextSteps: chatNextSteps(chat),
      ...(keywords.length ? { keywords } : {}),
    },
    metadata: {
      ...(chat.threadId ? { threadId: chat.threadId } : {}),
      summary: cut(chat.title, CHATBOT_TITLE_MAX),
      eventType: chat.type,
    },
  };
}

/** The `lambda` body: what the webhook delivery function reads (lambdas/webhook-delivery). */
export interface ChatEnvelope {
  readonly version: 1;
  readonly chat: ChatMessage;
  /** The JSON default (the "json" webhook kind posts it as `alarm`). */
  readonly alarm: Record<string, unknown>;
}

export function chatEnvelope(message: RenderedMessage): ChatEnvelope {
  return { version: 1, chat: chatMessage(message), alarm: message.json };
}
