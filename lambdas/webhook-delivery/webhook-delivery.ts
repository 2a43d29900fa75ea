/**
 * Webhook delivery: the function subscribes to the level topics of levels with `webhooks` (and their
 * rotation members' topics). SNS hands it the topic's `lambda` body — the chat document the router
 * and the escalation publish (lambdas/alert-router/chat.ts) — and it POSTs one formatted message per
 * webhook of that level (formats.ts).
 *
 * Delivery, per webhook:
 * - the URL comes from the secret (plain string or JSON {"url": …}) and is registered with the
 *   redactor before anything can print it; logs, errors and dead letters name the secret reference;
 * - HTTPS only (plain http only to a loopback address, for local endpoints);
 * - each attempt has a timeout; 5xx, 408, 429, timeouts and network errors are retried with
 *   exponential backoff (1 s, 2 s, 4 s …), a 429's Retry-After is honoured (seconds or HTTP date);
 * - other 4xx and redirects are permanent: no retry;
 * - whatever is not delivered goes to the dead-letter queue (with the reason, the secret reference
 *   and the SNS message, never the URL), which alarms.
 * One webhook failing never stops the others. The invocation fails only when a dead letter cannot be
 * sent (Lambda then retries and finally uses the function's own dead-letter queue).
 */

import type { ChatEnvelope, ChatMessage } from '../alert-router/chat';
import { consoleUrl } from '../alert-router/format';
import type { SecretsReader } from '../shared/connections';
import type { Log } from '../shared/log';
import { reasonOf, redact, registerSecret, registerUrlSecrets } from '../shared/redact';
import type { WebhookLevel, WebhookRef, WebhookSettings } from './env';
import { webhookBody } from './formats';

export interface DeliveryPolicy {
  /** Timeout of one POST. @default 5,000 ms */
  readonly attemptTimeoutMs: number;
  /** POSTs per webhook and message, the first included. @default 4 */
  readonly maxAttempts: number;
  /** First backoff; doubles after each failed attempt. @default 1,000 ms */
  readonly baseDelayMs: number;
  /** Longest wait between attempts (a longer Retry-After gives up at once). @default 20,000 ms */
  readonly maxDelayMs: number;
}

export const DEFAULT_POLICY: DeliveryPolicy = {
  attemptTimeoutMs: 5_000,
  maxAttempts: 4,
  baseDelayMs: 1_000,
  maxDelayMs: 20_000,
};

/** What goes to the dead-letter queue for one webhook and message. No URL, no secret value. */
export interface DeadLetter {
  readonly level: string;
  readonly kind: WebhookRef['kind'];
  /** The secret reference (name/ARN/ssm:/name) that holds the URL. */
  readonly secret: string;
  readonly reason: string;
  readonly status?: number | undefined;
  readonly attempts: number;
  readonly topicArn: string;
  readonly messageId?: string | undefined;
  /** The SNS message as received (the chat document), so it can be re-sent. */
  readonly message: string;
}

export interface DeliveryDeps {
  readonly settings: WebhookSettings;
  readonly secrets: SecretsReader;
  readonly log: Log;
  /** Sends one dead letter (SQS SendMessage in Lambda). */
  readonly deadLetter: (letter: DeadLetter) => Promise<void>;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  readonly policy?: Partial<DeliveryPolicy>;
  /** No attempt starts after this time (ms since epoch): the invocation's deadline less a margin. */
  readonly deadline?: number;
}

export interface SnsRecord {
  readonly Sns: {
    readonly TopicArn: string;
    readonly Message: string;
    readonly Subject?: string | null | undefined;
    readonly MessageId?: string | undefined;
  };
}

export interface DeliveryResult {
  readonly delivered: number;
  readonly failed: number;
  readonly outcomes: readonly Outcome[];
}

export interface Outcome {
  readonly level: string;
  readonly kind: WebhookRef['kind'];
  readonly secret: string;
  readonly delivered: boolean;
  readonly attempts: number;
  readonly status?: number | undefined;
  readonly reason?: string | undefined;
}

export class WebhookEventInvalid extends Error {
  override readonly name = 'WebhookEventInvalid';
}

