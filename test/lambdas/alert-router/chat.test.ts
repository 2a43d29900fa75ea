/**
 * What chat channels receive from a level topic: the `https` body (AWS Chatbot custom notification,
 * https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html) and the `lambda` body (the
 * chat envelope for the webhook delivery), next to the unchanged e-mail and SMS bodies.
 */
import { describe, expect, it } from 'vitest';
import { escalationPlan } from '../../../lambdas/alert-router/alert-router';
import { chatMessage } from '../../../lambdas/alert-router/chat';
import {
  type AlarmFacts,
  channelsOf,
  renderAlarm,
  renderNoData,
  renderRecovery,
  renderTestPage,
  snsMessage,
} from '../../../lambdas/alert-router/format';
import { publishInput } from '../../../lambdas/alert-router/notifier';
import { registerSecret } from '../../../lambdas/shared/redact';
import { fixtureFacts, testSettings } from './support';

const options = { timeZone: 'Europe/London' };
const ACK = 'https://abc123.lambda-url.eu-west-1.on.aws/a/Zx8Kq2';
const CONSOLE =
  'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/shop-api-down';

const facts = (over: Partial<AlarmFacts> = {}): AlarmFacts => fixtureFacts('metric-alarm', over);

const bodies = (message: Parameters<typeof snsMessage>[0]) =>
  JSON.parse(snsMessage(message)) as Record<'default' | 'email' | 'sms' | 'https' | 'lambda', string>;

describe('AWS Chatbot custom notification (https body)', () => {
  const f = facts();
  const plan = escalationPlan(testSettings(), 'critical', f.changedAt);
  const alarm = { ...renderAlarm(f, plan, options), ackUrl: ACK };

  it('is a version 1.0 custom notification with title, description, next steps and a thread per alarm', () => {
    expect(JSON.parse(bodies(alarm).https)).toEqual({
      version: '1.0',
      source: 'custom',
      content: {
        textType: 'client-markdown',
        title: '🔴 [CRITICAL] shop · api health check failing',
        description: [
          'What is wrong: api health check failing.',
          'Since: Wed 2 Oct, 18:04 BST.',
          'Current value: 1 — alarm when at or above 1',
        ].join('\n'),
        nextSteps: [
          `Acknowledge (stops escalation): ${ACK}`,
          'Runbook: https://wiki.example.com/runbooks/api',
          `CloudWatch: ${CONSOLE}`,
        ],
        keywords: ['shop', 'shop-api-down'],
      },
      metadata: {
        threadId: 'shop-api-down',
        summary: '[CRITICAL] shop · api health check failing',
        eventType: 'alarm',
      },
    });
  });

  it('leaves e-mail and SMS as they were: plain text for people', () => {
    const b = bodies(alarm);
    expect(b.email).toBe(alarm.email);
    expect(b.sms).toBe(alarm.sms);
    expect(b.email.startsWith('[CRITICAL] shop · api health check failing\n')).toBe(true);
  });

  it('without an ack link, tells how to acknowledge from a terminal', () => {
    const noLink = renderAlarm(f, plan, options);
    expect(JSON.parse(bodies(noLink).https).content.nextSteps[0]).toBe(
      'Acknowledge: nightshift ack shop-api-down --note "..."',
    );
  });

  it('a recovery is green with no acknowledge step; no data is amber; a test page has no thread', () => {
    const recovery = renderRecovery(
      facts({
        state: 'OK',
        previousState: 'ALARM',
        episodeStart: new Date(f.changedAt.getTime() - 23 * 60_000),
      }),
      options,
    );
    const ok = JSON.parse(bodies(recovery).https);
    expect(ok.content.title).toBe('✅ [RESOLVED] shop · api health check failing — RESOLVED after 23 min');
    expect(ok.content.description).toMatch(/^RESOLVED after 23 min: api health check failing is over\./);
    expect(ok.content.nextSteps.join('\n')).not.toContain('Acknowledge');
    expect(ok.metadata.threadId).toBe('shop-api-down');

    const noData = JSON.parse(bodies(renderNoData(facts({ state: 'INSUFFICIENT_DATA' }), options)).https);
    expect(noData.content.title.startsWith('🟠 ')).toBe(true);

    const test = renderTestPage(
      { project: 'shop', level: 'team', channels: 'e-mail', requestedBy: 'ana', at: f.changedAt },
      options,
    );
    const t = JSON.parse(bodies(test).https);
    expect(t.content.title).toBe('ℹ️ TEST PAGE — shop — level team');
    expect(t.content.description).toContain('This is a test page. Nothing is wrong');
    expect(t.metadata.threadId).toBeUndefined();
  });

  it('is redacted like every other body, and rides along in the escalation notices', () => {
    registerSecret('hunter2-chat-secret');
    const leaky = renderAlarm(facts({ summary: 'login with hunter2-chat-secret failing' }), plan, options);
    const b = bodies(leaky);
    expect(b.https + b.lambda).not.toContain('hunter2-chat-secret');
    expect(b.https).toContain('login with *** failing');
    // publishInput is what the router and the escalation state machine publish
    const published = JSON.parse(
      publishInput('arn:aws:sns:eu-west-1:123456789012:shop-alerts-team', alarm).Message,
    );
    expect(Object.keys(published).sort()).toEqual(['default', 'email', 'https', 'lambda', 'sms']);
  });
});

describe('chat envelope (lambda body)', () => {
  it('carries the chat document and the JSON default for the webhook delivery', () => {
    const f = facts();
    const alarm = {
      ...renderAlarm(f, escalationPlan(testSettings(), 'critical', f.changedAt), options),
      ackUrl: ACK,
    };
    const envelope = JSON.parse(bodies(alarm).lambda);
    expect(envelope).toEqual({
      version: 1,
      chat: chatMessage(alarm),
      alarm: JSON.parse(bodies(alarm).default),
    });
    expect(envelope.chat).toMatchObject({ type: 'alarm', tone: 'alarm', ackUrl: ACK, consoleUrl: CONSOLE });
  });
});

describe('levels with chat in the escalation plan', () => {
  it('names chat next to e-mail and SMS, and a chat-only level is not "no contacts"', () => {
    expect(channelsOf({ email: 2, sms: 1 })).toBe('e-mail and SMS');
    expect(channelsOf({ email: 2, sms: 1, chat: 2 })).toBe('e-mail, SMS and chat');
    expect(channelsOf({ email: 0, sms: 0, chat: 1 })).toBe('chat');
    expect(channelsOf({ email: 0, sms: 0 })).toBe('no contacts');
    const settings = testSettings({
      levels: [
        { name: 'team', chat: [{ kind: 'slack', workspaceId: 'T0123ABCD', channelId: 'C0456EFGH' }] },
        { name: 'oncall', sms: ['+447700900123'] },
        { name: 'lead', email: ['lead@example.com'], webhooks: [{ kind: 'json', secret: 'prod/shop/hook' }] },
      ],
    });
    expect(settings.levels.map((l) => l.chat)).toEqual([1, undefined, 1]);
    const f = facts();
    const email = renderAlarm(f, escalationPlan(settings, 'critical', f.changedAt), options).email;
    expect(email).toMatch(/now\s+18:04\s+team \(chat\)/);
    expect(email).toMatch(/\+30 min\s+18:34\s+lead \(e-mail and chat\)/);
  });
});
