/**
 * The environment contract between the ChatChannels construct and the webhook-delivery handler
 * (lambdas/shared/env.ts, ADR 004).
 *
 *   NIGHTSHIFT_WEBHOOKS         WebhookSettings JSON: per level, the topics it listens to and its
 *                               webhooks (kind and secret reference — never the URL)
 *   NIGHTSHIFT_WEBHOOK_DLQ_URL  the queue that receives undeliverable messages
 *   NODE_OPTIONS                read by Node.js
 */
import { WEBHOOK_KINDS, type WebhookKind } from '../../lib/config/schema';
import {
  type EnvContract,
  envReader,
  handlerVariable,
  NODE_OPTIONS,
  type WrittenEnv,
  writeEnv,
} from '../shared/env';

export const WEBHOOKS_VAR = 'NIGHTSHIFT_WEBHOOKS';
export const WEBHOOK_DLQ_VAR = 'NIGHTSHIFT_WEBHOOK_DLQ_URL';

export interface WebhookRef {
  readonly kind: WebhookKind;
  /** Secrets Manager name/ARN or ssm:/name holding the URL. */
  readonly secret: string;
}

export interface WebhookLevel {
  readonly level: string;
  /** The level topic and its rotation members' topics: a message on any of them is this level's. */
  readonly topics: readonly string[];
  readonly webhooks: readonly WebhookRef[];
}

export interface WebhookSettings {
  readonly levels: readonly WebhookLevel[];
}

export interface WebhookDeliveryEnv {
  readonly settings: WebhookSettings;
  readonly deadLetterQueueUrl: string;
}

function isLevel(value: unknown): value is WebhookLevel {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.level === 'string' &&
    Array.isArray(v.topics) &&
    v.topics.every((t) => typeof t === 'string') &&
    Array.isArray(v.webhooks) &&
    v.webhooks.every(
      (w: unknown) =>
        typeof w === 'object' &&
        w !== null &&
        (WEBHOOK_KINDS as readonly unknown[]).includes((w as Record<string, unknown>).kind) &&
        typeof (w as Record<string, unknown>).secret === 'string',
    )
  );
}

export const webhookDeliveryEnv: EnvContract<WebhookDeliveryEnv> = {
  job: 'webhook-delivery',
  variables: [handlerVariable(WEBHOOKS_VAR), handlerVariable(WEBHOOK_DLQ_VAR), NODE_OPTIONS],
  nodeFlags: [],
  read(env) {
    const r = envReader('webhook-delivery', env);
    const settings = r.json(WEBHOOKS_VAR) as { levels?: unknown };
    if (
      typeof settings !== 'object' ||
      settings === null ||
      !Array.isArray(settings.levels) ||
      settings.levels.length === 0 ||
      !settings.levels.every(isLevel)
    ) {
      throw r.fail(WEBHOOKS_VAR, 'has no levels, or a level without topics or valid webhooks');
    }
    const deadLetterQueueUrl = r.required(WEBHOOK_DLQ_VAR);
    if (!/^https:\/\/\S+$/.test(deadLetterQueueUrl)) throw r.fail(WEBHOOK_DLQ_VAR, 'is not a queue URL');
    return { settings: { levels: settings.levels }, deadLetterQueueUrl };
  },
};

/** `settings` is the JSON text (a token string at synth time: it holds the topic ARNs). */
export function webhookDeliveryEnvironment(options: {
  settings: string;
  deadLetterQueueUrl: string;
}): WrittenEnv {
  return writeEnv(webhookDeliveryEnv, {
    [WEBHOOKS_VAR]: options.settings,
    [WEBHOOK_DLQ_VAR]: options.deadLetterQueueUrl,
  });
}