/** The URL in a webhook secret: the whole string, or the "url" key of a JSON object. */
export function webhookUrl(secretValue: string, ref: string): URL {
  let text = secretValue.trim();
  if (text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as { url?: unknown };
      if (typeof parsed.url !== 'string') throw new Error('no "url" key');
      text = parsed.url.trim();
    } catch {
      throw new Error(
        `the secret ${ref} is JSON without a "url" string — store the webhook URL as the whole secret, or as {"url": "https://…"}`,
      );
    }
  }
  // Before parsing: a parse error must not be able to quote it.
  registerSecret(text);
  registerUrlSecrets(text);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`the secret ${ref} does not hold a URL — store the webhook URL (https://…)`);
  }
  // The path and query carry the token (Slack /services/T/B/x, Discord /api/webhooks/id/token).
  registerSecret(`${url.pathname}${url.search}`);
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new Error(
      `the webhook URL in ${ref} is not https — chat platforms give https:// URLs; fix the secret`,
    );
  }
  return url;
}

/** Milliseconds a Retry-After header asks for (delta-seconds or an HTTP date), if it parses. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The chat document of an SNS message: the router's envelope, a CloudWatch alarm, or plain text. */
export function chatOf(record: SnsRecord): { chat: ChatMessage; alarm?: Record<string, unknown> } {
  const { Message: text, Subject: subject } = record.Sns;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const obj = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  const envelope = obj as Partial<ChatEnvelope> | undefined;
  if (envelope?.version === 1 && envelope.chat && typeof envelope.chat.title === 'string') {
    return { chat: envelope.chat, ...(envelope.alarm ? { alarm: envelope.alarm } : {}) };
  }
  if (obj && typeof obj.AlarmName === 'string' && typeof obj.NewStateValue === 'string') {
    // Straight from CloudWatch: the router-failure alarms page the first level without the router.
    const state = obj.NewStateValue;
    const region = typeof obj.AlarmArn === 'string' ? obj.AlarmArn.split(':')[3] : undefined;
    return {
      chat: {
        version: 1,
        type: 'cloudwatch-alarm',
        tone: state === 'ALARM' ? 'alarm' : state === 'OK' ? 'ok' : 'warning',
        title: `[${state}] ${obj.AlarmName}`,
        lines: [
          ...(typeof obj.AlarmDescription === 'string' && obj.AlarmDescription ? [obj.AlarmDescription] : []),
          ...(typeof obj.NewStateReason === 'string' ? [`CloudWatch says: ${obj.NewStateReason}`] : []),
        ],
        ...(region ? { consoleUrl: consoleUrl(region, obj.AlarmName) } : {}),
        threadId: obj.AlarmName,
        alarmName: obj.AlarmName,
      },
      alarm: obj,
    };
  }
  return {
    chat: {
      version: 1,
      type: 'notice',
      tone: 'info',
      title: subject || 'Nightshift notification',
      lines: [text.length > 2_000 ? `${text.slice(0, 1_999)}…` : text],
    },
  };
}

function levelOf(settings: WebhookSettings, topicArn: string): WebhookLevel | undefined {
  return settings.levels.find((l) => l.topics.includes(topicArn));
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Attempt =
  | { readonly ok: true; readonly status: number }
  | {
      readonly ok: false;
      readonly retry: boolean;
      readonly reason: string;
      readonly status?: number;
      readonly waitMs?: number;
    };

/** One POST with a timeout, classified. */
async function attempt(
  doFetch: typeof fetch,
  url: URL,
  body: string,
  timeoutMs: number,
  now: number,
): Promise<Attempt> {
  let response: Response;
  try {
    response = await doFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'nightshift-webhook' },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const name = (error as { name?: string }).name;
    const reason =
      name === 'TimeoutError' || name === 'AbortError'
        ? `no answer within ${timeoutMs} ms`
        : `could not connect: ${reasonOf((error as { cause?: unknown }).cause ?? error)}`;
    return { ok: false, retry: true, reason };
  }
  // Read a little of the answer for the reason (Slack says e.g. "channel_not_found"), then drop it.
  const text = await response.text().catch(() => '');
  // redacted before it is cut: an endpoint may echo the URL (the secret) in its error text
  const said = redact(text.trim().replace(/\s+/g, ' ')).slice(0, 200);
  const status = response.status;
  if (status >= 200 && status < 300) return { ok: true, status };
  const answer = `HTTP ${status}${said ? ` (${said})` : ''}`;
  if (status === 429) {
    const waitMs = retryAfterMs(response.headers.get('retry-after'), now);
    return {
      ok: false,
      retry: true,
      status,
      reason: `rate limited: ${answer}`,
      ...(waitMs !== undefined ? { waitMs } : {}),
    };
  }
  if (status >= 500 || status === 408) return { ok: false, retry: true, status, reason: answer };
  if (status >= 300 && status < 400)
    return {
      ok: false,
      retry: false,
      status,
      reason: `${answer}: the endpoint redirects — store the final URL in the secret`,
    };
  return {
    ok: false,
    retry: false,
    status,
    reason: `${answer}: the endpoint refused the message — check the webhook URL in the secret and that the webhook still exists`,
  };
}

