/**
 * Lambda entry for one backup target: EventBridge Scheduler → backup (default) or verify.
 * Event: `{ "action": "backup" | "verify" }` (optional). Environment: see env.ts — secret names only;
 * passwords are read from Secrets Manager at run time. The Fargate task runs the same `runJob`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { awsSecretsReader } from '../shared/connections';
import { type Log, powertoolsLog } from '../shared/log';
import { METRICS_NAMESPACE, powertoolsSink } from '../shared/metrics';
import { redactErrors } from '../shared/redact';
import { run } from './backup';
import { type BackupEnv, backupEnv } from './env';
import { verify } from './verify';

const logger = new Logger({ serviceName: 'backup' });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'backup' });
const log: Log = powertoolsLog(logger);
const s3 = new S3Client({});
const secrets = awsSecretsReader();

/** Stop streaming this long before Lambda's hard timeout, to abort the upload cleanly. */
export const DEADLINE_MARGIN_MS = 45_000;

export interface BackupEvent {
  readonly action?: 'backup' | 'verify';
}

export interface BackupOutcome {
  readonly action: 'backup' | 'verify';
  readonly target: string;
  readonly ok: boolean;
  readonly key: string;
}

/** One backup or verify run; `env` is read by the caller through its contract (Lambda or Fargate). */
export async function runJob(
  event: BackupEvent,
  env: BackupEnv,
  remainingMs: number,
  sink = powertoolsSink(metrics),
): Promise<BackupOutcome> {
  const action = event.action ?? 'backup';
  const base = { s3, bucket: env.bucket, root: env.root, secrets, log, metrics: sink, project: env.project };
  if (action === 'verify') {
    const into = env.target.verify;
    if (!into)
      throw new Error(
        `backup target ${env.target.name} has no verify section — add verify.url or verify.secret`,
      );
    const result = await verify(base, {
      target: env.target,
      scratch: { secret: into.secret, url: into.url },
    });
    if (!result.ok)
      throw new Error(`verification of ${env.target.name} found different counts (see the log)`);
    return { action, target: env.target.name, ok: true, key: result.key };
  }
  const result = await run(
    {
      ...base,
      kmsKeyId: env.kmsKeyId,
      objectLock: env.objectLock,
      now: () => new Date(),
      timeZone: env.timeZone,
      retention: env.retention,
      deadline: Date.now() + remainingMs - DEADLINE_MARGIN_MS,
    },
    { target: env.target, compressionLevel: env.compressionLevel },
  );
  return { action, target: env.target.name, ok: true, key: result.key };
}

export const handler = middy<BackupEvent, BackupOutcome, Error, Context>()
  .use(redactErrors())
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler((event, context) =>
    runJob(event ?? {}, backupEnv.read(process.env), context.getRemainingTimeInMillis()),
  );
