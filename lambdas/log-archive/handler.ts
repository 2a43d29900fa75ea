/**
 * Lambda entry of the log archive job. Events (from the ScheduledJob's schedules or from itself):
 * - `{ action: "archive" }` (daily): finishes days an earlier run left incomplete (last 3 days), then
 *   archives the previous day. `{ action: "archive", date, groups?, force? }` archives one day.
 * - `{ action: "check" }` (hourly): emits ArchivedDay / ArchiveLagHours for the deadline alarm.
 * When a run nears the function timeout it checkpoints into the manifest and invokes this function
 * again asynchronously with `{ action: "archive", date, hop }` (at most MAX_HOPS times per day).
 * A group that fails makes the invocation fail (after every other group and day is done), so the
 * job's "failed" alarm fires.
 *
 * Environment: env.ts (project, time zone, bucket and prefix, the logArchive section, the export state
 * machine when a group uses mode export-task), read on every invocation.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { type Log, powertoolsLog } from '../shared/log';
import { METRICS_NAMESPACE, powertoolsSink } from '../shared/metrics';
import { redactErrors } from '../shared/redact';
import { dayZone, previousDay } from './day';
import { logArchiveEnv } from './env';
import { stepFunctionsExportStarter } from './export-task';
import {
  type CheckReport,
  check,
  type LogArchiveDeps,
  type LogArchiveReport,
  pendingDays,
  run,
} from './log-archive';
import { cloudWatchLogsSource } from './source';

/** Self re-invocations per day before giving up (the next scheduled run continues then). */
export const MAX_HOPS = 24;

const logger = new Logger({ serviceName: 'log-archive' });
const log: Log = powertoolsLog(logger);
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'log-archive' });
const s3 = new S3Client({});
// the core's backoff retries throttles itself (and counts them), so the SDK does not retry
const logs = new CloudWatchLogsClient({ maxAttempts: 1 });
const lambda = new LambdaClient({});
const sfn = new SFNClient({});

const eventSchema = z.object({
  schedule: z.string().optional(),
  action: z.enum(['archive', 'check']).default('archive'),
  date: z.string().optional(),
  groups: z.array(z.string()).optional(),
  force: z.boolean().optional(),
  hop: z.number().int().min(0).default(0),
});

export class LogArchiveIncompleteError extends Error {
  constructor(failures: string[]) {
    super(
      `log archive incomplete: ${failures.join('; ')} — fix the cause; the next run retries these groups (archived groups are kept)`,
    );
    this.name = 'LogArchiveIncompleteError';
  }
}

function dependencies(context: Context): LogArchiveDeps {
  const env = logArchiveEnv.read(process.env);
  return {
    source: cloudWatchLogsSource(logs),
    s3,
    bucket: env.bucket,
    prefix: env.prefix,
    config: env.config,
    timeZone: env.timeZone,
    project: env.project,
    partTargetBytes: env.partTargetBytes,
    log,
    metrics: powertoolsSink(metrics),
    now: () => new Date(),
    remainingMs: () => context.getRemainingTimeInMillis(),
    exports: env.exportStateMachine ? stepFunctionsExportStarter(sfn, env.exportStateMachine) : undefined,
  };
}

export interface LogArchiveResponse {
  readonly action: 'archive' | 'check';
  readonly days?: Pick<LogArchiveReport, 'date' | 'status' | 'events' | 'bytes' | 'throttles'>[];
  readonly check?: CheckReport;
  readonly continued?: string | undefined;
}

async function handle(event: unknown, context: Context): Promise<LogArchiveResponse> {
  const deps = dependencies(context);
  const input = eventSchema.parse(event ?? {});
  if (input.action === 'check') return { action: 'check', check: await check(deps) };

  const yesterday = previousDay(deps.now(), dayZone(deps.config.day, deps.timeZone)).date;
  const dates = input.date ? [input.date] : [...(await pendingDays(deps, yesterday)), yesterday];
  const days: NonNullable<LogArchiveResponse['days']> = [];
  const failures: string[] = [];
  for (const date of dates) {
    const report = await run(deps, { date, groups: input.groups, force: input.force && input.hop === 0 });
    days.push({
      date,
      status: report.status,
      events: report.events,
      bytes: report.bytes,
      throttles: report.throttles,
    });
    for (const g of report.groups)
      if (g.outcome === 'failed') failures.push(`${date} ${g.group}: ${g.error}`);
    if (report.continue) {
      if (input.hop + 1 > MAX_HOPS) {
        log.warn('re-invocation limit reached; the next scheduled run continues', {
          date,
          hop: input.hop,
        });
        break;
      }
      await lambda.send(
        new InvokeCommand({
          FunctionName: context.invokedFunctionArn,
          InvocationType: 'Event',
          Payload: JSON.stringify({ action: 'archive', date, groups: input.groups, hop: input.hop + 1 }),
        }),
      );
      log.info('deadline near: checkpoint written, continuing in a new invocation', {
        date,
        hop: input.hop + 1,
      });
      return { action: 'archive', days, continued: date };
    }
  }
  if (failures.length) throw new LogArchiveIncompleteError(failures);
  return { action: 'archive', days };
}

export const handler = middy<unknown, LogArchiveResponse, Error, Context>()
  .use(redactErrors())
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(handle);
