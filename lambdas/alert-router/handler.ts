/**
 * Lambda entry: EventBridge "CloudWatch Alarm State Change" → alert router core; the escalation state
 * machine's reminder requests → a reminder rendered with a fresh value (reminder.ts); a batch of the
 * acks table's stream → the team is told about each acknowledgement (team.ts).
 * It sends no metrics: what it did (notified, held, duplicate, …) is in its "routed" log line.
 * Environment: env.ts (RouterSettings JSON, the escalation state machine), read on every invocation.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type Log, powertoolsLog } from '../shared/log';
import { redactErrors } from '../shared/redact';
import { type RouterResult, run, sfnEscalations } from './alert-router';
import { alertRouterEnv } from './env';
import type { ReminderReply } from './escalation-definition';
import { snsNotifier } from './notifier';
import { freshReminder, isReminderRequest } from './reminder';
import { isAckStreamEvent, tellTeamAboutAcks } from './team';

const logger = new Logger({ serviceName: 'alert-router' });
const log: Log = powertoolsLog(logger);

const sns = new SNSClient({});
const cloudwatch = new CloudWatchClient({});
const logs = new CloudWatchLogsClient({});
const sfn = new SFNClient({});
const dynamo = new DynamoDBClient({});
const sqs = new SQSClient({});

async function route(
  event: unknown,
  context: Context,
): Promise<RouterResult | RouterResult[] | ReminderReply> {
  const env = alertRouterEnv.read(process.env);
  const ackLinks = { baseUrl: env.ackLinkBase, table: env.ackLinkTable, dynamo };
  if (isReminderRequest(event)) {
    const reply = await freshReminder(
      { settings: env.settings, cloudwatch, log, now: () => new Date(), ackLinks },
      event,
    );
    log.info('reminder', {
      alarmName: event.alarm.name,
      count: event.count,
      page: reply.page,
      state: reply.state,
    });
    return reply;
  }
  const deps = {
    settings: env.settings,
    notifier: snsNotifier(sns),
    escalations: sfnEscalations(sfn, env.stateMachineArn, log),
    cloudwatch,
    logs,
    sqs,
    log,
    ackLinks,
  };
  if (isAckStreamEvent(event)) {
    const results = await tellTeamAboutAcks(deps, event);
    const summaries = results.map(({ messages: _messages, ...summary }) => summary);
    log.info('acknowledgements', { results: summaries });
    return summaries;
  }
  const result = await run(deps, { event, deliveryId: context.awsRequestId });
  const { messages: _messages, ...summary } = result;
  log.info('routed', { ...summary });
  return summary;
}

export const handler = middy<unknown, RouterResult | RouterResult[] | ReminderReply, Error, Context>()
  .use(redactErrors())
  .use(injectLambdaContext(logger))
  .handler(route);
