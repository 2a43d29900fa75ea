/**
 * `nightshift archive-logs` — archives one day of the configured CloudWatch Logs groups to the log
 * bucket with the user's AWS credentials, using the same core as the Lambda job (same layout,
 * manifest, skip/force and checkpoint rules). Progress goes to stderr.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { S3Client } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { parseDate } from '../../../lambdas/log-archive/day';
import { type LogArchiveReport, run } from '../../../lambdas/log-archive/log-archive';
import { cloudWatchLogsSource } from '../../../lambdas/log-archive/source';
import { MemoryMetrics } from '../../../lambdas/shared/metrics';
import type { NightshiftConfig } from '../../config/schema';
import {
  CliError,
  checkUrlFlag,
  cliLog,
  cliOptions,
  EXIT,
  loadConfigForCli,
  mark,
  printError,
  printJson,
  printTable,
  progress,
} from '../output';

interface ArchiveFlags {
  date?: string;
  group?: string[];
  force?: boolean;
  endpoint?: string;
  logsEndpoint?: string;
  bucket?: string;
}

/** The deployed log bucket's name, or --bucket. */
export function logBucketName(config: NightshiftConfig, bucket: string | undefined): string {
  if (bucket) return bucket;
  if (!config.account) {
    throw new CliError(
      'the log bucket name contains the AWS account id: set `account` in the config or pass --bucket NAME',
      EXIT.USAGE,
    );
  }
  return `${config.project}-nightshift-logs-${config.account}-${config.region}`;
}

/** An S3 client for AWS, or for an S3-compatible store at `endpoint` (path-style, checksums only when required). */
/** What to set when an S3-compatible store (`--endpoint`) gets no credentials from the usual chain. */
export function storeCredentialsHelp(endpoint: string): string {
  return `no credentials for the S3-compatible store at ${endpoint}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to one of its access keys (s3rver accepts any pair, e.g. S3RVER/S3RVER; MinIO: the root user and password, or an access key made with "mc admin accesskey create"), or AWS_PROFILE to a profile that holds them`;
}

/**
 * The S3 client for a command: AWS S3 in `region`, or an S3-compatible store at `endpoint` (path-style,
 * no flexible checksums, which s3rver cannot decode). Credentials come from the usual chain (environment,
 * AWS_PROFILE, SSO, instance role) in both cases; against a store with none found, the error says exactly
 * what to set instead of the SDK's "Could not load credentials from any providers".
 */
export function s3ClientFor(region: string, endpoint: string | undefined): S3Client {
  if (!endpoint) return new S3Client({ region });
  const url = checkUrlFlag('--endpoint', endpoint, ['http']);
  const chain = new S3Client({ region }).config.credentials;
  return new S3Client({
    region,
    endpoint: url,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials: async () => {
      try {
        return await chain();
      } catch {
        throw new CliError(storeCredentialsHelp(url), EXIT.USAGE);
      }
    },
  });
}

/** The `archive-logs` command's action (its definition: lib/cli/definitions/archive-logs.ts). */
export const archiveLogsAction = async (flags: ArchiveFlags, command: Command) => {
  const options = cliOptions(command);
  const { config } = loadConfigForCli(options);
  if (!config.logArchive) {
    throw new CliError(
      'the config has no logArchive section — add one (see docs/log-archive.md)',
      EXIT.USAGE,
    );
  }
  if (flags.date) {
    try {
      parseDate(flags.date);
    } catch (error) {
      throw new CliError((error as Error).message, EXIT.USAGE);
    }
  }
  const bucket = logBucketName(config, flags.bucket);
  const metrics = new MemoryMetrics();
  const logs = new CloudWatchLogsClient({
    region: config.region,
    maxAttempts: 1,
    ...(flags.logsEndpoint
      ? { endpoint: checkUrlFlag('--logs-endpoint', flags.logsEndpoint, ['http']) }
      : {}),
  });
  const s3 = s3ClientFor(config.region, flags.endpoint);
  let report: LogArchiveReport;
  try {
    report = await run(
      {
        source: cloudWatchLogsSource(logs),
        s3,
        bucket,
        config: config.logArchive,
        timeZone: config.timezone,
        project: config.project,
        log: cliLog(options.verbose, { errors: false }),
        metrics,
        now: () => new Date(),
        progress,
      },
      { date: flags.date, groups: flag(flags.group), force: flags.force },
    );
  } finally {
    logs.destroy();
    s3.destroy();
  }
  const failed = report.groups.filter((g) => g.outcome === 'failed');
  if (options.json) {
    printJson({ bucket, ...report });
  } else {
    printTable(report.groups, [
      { header: 'group', value: (g) => g.group },
      { header: 'outcome', value: (g) => `${mark(g.outcome !== 'failed')} ${g.outcome}` },
      { header: 'events', value: (g) => String(g.events), align: 'right' },
      { header: 'bytes', value: (g) => String(g.bytes), align: 'right' },
      { header: 'parts', value: (g) => String(g.parts), align: 'right' },
      { header: 'error', value: (g) => g.error ?? '' },
    ]);
    printError(
      `${report.date} (${report.timeZone}): ${report.status}, ${report.events} events written this run, ${report.throttles} throttles — manifest s3://${bucket}/${report.manifestKey}`,
    );
  }
  if (failed.length) process.exitCode = EXIT.FAILED;
};

function flag(values: string[] | undefined): string[] | undefined {
  return values?.length ? values : undefined;
}
