/**
 * Lambda entry behind the ack-link Function URL (AuthType NONE: the link id is the credential, ADR 006).
 * Adapts the Function URL event (payload format 2.0) to the core and its page back to the response.
 * It sends no metrics: each request's outcome is in its "ack link" log line (never the id).
 * Environment: env.ts, read on every invocation.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import type { Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { type Log, powertoolsLog } from '../shared/log';
import { redactErrors } from '../shared/redact';
import { run } from './ack-link';
import { ackLinkEnv } from './env';

const logger = new Logger({ serviceName: 'ack-link' });
const log: Log = powertoolsLog(logger);

const dynamo = new DynamoDBClient({});
const cloudwatch = new CloudWatchClient({});

async function serve(event: LambdaFunctionURLEvent): Promise<LambdaFunctionURLResult> {
  const { linkTable, ackTable, timeZone } = ackLinkEnv.read(process.env);
  const result = await run(
    { dynamo, cloudwatch, linkTable, ackTable, timeZone, now: () => new Date(), log },
    { method: event.requestContext.http.method, path: event.rawPath },
  );
  log.info('ack link', {
    method: event.requestContext.http.method,
    status: result.response.statusCode,
    outcome: result.outcome,
    ...(result.alarm ? { alarm: result.alarm } : {}),
  });
  return result.response;
}

export const handler = middy<LambdaFunctionURLEvent, LambdaFunctionURLResult, Error, Context>()
  .use(redactErrors())
  .use(injectLambdaContext(logger))
  .handler(serve);
