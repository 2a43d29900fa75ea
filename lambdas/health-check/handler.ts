/**
 * Lambda entry: an EventBridge Scheduler event carrying the targets of one schedule → health-check core.
 * The event is written at synth time by the HealthChecks construct: targets with their defaults applied,
 * secret names only (never values). Environment: env.ts, read on every invocation.
 * A down target never fails the invocation; only a malformed event does.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { awsSecretsReader } from '../shared/connections';
import { type Log, powertoolsLog } from '../shared/log';
import { METRICS_NAMESPACE, powertoolsSink } from '../shared/metrics';
import { redactErrors } from '../shared/redact';
import { healthCheckEnv } from './env';
import { parseHealthEvent } from './event';
import { run } from './health-check';
import { dynamoScrapeState } from './prometheus/state';

const logger = new Logger({ serviceName: 'health-check' });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'health-check' });
const secrets = awsSecretsReader();
const dynamo = new DynamoDBClient({});
const log: Log = powertoolsLog(logger);

export interface HealthCheckResponse {
  readonly schedule?: string | undefined;
  readonly targets: number;
  readonly up: number;
  readonly down: number;
  readonly durationMs: number;
  readonly downTargets: { readonly target: string; readonly reason?: string | undefined }[];
}

async function check(event: unknown): Promise<HealthCheckResponse> {
  const { project, concurrency, scrapeTable } = healthCheckEnv.read(process.env);
  const input = parseHealthEvent(event);
  const result = await run(
    {
      project,
      secrets,
      metrics: powertoolsSink(metrics),
      log,
      now: () => new Date(),
      scrapeState: scrapeTable ? dynamoScrapeState(dynamo, scrapeTable) : undefined,
    },
    {
      targets: input.targets,
      onlyTargets: input.onlyTargets,
      concurrency,
      periodMs: input.periodMs,
      repeat: input.repeat,
      scheduledAt: input.scheduledTime === undefined ? undefined : Date.parse(input.scheduledTime),
      metricsSent: input.metricsSent,
    },
  );
  return {
    schedule: input.schedule,
    targets: result.results.length,
    up: result.up,
    down: result.down,
    durationMs: result.durationMs,
    downTargets: result.results.filter((r) => !r.up).map((r) => ({ target: r.target, reason: r.reason })),
  };
}

export const handler = middy<unknown, HealthCheckResponse, Error, Context>()
  .use(redactErrors())
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(check);
