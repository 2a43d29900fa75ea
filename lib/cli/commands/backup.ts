/**
 * `nightshift backup <target>` — runs the backup job core locally (same pipeline, layout, manifest,
 * tiers and metrics as the Lambda) against the deployed bucket with your AWS credentials, or any
 * S3-compatible store (--endpoint, --dest). A progress line (bytes read, stored, rate) goes to stderr.
 * Also holds the helpers the backups/restore/verify commands share.
 */

import type { S3Client } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { run } from '../../../lambdas/backup/backup';
import { DEFAULT_ROOT } from '../../../lambdas/backup/layout';
import { awsSecretsReader } from '../../../lambdas/shared/connections';
import { formatBytes } from '../../../lambdas/shared/format';
import { MemoryMetrics } from '../../../lambdas/shared/metrics';
import { effectiveBackupTargets } from '../../config/resolved';
import {
  BACKUP_ENGINES,
  type BackupEngine,
  type BackupsConfig,
  type BackupTarget,
  type NightshiftConfig,
} from '../../config/schema';
import {
  CliError,
  checkUrlFlag,
  cliLog,
  cliOptions,
  EXIT,
  loadConfigForCli,
  printJson,
  printTable,
  progress,
} from '../output';
import { s3ClientFor } from './archive-logs';

export interface DestinationFlags {
  dest?: string;
  endpoint?: string;
}

export interface BackupStore {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly root: string;
  /** Whether this is the deployed bucket (Object Lock from the config applies). */
  readonly deployed: boolean;
}

export function backupsSection(config: NightshiftConfig): BackupsConfig {
  if (!config.backups?.targets.length)
    throw new CliError(
      'the config has no backups targets — add a backups section (see docs/backup.md)',
      EXIT.USAGE,
    );
  return config.backups;
}

export function findTarget(
  config: NightshiftConfig,
  name: string,
): { target: BackupTarget; compressionLevel: number } {
  backupsSection(config);
  const found = effectiveBackupTargets(config).find((t) => t.target.name === name);
  if (!found) {
    const names = effectiveBackupTargets(config).map((t) => t.target.name);
    throw new CliError(`no backup target "${name}" — the config has: ${names.join(', ')}`, EXIT.USAGE);
  }
  return { target: found.target, compressionLevel: found.compressionLevel };
}

/** The engine a backup target dumps (postgres, mongodb or redis). */
export function engineOf(target: BackupTarget): BackupEngine {
  const engine = BACKUP_ENGINES.find((kind) => target[kind] !== undefined);
  if (!engine) throw new CliError(`backup target "${target.name}" names no engine`, EXIT.USAGE);
  return engine;
}

/** --dest s3://bucket/prefix, else the deployed bucket <project>-nightshift-backups-<account>-<region>. */
export function backupStore(config: NightshiftConfig, flags: DestinationFlags): BackupStore {
  const s3 = s3ClientFor(config.region, flags.endpoint);
  if (flags.dest) {
    checkUrlFlag('--dest', flags.dest, ['s3']);
    const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(flags.dest);
    if (!match?.[1])
      throw new CliError(`--dest must look like s3://bucket/prefix, not ${flags.dest}`, EXIT.USAGE);
    return { s3, bucket: match[1], root: match[2]?.replace(/\/+$/, '') || DEFAULT_ROOT, deployed: false };
  }
  if (!config.account)
    throw new CliError(
      'the backup bucket name contains the AWS account id: set `account` in the config or pass --dest s3://bucket/prefix',
      EXIT.USAGE,
    );
  return {
    s3,
    bucket: `${config.project}-nightshift-backups-${config.account}-${config.region}`,
    root: DEFAULT_ROOT,
    deployed: !flags.endpoint,
  };
}

export function cliSecrets(config: NightshiftConfig) {
  return awsSecretsReader({ region: config.region });
}

/** The `backup` command's action (its definition: lib/cli/definitions/backup.ts). */
export const backupAction = async (name: string, flags: DestinationFlags, command: Command) => {
  const options = cliOptions(command);
  const { config } = loadConfigForCli(options);
  const section = backupsSection(config);
  const { target, compressionLevel } = findTarget(config, name);
  const store = backupStore(config, flags);
  const metrics = new MemoryMetrics();
  try {
    const result = await run(
      {
        s3: store.s3,
        bucket: store.bucket,
        root: store.root,
        objectLock:
          store.deployed && section.objectLock !== 'off'
            ? (section.objectLock.toUpperCase() as 'GOVERNANCE' | 'COMPLIANCE')
            : undefined,
        secrets: cliSecrets(config),
        log: cliLog(options.verbose, { errors: false }),
        metrics,
        now: () => new Date(),
        project: config.project,
        timeZone: config.timezone,
        retention: section.retention,
        onProgress: ({ bytesIn, bytesOut, elapsedMs }) =>
          progress(
            `${name}  ${formatBytes(bytesIn)} read → ${formatBytes(bytesOut)} stored  ${formatBytes(
              (bytesIn / Math.max(elapsedMs, 1)) * 1000,
            )}/s`,
          ),
      },
      { target, compressionLevel },
    );
    const m = result.manifest;
    if (options.json) printJson({ bucket: store.bucket, manifestKey: result.manifestKey, manifest: m });
    else {
      printTable(
        [m],
        [
          { header: 'key', value: (r) => `s3://${store.bucket}/${r.key}` },
          { header: 'tier', value: (r) => r.tier },
          { header: 'expires', value: (r) => r.expiresAt.slice(0, 10) },
          { header: 'read', value: (r) => formatBytes(r.bytesIn), align: 'right' },
          { header: 'stored', value: (r) => formatBytes(r.bytesOut), align: 'right' },
          { header: 'time', value: (r) => `${(r.durationMs / 1000).toFixed(1)} s`, align: 'right' },
        ],
      );
    }
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.FAILED);
  } finally {
    store.s3.destroy();
  }
};
