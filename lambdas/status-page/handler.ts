/**
 * Lambda entry of the status page. Two event sources, one small function:
 * - the Function URL (directly, or through CloudFront with origin access control): `GET /` and
 *   `GET /status.json`;
 * - EventBridge "CloudWatch Alarm State Change" events of the page's targets' alarms: incidents open
 *   and close (a rule of its own, so the alert router is untouched).
 * Environment: env.ts, read on every invocation.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type Log, powertoolsLog } from '../shared/log';
import { redactErrors } from '../shared/redact';
import { statusPageEnv } from './env';
import { type AlarmOutcome, alarmChangeOf, type HttpResponse, recordAlarm, serve } from './status-page';

const logger = new Logger({ serviceName: 'status-page' });
const log: Log = powertoolsLog(logger);

const cloudwatch = new CloudWatchClient({});
const dynamo = new DynamoDBClient({});

/** The part of a Function URL event (payload format 2.0) the page reads. */
export interface FunctionUrlEvent {
  readonly rawPath?: string;
  readonly requestContext?: { readonly http?: { readonly method?: string; readonly path?: string } };
}

async function handle(event: unknown, _context: Context): Promise<HttpResponse | AlarmOutcome> {
  const { settings, table } = statusPageEnv.read(process.env);
  const deps = { cloudwatch, dynamo, table, now: () => new Date(), log };
  const change = alarmChangeOf(event);
  if (change) {
    const outcome = await recordAlarm(deps, settings, change);
    log.info('alarm change', { alarm: change.alarmName, state: change.state, ...outcome });
    return outcome;
  }
  const http = (event as FunctionUrlEvent | undefined)?.requestContext?.http;
  if (!http?.method) throw new Error('status-page: neither a Function URL request nor an alarm state change');
  return serve(deps, settings, {
    method: http.method,
    path: (event as FunctionUrlEvent).rawPath ?? http.path ?? '/',
  });
}

export const handler = middy<unknown, HttpResponse | AlarmOutcome, Error, Context>()
  .use(redactErrors())
  .use(injectLambdaContext(logger))
  .handler(handle);
