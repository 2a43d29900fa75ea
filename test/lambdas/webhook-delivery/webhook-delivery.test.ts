/**
 * The webhook delivery against a real local HTTP server: what the router publishes (snsMessage's
 * `lambda` body, with an ack link) is formatted per kind and POSTed; 5xx, 429 (Retry-After) and
 * timeouts are retried, other 4xx are not; whatever is not delivered becomes a dead letter; the
 * webhook URL (the secret) never reaches a log line, an outcome or a dead letter.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { escalationPlan } from '../../../lambdas/alert-router/alert-router';
import {
  type RenderedMessage,
  renderAlarm,
  renderRecovery,
  snsMessage,
} from '../../../lambdas/alert-router/format';
import { type SecretsReader, SecretUnavailable } from '../../../lambdas/shared/connections';
import { MemoryLog } from '../../../lambdas/shared/log';
import type { WebhookSettings } from '../../../lambdas/webhook-delivery/env';
import { DISCORD_COLOURS } from '../../../lambdas/webhook-delivery/formats';
import {
  type DeadLetter,
  type DeliveryDeps,
  retryAfterMs,
  run,
  type SnsRecord,
} from '../../../lambdas/webhook-delivery/webhook-delivery';
import type { WebhookKind } from '../../../lib/config/schema';
import { REPO } from '../../support/cdk';
import { fixtureFacts, testSettings } from '../alert-router/support';

// ---- a local webhook endpoint with scripted answers -------------------------------------------

type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';
interface Received {
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: Record<string, unknown>;
}

const scripts = new Map<string, Answer[]>();
const received: Received[] = [];
const hanging: ServerResponse[] = [];
let server: Server;
let base: string;

function answer(req: IncomingMessage, res: ServerResponse, text: string) {
  const path = req.url ?? '/';
  received.push({ path, contentType: req.headers['content-type'], body: JSON.parse(text) });
  const next = scripts.get(path)?.shift() ?? { status: 200, body: 'ok' };
  if (next === 'hang') {
    hanging.push(res);
    return;
  }
  res.writeHead(next.status, next.headers ?? {});
  res.end(next.body ?? '');
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => answer(req, res, text));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of hanging) res.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  scripts.clear();
  received.length = 0;
});

// ---- what the router publishes -----------------------------------------------------------------

const ACK = 'https://abc123.lambda-url.eu-west-1.on.aws/a/Zx8Kq2';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:shop-alerts-team';

function alarmMessage() {
  const facts = fixtureFacts('metric-alarm');

  const plan = escalationPlan(testSettings(), 'critical', facts.changedAt);
  return { facts, rendered: { ...renderAlarm(facts, plan, { timeZone: 'Europe/London' }), ackUrl: ACK } };
}

/** The SNS record a Lambda subscriber receives: the `lambda` body of MessageStructure=json. */
function snsRecord(message: RenderedMessage = alarmMessage().rendered, topicArn = TOPIC): SnsRecord {
  const bodies = JSON.parse(snsMessage(message)) as Record<string, string>;
  return { Sns: { TopicArn: topicArn, Message: bodies.lambda as string, MessageId: 'm-1' } };
}

// ---- the core's dependencies -------------------------------------------------------------------

/** Path of each webhook's URL: the token part is the secret. */
const tokenPath = (name: string) => `/hooks/${name}/T0SECRETTOKEN${name.replace(/\W/g, '')}`;

function deps(webhooks: { kind: WebhookKind; name: string }[], over: Partial<DeliveryDeps> = {}) {
  const values = new Map(webhooks.map((w) => [`prod/chat/${w.name}`, `${base}${tokenPath(w.name)}`]));
  const secrets: SecretsReader = {
    async getSecretString(ref) {
      const value = values.get(ref);
      if (value === undefined) throw new SecretUnavailable(ref, 'it does not exist');
      return value;
    },
  };
  const settings: WebhookSettings = {
    levels: [
      {
        level: 'team',
        topics: [TOPIC],
        webhooks: webhooks.map((w) => ({ kind: w.kind, secret: `prod/chat/${w.name}` })),
      },
    ],
  };
  const log = new MemoryLog();
  const letters: DeadLetter[] = [];
  const slept: number[] = [];
  const d: DeliveryDeps = {
    settings,
    secrets,
    log,
    deadLetter: async (letter) => {
      letters.push(letter);
    },
    // the waits are recorded, not spent: what matters is how long the delivery chose to wait
    sleep: async (ms) => {
      slept.push(ms);
    },
    ...over,
  };
  return { deps: d, log, letters, slept, values };
}

