/**
 * One chat message (lambdas/alert-router/chat.ts), one JSON body per webhook kind:
 *
 * - slack: incoming webhook, `text` (the notification preview) plus a mrkdwn section block.
 * - mattermost: Slack-compatible incoming webhook with Markdown `text`.
 * - googleChat: a space's incoming webhook, `text` with Google Chat's *bold* and <url|label> links.
 * - discord: an embed (title, description, colour by state); mentions are never parsed.
 * - json: the chat document itself plus the alarm's JSON document, for any endpoint.
 *
 * Each stays inside its platform's size limit (texts are cut with "…").
 */
import type { WebhookKind } from '../../lib/config/schema';
import { type ChatMessage, type ChatTone, cut, TONE_EMOJI } from '../alert-router/chat';

export interface Link {
  readonly label: string;
  readonly url: string;
}

/** Acknowledge, Runbook, CloudWatch — the links every kind shows, in that order. */
export function linksOf(chat: ChatMessage): Link[] {
  return [
    ...(chat.ackUrl ? [{ label: 'Acknowledge', url: chat.ackUrl }] : []),
    ...(chat.runbook ? [{ label: 'Runbook', url: chat.runbook }] : []),
    ...(chat.consoleUrl ? [{ label: 'CloudWatch', url: chat.consoleUrl }] : []),
  ];
}

function ackHint(chat: ChatMessage): string[] {
  return chat.ackCommand && !chat.ackUrl ? [`Acknowledge: \`${chat.ackCommand} --note "..."\``] : [];
}

/** The message as plain text (json kind, previews). */
export function plainText(chat: ChatMessage): string {
  return [
    `${TONE_EMOJI[chat.tone]} ${chat.title}`,
    ...chat.lines,
    ...linksOf(chat).map((l) => `${l.label}: ${l.url}`),
    ...(chat.ackCommand && !chat.ackUrl ? [`Acknowledge: ${chat.ackCommand} --note "..."`] : []),
  ].join('\n');
}

/** Slack mrkdwn needs &, < and > escaped (they delimit links and mentions). */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack: a section block of at most 3,000 characters. */
export const SLACK_SECTION_MAX = 3_000;

function slackBody(chat: ChatMessage): Record<string, unknown> {
  const title = `${TONE_EMOJI[chat.tone]} ${chat.title}`;
  const links = linksOf(chat)
    .map((l, i) =>
      i === 0 && l.label === 'Acknowledge' ? `*<${l.url}|${l.label}>*` : `<${l.url}|${l.label}>`,
    )
    .join('  ·  ');
  const text = [
    `*${slackEscape(title)}*`,
    ...chat.lines.map(slackEscape),
    ...ackHint(chat).map(slackEscape),
    ...(links ? [links] : []),
  ].join('\n');
  return {
    text: slackEscape(cut(title, 300)),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: cut(text, SLACK_SECTION_MAX) } }],
  };
}

/** Mattermost renders Markdown; posts over 16,383 characters are rejected. */
export const MATTERMOST_TEXT_MAX = 16_000;

function markdownLinks(chat: ChatMessage): string {
  return linksOf(chat)
    .map((l, i) =>
      i === 0 && l.label === 'Acknowledge' ? `**[${l.label}](${l.url})**` : `[${l.label}](${l.url})`,
    )
    .join(' · ');
}

function mattermostBody(chat: ChatMessage): Record<string, unknown> {
  const links = markdownLinks(chat);
  const text = [
    `#### ${TONE_EMOJI[chat.tone]} ${chat.title}`,
    ...chat.lines,
    ...ackHint(chat),
    ...(links ? [links] : []),
  ].join('\n');
  return { text: cut(text, MATTERMOST_TEXT_MAX) };
}

/** Google Chat: text messages of at most 4,096 characters. */
export const GOOGLE_CHAT_TEXT_MAX = 4_000;

function googleChatBody(chat: ChatMessage): Record<string, unknown> {
  const links = linksOf(chat)
    .map((l) => `<${l.url}|${l.label}>`)
    .join('  ·  ');
  const text = [
    `*${TONE_EMOJI[chat.tone]} ${chat.title}*`,
    ...chat.lines,
    ...ackHint(chat),
    ...(links ? [links] : []),
  ].join('\n');
  return { text: cut(text, GOOGLE_CHAT_TEXT_MAX) };
}

/** Discord embed limits: title 256, description 4,096 characters. */
export const DISCORD_TITLE_MAX = 256;
export const DISCORD_DESCRIPTION_MAX = 4_000;

export const DISCORD_COLOURS: Record<ChatTone, number> = {
  alarm: 0xd62828,
  warning: 0xf77f00,
  ok: 0x2a9d8f,
  info: 0x6c757d,
};

function discordBody(chat: ChatMessage): Record<string, unknown> {
  const links = markdownLinks(chat);
  const description = [...chat.lines, ...ackHint(chat), ...(links ? ['', links] : [])].join('\n');
  return {
    username: 'Nightshift',
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: cut(`${TONE_EMOJI[chat.tone]} ${chat.title}`, DISCORD_TITLE_MAX),
        description: cut(description, DISCORD_DESCRIPTION_MAX),
        color: DISCORD_COLOURS[chat.tone],
        ...(chat.ackUrl ? { url: chat.ackUrl } : chat.consoleUrl ? { url: chat.consoleUrl } : {}),
      },
    ],
  };
}

function jsonBody(chat: ChatMessage, alarm: Record<string, unknown> | undefined): Record<string, unknown> {
  return { ...chat, text: plainText(chat), ...(alarm ? { alarm } : {}) };
}

/** The body POSTed to a webhook of `kind`. */
export function webhookBody(
  kind: WebhookKind,
  chat: ChatMessage,
  alarm?: Record<string, unknown>,
): Record<string, unknown> {
  switch (kind) {
    case 'slack':
      return slackBody(chat);
    case 'mattermost':
      return mattermostBody(chat);
    case 'googleChat':
      return googleChatBody(chat);
    case 'discord':
      return discordBody(chat);
    case 'json':
      return jsonBody(chat, alarm);
  }
}
