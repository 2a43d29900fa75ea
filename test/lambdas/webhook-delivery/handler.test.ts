/**
 * The webhook-delivery handler end to end: its environment as the construct writes it (through the
 * contract's writer), Secrets Manager and SQS mocked, a real local HTTP server, and everything the
 * function prints captured: a refused webhook becomes an SQS dead letter naming the secret, the
 * other webhook still gets the message, and the URL never appears in the output or the dead letter.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { escalationPlan } from '../../../lambdas/alert-router/alert-router';
import { eventFacts } from '../../../lambdas/alert-router/event';
import { renderAlarm, snsMessage } from '../../../lambdas/alert-router/format';
import { webhookDeliveryEnvironment } from '../../../lambdas/webhook-delivery/env';
import { fixture, testSettings } from '../alert-router/support';

const secretsManager = mockClient(SecretsManagerClient);
const sqs = mockClient(SQSClient);
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:shop-alerts-team';
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/shop-webhook-delivery-dlq';

let server: Server;
let base = '';
const posted: { path: string; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      posted.push({ path: req.url ?? '', body });
      const gone = req.url?.includes('/gone/');
      res.writeHead(gone ? 404 : 200);
      res.end(gone ? `no_service: ${base}${req.url}` : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  secretsManager.restore();
  sqs.restore();
});

const context = {
  functionName: 'shop-webhook-delivery',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

describe('webhook-delivery handler', () => {
  it('delivers through the deployed environment, dead-letters a refusal to SQS, prints no URL', async () => {
    const written = webhookDeliveryEnvironment({
      settings: JSON.stringify({
        levels: [
          {
            level: 'team',
            topics: [TOPIC],
            webhooks: [
              { kind: 'slack', secret: 'prod/shop/slack-hook' },
              { kind: 'googleChat', secret: 'prod/shop/gone-hook' },
            ],
          },
        ],
      }),
      deadLetterQueueUrl: QUEUE,
    });
    for (const [name, value] of Object.entries(written.variables))
      if (name !== 'NODE_OPTIONS') vi.stubEnv(name, value);
    const slackUrl = `${base}/services/T0AAA/B0BBB/handlerSecretToken1`;
    const goneUrl = `${base}/gone/handlerSecretToken2`;
    secretsManager
      .on(GetSecretValueCommand, { SecretId: 'prod/shop/slack-hook' })
      .resolves({ SecretString: slackUrl });
    secretsManager
      .on(GetSecretValueCommand, { SecretId: 'prod/shop/gone-hook' })
      .resolves({ SecretString: JSON.stringify({ url: goneUrl }) });
    sqs.on(SendMessageCommand).resolves({ MessageId: 'dl-1' });

    const e = eventFacts(fixture('metric-alarm') as never);
    const facts = {
      ...e,
      project: 'shop',
      severity: 'high' as const,
      target: 'api',
      summary: 'api health check failing',
    };
    const message = renderAlarm(facts, escalationPlan(testSettings(), 'high', facts.changedAt), {
      timeZone: 'UTC',
    });
    const lambdaBody = (JSON.parse(snsMessage(message)) as { lambda: string }).lambda;

    const printed: string[] = [];
    const capture = (chunk: unknown) => {
      printed.push(String(chunk));
      return true;
    };
    const spies = [
      vi.spyOn(process.stdout, 'write').mockImplementation(capture),
      vi.spyOn(process.stderr, 'write').mockImplementation(capture),
      vi.spyOn(console, 'log').mockImplementation((...args) => capture(args.join(' '))),
      vi.spyOn(console, 'info').mockImplementation((...args) => capture(args.join(' '))),
      vi.spyOn(console, 'warn').mockImplementation((...args) => capture(args.join(' '))),
      vi.spyOn(console, 'error').mockImplementation((...args) => capture(args.join(' '))),
    ];
    let response: unknown;
    try {
      const { handler } = await import('../../../lambdas/webhook-delivery/handler');
      response = await handler(
        { Records: [{ Sns: { TopicArn: TOPIC, Message: lambdaBody, MessageId: 'm-9' } }] },
        context,
      );
    } finally {
      for (const spy of spies) spy.mockRestore();
      vi.unstubAllEnvs();
    }

    expect(response).toEqual({ delivered: 1, failed: 1 });
    expect(posted.map((p) => p.path).sort()).toEqual([
      '/gone/handlerSecretToken2',
      '/services/T0AAA/B0BBB/handlerSecretToken1',
    ]);
    const slack = JSON.parse(posted.find((p) => p.path.startsWith('/services/'))?.body ?? '{}');
    expect(slack.text).toBe('🔴 [HIGH] shop · api health check failing');

    const sent = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.QueueUrl).toBe(QUEUE);
    const letter = JSON.parse(sent[0]?.MessageBody ?? '{}');
    expect(letter).toMatchObject({
      level: 'team',
      kind: 'googleChat',
      secret: 'prod/shop/gone-hook',
      status: 404,
      attempts: 1,
      messageId: 'm-9',
      reason: expect.stringMatching(/^HTTP 404 \(no_service: \*\*\*\): the endpoint refused the message/),
    });

    const output = printed.join('\n');
    expect(output).toContain('webhook delivered');
    expect(output).toContain('webhook not delivered, sent to the dead-letter queue');
    for (const secret of ['handlerSecretToken1', 'handlerSecretToken2', slackUrl, goneUrl]) {
      expect(output).not.toContain(secret);
      expect(sent[0]?.MessageBody).not.toContain(secret);
    }
  });
});
