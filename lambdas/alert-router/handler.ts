/**
 * Lambda entry: EventBridge "CloudWatch Alarm State Change" → alert router core.
 * Environment: NIGHTSHIFT_ALERTS (RouterSettings JSON), ESCALATION_STATE_MACHINE_ARN.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type Log, powertoolsLog } from '../shared/log';
import { METRICS_NAMESPACE, powertoolsSink } from '../shared/metrics';
import { type RouterResult, run, sfnEscalations } from './alert-router';
import { snsNotifier } from './notifier';
import { parseRouterSettings, ROUTER_SETTINGS_ENV } from './settings';

const logger = new Logger({ serviceName: 'alert-router' });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'alert-router' });
const settings = parseRouterSettings(process.env[ROUTER_SETTINGS_ENV]);
const log: Log = powertoolsLog(logger);
const stateMachineArn = process.env.ESCALATION_STATE_MACHINE_ARN;

const sns = new SNSClient({});
const cloudwatch = new CloudWatchClient({});
const logs = new CloudWatchLogsClient({});
const sfn = new SFNClient({});
const escalations = stateMachineArn ? sfnEscalations(sfn, stateMachineArn, log) : undefined;

async function route(event: unknown, context: Context): Promise<RouterResult> {
  const result = await run(
    {
      settings,
      notifier: snsNotifier(sns),
      escalations,
      cloudwatch,
      logs,
      log,
      metrics: powertoolsSink(metrics),
    },
    { event, deliveryId: context.awsRequestId },
  );
  const { messages: _messages, ...summary } = result;
  logger.info('routed', { ...summary });
  return summary;
}

export const handler = middy<unknown, RouterResult, Error, Context>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(route);
