/**
 * The environment contract between the LogArchive construct and the log-archive handler
 * (lambdas/shared/env.ts).
 *
 *   NIGHTSHIFT_PROJECT               project name (metric dimension)
 *   NIGHTSHIFT_TIME_ZONE             the project's IANA zone (logArchive.day: local)
 *   NIGHTSHIFT_LOG_BUCKET            log bucket name      } set by job.bindBucket
 *   NIGHTSHIFT_LOG_BUCKET_PREFIX     archive key prefix   }
 *   NIGHTSHIFT_LOG_ARCHIVE           the logArchive config section as JSON
 *   NIGHTSHIFT_EXPORT_STATE_MACHINE  export state machine ARN (only when a group uses mode export-task)
 *   NIGHTSHIFT_PART_TARGET_BYTES     compressed bytes per archive part (optional; the core's default)
 *   NODE_OPTIONS                     read by Node.js: source maps plus LOG_ARCHIVE_NODE_FLAGS
 */
import { type LogArchiveConfig, logArchiveSchema } from '../../lib/config/schema';
import {
  type BucketVariables,
  type EnvContract,
  envReader,
  handlerVariable,
  NODE_OPTIONS,
  PROJECT_VAR,
  TIME_ZONE_VAR,
  type WrittenEnv,
  writeEnv,
} from '../shared/env';
import { LOG_ARCHIVE_NODE_FLAGS, MIN_OBJECT_BYTES } from './log-archive';

export const LOG_BUCKET_VARS: BucketVariables = {
  bucket: 'NIGHTSHIFT_LOG_BUCKET',
  prefix: 'NIGHTSHIFT_LOG_BUCKET_PREFIX',
};
export const LOG_ARCHIVE_VAR = 'NIGHTSHIFT_LOG_ARCHIVE';
export const EXPORT_STATE_MACHINE_VAR = 'NIGHTSHIFT_EXPORT_STATE_MACHINE';
export const PART_TARGET_BYTES_VAR = 'NIGHTSHIFT_PART_TARGET_BYTES';

export interface LogArchiveEnv {
  readonly project: string;
  readonly timeZone: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly config: LogArchiveConfig;
  readonly exportStateMachine?: string | undefined;
  readonly partTargetBytes?: number | undefined;
}

export const logArchiveEnv: EnvContract<LogArchiveEnv> = {
  job: 'log-archive',
  variables: [
    handlerVariable(PROJECT_VAR),
    handlerVariable(TIME_ZONE_VAR),
    handlerVariable(LOG_BUCKET_VARS.bucket),
    handlerVariable(LOG_BUCKET_VARS.prefix),
    handlerVariable(LOG_ARCHIVE_VAR),
    handlerVariable(EXPORT_STATE_MACHINE_VAR, false),
    handlerVariable(PART_TARGET_BYTES_VAR, false),
    NODE_OPTIONS,
  ],
  nodeFlags: LOG_ARCHIVE_NODE_FLAGS,
  read(env) {
    const r = envReader('log-archive', env);
    const parsed = logArchiveSchema.safeParse(r.json(LOG_ARCHIVE_VAR));
    if (!parsed.success)
      throw r.fail(LOG_ARCHIVE_VAR, `is not a logArchive section (${parsed.error.message})`);
    const exportStateMachine = r.optional(EXPORT_STATE_MACHINE_VAR);
    if (!exportStateMachine && parsed.data.groups.some((g) => g.mode === 'export-task'))
      throw r.fail(EXPORT_STATE_MACHINE_VAR, 'is not set but a log group uses mode export-task');
    const prefix = r.required(LOG_BUCKET_VARS.prefix);
    if (!prefix.endsWith('/')) throw r.fail(LOG_BUCKET_VARS.prefix, `must end with "/" (got "${prefix}")`);
    return {
      project: r.required(PROJECT_VAR),
      timeZone: r.timeZone(TIME_ZONE_VAR),
      bucket: r.required(LOG_BUCKET_VARS.bucket),
      prefix,
      config: parsed.data,
      exportStateMachine,
      partTargetBytes: r.optionalInteger(PART_TARGET_BYTES_VAR, MIN_OBJECT_BYTES, 5 * 1024 ** 3),
    };
  },
};

/** The construct adds the bucket variables with job.bindBucket and the state machine once it exists. */
export function logArchiveEnvironment(options: {
  project: string;
  timeZone: string;
  config: LogArchiveConfig;
  partTargetBytes?: number | undefined;
}): WrittenEnv {
  return writeEnv(logArchiveEnv, {
    [PROJECT_VAR]: options.project,
    [TIME_ZONE_VAR]: options.timeZone,
    [LOG_ARCHIVE_VAR]: JSON.stringify(options.config),
    [PART_TARGET_BYTES_VAR]:
      options.partTargetBytes === undefined ? undefined : String(options.partTargetBytes),
  });
}