/** Delivers one message to one webhook, retrying as the policy says. */
export async function deliverOne(
  deps: DeliveryDeps,
  level: string,
  webhook: WebhookRef,
  body: string,
): Promise<Outcome> {
  const policy = { ...DEFAULT_POLICY, ...deps.policy };
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? defaultSleep;
  const doFetch = deps.fetch ?? fetch;
  const base = { level, kind: webhook.kind, secret: webhook.secret };
  let url: URL;
  try {
    url = webhookUrl(await deps.secrets.getSecretString(webhook.secret), webhook.secret);
  } catch (error) {
    return { ...base, delivered: false, attempts: 0, reason: reasonOf(error) };
  }
  let last: Attempt | undefined;
  for (let n = 1; n <= policy.maxAttempts; n++) {
    last = await attempt(doFetch, url, body, policy.attemptTimeoutMs, now());
    if (last.ok) return { ...base, delivered: true, attempts: n, status: last.status };
    const failed = { ...base, delivered: false, attempts: n, status: last.status, reason: last.reason };
    if (!last.retry) return failed;
    if (n === policy.maxAttempts) return { ...failed, reason: `${last.reason}; gave up after ${n} attempts` };
    const backoff = policy.baseDelayMs * 2 ** (n - 1);
    const wait = last.waitMs ?? Math.min(backoff, policy.maxDelayMs);
    if (wait > policy.maxDelayMs)
      return {
        ...failed,
        reason: `${last.reason}; Retry-After ${Math.ceil(wait / 1000)} s is too long to wait`,
      };
    if (deps.deadline !== undefined && now() + wait + policy.attemptTimeoutMs > deps.deadline)
      return { ...failed, reason: `${last.reason}; no time left for another attempt` };
    deps.log.warn('webhook attempt failed, retrying', {
      ...base,
      attempt: n,
      status: last.status,
      reason: last.reason,
      retryInMs: wait,
    });
    await sleep(wait);
  }
  /* c8 ignore next */
  return { ...base, delivered: false, attempts: policy.maxAttempts, reason: 'no attempt made' };
}

/** Delivers every record to every webhook of its level; failures become dead letters. */
export async function run(deps: DeliveryDeps, event: unknown): Promise<DeliveryResult> {
  const records = (event as { Records?: unknown } | null)?.Records;
  if (!Array.isArray(records)) {
    throw new WebhookEventInvalid('the event has no SNS Records — the function expects SNS deliveries');
  }
  const outcomes: Outcome[] = [];
  for (const record of records as SnsRecord[]) {
    const topicArn = record?.Sns?.TopicArn;
    const level = levelOf(deps.settings, topicArn);
    if (!level) {
      deps.log.warn('message from a topic with no webhooks, ignored', { topicArn });
      continue;
    }
    const { chat, alarm } = chatOf(record);
    const results = await Promise.all(
      level.webhooks.map((webhook) =>
        deliverOne(deps, level.level, webhook, JSON.stringify(webhookBody(webhook.kind, chat, alarm))),
      ),
    );
    for (const outcome of results) {
      outcomes.push(outcome);
      if (outcome.delivered) {
        deps.log.info('webhook delivered', { ...outcome });
        continue;
      }
      deps.log.error('webhook not delivered, sent to the dead-letter queue', { ...outcome });
      await deps.deadLetter({
        level: level.level,
        kind: outcome.kind,
        secret: outcome.secret,
        reason: redact(outcome.reason ?? 'unknown'),
        status: outcome.status,
        attempts: outcome.attempts,
        topicArn,
        messageId: record.Sns.MessageId,
        message: redact(record.Sns.Message),
      });
    }
  }
  const delivered = outcomes.filter((o) => o.delivered).length;
  return { delivered, failed: outcomes.length - delivered, outcomes };
}