describe('webhook delivery: one message per kind', () => {
  const kinds: WebhookKind[] = ['slack', 'mattermost', 'googleChat', 'discord', 'json'];

  it('posts each kind its own JSON shape, with the ack link, runbook and console links', async () => {
    const t = deps(kinds.map((kind) => ({ kind, name: kind })));
    const result = await run(t.deps, { Records: [snsRecord()] });

    expect(result).toMatchObject({ delivered: 5, failed: 0 });
    expect(t.letters).toEqual([]);
    const body = (kind: string) => received.find((r) => r.path === tokenPath(kind))?.body;
    for (const r of received) expect(r.contentType).toBe('application/json; charset=utf-8');

    const console =
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/shop-api-down';
    expect(body('slack')).toEqual({
      text: '🔴 [CRITICAL] shop · api health check failing',
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: [
              '*🔴 [CRITICAL] shop · api health check failing*',
              'What is wrong: api health check failing.',
              'Since: Wed 2 Oct, 18:04 BST.',
              'Current value: 1 — alarm when at or above 1',
              `*<${ACK}|Acknowledge>*  ·  <https://wiki.example.com/runbooks/api|Runbook>  ·  <${console}|CloudWatch>`,
            ].join('\n'),
          },
        },
      ],
    });
    // docs/alerting.md shows this very text (a Slack message rendering, "Chat channels")
    const docs = readFileSync(join(REPO, 'docs/alerting.md'), 'utf8');
    const shown = /A Slack incoming webhook receives[\s\S]*?```\n([\s\S]*?)\n```/.exec(docs)?.[1];
    const slack = body('slack') as { blocks: { text: { text: string } }[] };
    expect(shown).toBe(slack.blocks[0]?.text.text);
    expect(body('mattermost')).toEqual({
      text: [
        '#### 🔴 [CRITICAL] shop · api health check failing',
        'What is wrong: api health check failing.',
        'Since: Wed 2 Oct, 18:04 BST.',
        'Current value: 1 — alarm when at or above 1',
        `**[Acknowledge](${ACK})** · [Runbook](https://wiki.example.com/runbooks/api) · [CloudWatch](${console})`,
      ].join('\n'),
    });
    expect(body('googleChat')?.text).toBe(
      [
        '*🔴 [CRITICAL] shop · api health check failing*',
        'What is wrong: api health check failing.',
        'Since: Wed 2 Oct, 18:04 BST.',
        'Current value: 1 — alarm when at or above 1',
        `<${ACK}|Acknowledge>  ·  <https://wiki.example.com/runbooks/api|Runbook>  ·  <${console}|CloudWatch>`,
      ].join('\n'),
    );
    expect(body('discord')).toEqual({
      username: 'Nightshift',
      allowed_mentions: { parse: [] },
      embeds: [
        {
          title: '🔴 [CRITICAL] shop · api health check failing',
          description: expect.stringContaining(`**[Acknowledge](${ACK})**`),
          color: DISCORD_COLOURS.alarm,
          url: ACK,
        },
      ],
    });
    expect(body('json')).toMatchObject({
      version: 1,
      type: 'alarm',
      tone: 'alarm',
      title: '[CRITICAL] shop · api health check failing',
      ackUrl: ACK,
      runbook: 'https://wiki.example.com/runbooks/api',
      consoleUrl: console,
      threadId: 'shop-api-down',
      text: expect.stringContaining(`Acknowledge: ${ACK}`),
      alarm: { type: 'alarm', severity: 'critical', state: 'ALARM', alarmName: 'shop-api-down', value: 1 },
    });
    expect(t.log.records.filter((r) => r.message === 'webhook delivered')).toHaveLength(5);
  });

  it('a recovery is green and has no acknowledge link; without an ack link the CLI command is shown', async () => {
    const { facts } = alarmMessage();
    const recovery = renderRecovery(
      {
        ...facts,
        state: 'OK',
        previousState: 'ALARM',
        episodeStart: new Date(facts.changedAt.getTime() - 23 * 60_000),
      },
      { timeZone: 'Europe/London' },
    );
    const plan = escalationPlan(testSettings(), 'critical', facts.changedAt);
    const noLink = renderAlarm(facts, plan, { timeZone: 'Europe/London' });
    const t = deps([
      { kind: 'discord', name: 'discord' },
      { kind: 'slack', name: 'slack' },
    ]);

    await run(t.deps, { Records: [snsRecord(recovery)] });
    const discord = received.find((r) => r.path === tokenPath('discord'))!;
    const embed = (discord.body.embeds as Record<string, unknown>[])[0];
    expect(embed).toMatchObject({
      title: expect.stringMatching(
        /^✅ \[RESOLVED\] shop · api health check failing — RESOLVED after 23 min$/,
      ),
      color: DISCORD_COLOURS.ok,
    });
    expect(String(embed?.description)).not.toContain('Acknowledge');

    received.length = 0;
    await run(t.deps, { Records: [snsRecord(noLink)] });
    const slack = received.find((r) => r.path === tokenPath('slack'))?.body as {
      blocks: { text: { text: string } }[];
    };
    expect(slack.blocks[0]?.text.text).toContain('Acknowledge: `nightshift ack shop-api-down --note "..."`');
  });

  it('a CloudWatch alarm published straight to the topic (router down) still reads well', async () => {
    const t = deps([{ kind: 'slack', name: 'slack' }]);
    const cloudwatch = {
      AlarmName: 'shop-alert-router-failed',
      AlarmDescription: 'the alert router failed: alarms may not reach anyone',
      NewStateValue: 'ALARM',
      NewStateReason: 'Threshold Crossed: 1 datapoint [2.0] was greater than the threshold (0.0).',
      AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:shop-alert-router-failed',
    };
    await run(t.deps, { Records: [{ Sns: { TopicArn: TOPIC, Message: JSON.stringify(cloudwatch) } }] });
    expect(received[0]?.body.text).toBe('🔴 [ALARM] shop-alert-router-failed');
    expect(JSON.stringify(received[0]?.body.blocks)).toContain('CloudWatch says: Threshold Crossed');
  });
});

