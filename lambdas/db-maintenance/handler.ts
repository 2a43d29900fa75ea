/**
 * Lambda entry: an EventBridge Scheduler event carrying one maintenance task → db-maintenance core.
 * The event is written at synth time by the DbMaintenance construct (spec.ts: defaults applied, secret
 * names only). Environment: env.ts. A task that fails or finds a problem never fails the invocation (its
 * metric raises the task's alarm, and a retry would only repeat it); only a malformed event or
 * environment does.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { awsSecretsReader } from '../shared/connections';
import { type Log, powertoolsLog } from '../shared/log';
import { METRICS_NAMESPACE, powertoolsSink } from '../shared/metrics';
import { redactErrors } from '../shared/redact';
import { runTask } from './db-maintenance';
import { dbMaintenanceEnv } from './env';
import { parseMaintenanceEvent } from './event';
import type { Outcome } from './types';

const logger = new Logger({ serviceName: 'db-maintenance' });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'db-maintenance' });
const secrets = awsSecretsReader();
const log: Log = powertoolsLog(logger);

export interface MaintenanceResponse {
  readonly schedule?: string | undefined;
  readonly task: string;
  readonly kind: string;
  readonly outcome: Outcome;
  readonly summary: string;
  readonly reason?: string | undefined;
  readonly problems: string[];
  readonly durationMs: number;
}

async function maintain(event: unknown): Promise<MaintenanceResponse> {
  const { project } = dbMaintenanceEnv.read(process.env);
  const input = parseMaintenanceEvent(event);
  const result = await runTask({ project, secrets, metrics: powertoolsSink(metrics), log }, input.task);
  return {
    schedule: input.schedule,
    task: result.task,
    kind: result.kind,
    outcome: result.outcome,
    summary: result.summary,
    reason: result.reason,
    problems: result.findings.filter((f) => f.problem).map((f) => f.text),
    durationMs: result.durationMs,
  };
}

export const handler = middy<unknown, MaintenanceResponse, Error, Context>()
  .use(redactErrors())
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(maintain);
