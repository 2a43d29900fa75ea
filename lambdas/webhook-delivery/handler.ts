/**
 * Lambda entry: SNS deliveries from the level topics of levels with `webhooks` → webhook delivery core.
 * It sends no metrics: what it did is in its "webhook delivered" / "not delivered" log lines, and
 * undeliverable messages land in the dead-letter queue, whose alarm pages.
 * Environment: env.ts (the levels' topics and webhook secret references, the dead-letter queue URL),
 * read on every invocation.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { awsSecretsReader } from '../shared/connections';
import { type Log, powertoolsLog } from '../shared/log';
import { redactErrors } from '../shared/redact';
import { webhookDeliveryEnv } from './env';
import { type DeliveryResult, run } from './webhook-delivery';

const logger = new Logger({ serviceName: 'webhook-delivery' });
const log: Log = powertoolsLog(logger);
const secrets = awsSecretsReader();
const sqs = new SQSClient({});

/** Attempts stop this long before the function's timeout, so the dead letter still goes out. */
const DEADLINE_MARGIN_MS = 5_000;

export type WebhookDeliveryResponse = Omit<DeliveryResult, 'outcomes'>;

async function deliver(event: unknown, context: Context): Promise<WebhookDeliveryResponse> {
  const { settings, deadLetterQueueUrl } = webhookDeliveryEnv.read(process.env);
  const result = await run(
    {
      settings,
      secrets,
      log,
      deadline: Date.now() + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS,
      deadLetter: async (letter) => {
        await sqs.send(
          new SendMessageCommand({ QueueUrl: deadLetterQueueUrl, MessageBody: JSON.stringify(letter) }),
        );
      },
    },
    event,
  );
  return { delivered: result.delivered, failed: result.failed };
}

export const handler = middy<unknown, WebhookDeliveryResponse, Error, Context>()
  .use(redactErrors())
  .use(injectLambdaContext(logger))
  .handler(deliver);