describe('webhook delivery: retries, timeouts and dead letters', () => {
  it('retries a 500 after 1 s and succeeds on the second attempt', async () => {
    const t = deps([{ kind: 'slack', name: 'flaky' }]);
    scripts.set(tokenPath('flaky'), [
      { status: 500, body: 'internal error' },
      { status: 200, body: 'ok' },
    ]);

    const result = await run(t.deps, { Records: [snsRecord()] });

    expect(result.outcomes).toEqual([expect.objectContaining({ delivered: true, attempts: 2, status: 200 })]);
    expect(received).toHaveLength(2);
    expect(received[1]?.body).toEqual(received[0]?.body);
    expect(t.slept).toEqual([1000]);
    expect(t.letters).toEqual([]);
    expect(t.log.records.find((r) => r.level === 'warn')?.extra).toMatchObject({
      attempt: 1,
      status: 500,
      retryInMs: 1000,
    });
  });

  it('backs off exponentially on repeated 5xx, then gives up into the dead-letter queue', async () => {
    const t = deps([{ kind: 'json', name: 'down' }]);
    scripts.set(
      tokenPath('down'),
      Array.from({ length: 4 }, () => ({ status: 503, body: 'unavailable' })),
    );

    const result = await run(t.deps, { Records: [snsRecord()] });

    expect(result).toMatchObject({ delivered: 0, failed: 1 });
    expect(received).toHaveLength(4);
    expect(t.slept).toEqual([1000, 2000, 4000]);
    expect(t.letters).toEqual([
      expect.objectContaining({
        level: 'team',
        kind: 'json',
        secret: 'prod/chat/down',
        status: 503,
        attempts: 4,
        reason: 'HTTP 503 (unavailable); gave up after 4 attempts',
        topicArn: TOPIC,
        messageId: 'm-1',
      }),
    ]);
    // the dead letter carries the message as received, so it can be re-sent
    expect(JSON.parse(t.letters[0]?.message ?? '{}')).toMatchObject({ version: 1, chat: { ackUrl: ACK } });
  });

  it('waits as long as a 429 Retry-After asks, then delivers', async () => {
    const t = deps([{ kind: 'discord', name: 'limited' }]);
    scripts.set(tokenPath('limited'), [
      { status: 429, headers: { 'retry-after': '3' }, body: '{"message":"You are being rate limited."}' },
      { status: 204 },
    ]);

    const result = await run(t.deps, { Records: [snsRecord()] });

    expect(result.outcomes[0]).toMatchObject({ delivered: true, attempts: 2, status: 204 });
    expect(t.slept).toEqual([3000]);
  });

  it('gives up at once when Retry-After is longer than it may wait', async () => {
    const t = deps([{ kind: 'slack', name: 'slow-down' }]);
    scripts.set(tokenPath('slow-down'), [
      { status: 429, headers: { 'retry-after': '600' }, body: 'rate_limited' },
    ]);

    await run(t.deps, { Records: [snsRecord()] });

    expect(received).toHaveLength(1);
    expect(t.slept).toEqual([]);
    expect(t.letters[0]?.reason).toBe(
      'rate limited: HTTP 429 (rate_limited); Retry-After 600 s is too long to wait',
    );
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-12-03T05:00:00Z');
    expect(retryAfterMs('7', now)).toBe(7000);
    expect(retryAfterMs('Thu, 03 Dec 2026 05:00:12 GMT', now)).toBe(12_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  it('times out an endpoint that never answers, retries, then dead-letters', async () => {
    const t = deps([{ kind: 'mattermost', name: 'silent' }], {
      policy: { attemptTimeoutMs: 200, maxAttempts: 2 },
    });
    scripts.set(tokenPath('silent'), ['hang', 'hang']);

    const started = Date.now();
    const result = await run(t.deps, { Records: [snsRecord()] });

    expect(Date.now() - started).toBeLessThan(5_000);
    expect(received).toHaveLength(2);
    expect(result.outcomes[0]).toMatchObject({ delivered: false, attempts: 2 });
    expect(t.letters[0]?.reason).toBe('no answer within 200 ms; gave up after 2 attempts');
  });

  it('does not start an attempt that would run past the invocation deadline', async () => {
    const now = 1_000_000;
    const t = deps([{ kind: 'slack', name: 'late' }], { now: () => now, deadline: now + 3_000 });
    scripts.set(tokenPath('late'), [{ status: 502 }]);

    await run(t.deps, { Records: [snsRecord()] });

    expect(received).toHaveLength(1);
    expect(t.letters[0]?.reason).toBe('HTTP 502; no time left for another attempt');
  });

  it('does not retry a permanent 4xx, and the other webhook of the level still gets the message', async () => {
    const t = deps([
      { kind: 'slack', name: 'gone' },
      { kind: 'googleChat', name: 'fine' },
    ]);
    scripts.set(tokenPath('gone'), [{ status: 404, body: 'no_service' }]);

    const result = await run(t.deps, { Records: [snsRecord()] });

    expect(result).toMatchObject({ delivered: 1, failed: 1 });
    expect(received.filter((r) => r.path === tokenPath('gone'))).toHaveLength(1);
    expect(t.slept).toEqual([]);
    expect(t.letters).toEqual([
      expect.objectContaining({
        kind: 'slack',
        secret: 'prod/chat/gone',
        status: 404,
        attempts: 1,
        reason:
          'HTTP 404 (no_service): the endpoint refused the message — check the webhook URL in the secret and that the webhook still exists',
      }),
    ]);
  });

  it('fails the invocation when a dead letter cannot be sent (Lambda retries it)', async () => {
    const t = deps([{ kind: 'slack', name: 'gone2' }], {
      deadLetter: async () => {
        throw new Error('AccessDenied: sqs:SendMessage');
      },
    });
    scripts.set(tokenPath('gone2'), [{ status: 410 }]);
    await expect(run(t.deps, { Records: [snsRecord()] })).rejects.toThrow('AccessDenied');
  });

  it('refuses a plain-http URL that is not loopback and an event that is not from SNS', async () => {
    const t = deps([{ kind: 'json', name: 'plain' }]);
    t.values.set('prod/chat/plain', 'http://hooks.example.com/x/T0SECRETTOKENplain');
    await run(t.deps, { Records: [snsRecord()] });
    expect(received).toHaveLength(0);
    expect(t.letters[0]).toMatchObject({
      attempts: 0,
      reason:
        'the webhook URL in prod/chat/plain is not https — chat platforms give https:// URLs; fix the secret',
    });
    await expect(run(t.deps, { hello: 'world' })).rejects.toThrow(/no SNS Records/);
  });
});

describe('webhook delivery: the URL is a secret', () => {
  it('never appears in logs, outcomes, dead letters or errors, even when the endpoint echoes it', async () => {
    const t = deps([
      { kind: 'slack', name: 'echo' },
      { kind: 'json', name: 'missing-secret' },
      { kind: 'json', name: 'not-a-url' },
    ]);
    const url = t.values.get('prod/chat/echo') as string;
    // the endpoint quotes the URL and its path back in its error text
    scripts.set(tokenPath('echo'), [
      { status: 400, body: `invalid_token for ${url} (${tokenPath('echo')})` },
    ]);
    t.values.delete('prod/chat/missing-secret');
    t.values.set('prod/chat/not-a-url', 'T0SECRETTOKENnotaurl-no-scheme');

    const result = await run(t.deps, { Records: [snsRecord()] });

    expect(result.failed).toBe(3);
    const everything = [t.log.text(), JSON.stringify(result), JSON.stringify(t.letters)].join('\n');
    expect(everything).toContain('prod/chat/echo');
    expect(everything).toContain('invalid_token for ***');
    for (const secret of ['T0SECRETTOKEN', url, tokenPath('echo')]) expect(everything).not.toContain(secret);
    expect(t.letters.map((l) => l.reason)).toEqual([
      expect.stringContaining('HTTP 400'),
      'cannot read secret prod/chat/missing-secret: it does not exist',
      'the secret prod/chat/not-a-url does not hold a URL — store the webhook URL (https://…)',
    ]);
  });
});
