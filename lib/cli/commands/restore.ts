/**
 * `nightshift restore <target> <backup|latest> --to <url>` — streams a backup out of S3, checks its
 * SHA-256, decompresses it and feeds pg_restore, mongorestore or Redis RESTORE. Refuses a non-empty
 * destination unless --force.
 */
import type { Command } from 'commander';
import { restore } from '../../../lambdas/backup/restore';
import { formatBytes } from '../../../lambdas/shared/format';
import {
  CliError,
  checkUrlFlag,
  cliLog,
  cliOptions,
  EXIT,
  loadConfigForCli,
  printError,
  printJson,
} from '../output';
import { backupStore, cliSecrets, type DestinationFlags, engineOf, findTarget } from './backup';

interface RestoreFlags extends DestinationFlags {
  to: string;
  force?: boolean;
  owner?: boolean;
}

/** The `restore` command's action (its definition: lib/cli/definitions/restore.ts). */
export const restoreAction = async (name: string, backup: string, flags: RestoreFlags, command: Command) => {
  const options = cliOptions(command);
  const { config } = loadConfigForCli(options);
  const { target } = findTarget(config, name);
  checkUrlFlag('--to', flags.to, [engineOf(target)]);
  const store = backupStore(config, flags);
  try {
    const ssl = target.postgres
      ? ((new URL(flags.to).searchParams.get('sslmode') as 'disable' | 'require' | 'verify-full' | null) ??
        'disable')
      : undefined;
    const result = await restore(
      {
        s3: store.s3,
        bucket: store.bucket,
        root: store.root,
        secrets: cliSecrets(config),
        log: cliLog(options.verbose, { errors: false }),
        // loaded only for an RDB restore: the local harness stays out of the CLI's start-up
        startScratchRedis: async (scratch) => (await import('../../local/redis')).startRedis(scratch),
      },
      {
        target,
        backup,
        to: { url: flags.to, ssl },
        force: flags.force ?? false,
        noOwner: flags.owner === false,
      },
    );
    if (options.json)
      printJson({
        manifestKey: result.manifestKey,
        destination: result.destination,
        redis: result.redis,
      });
    else
      printError(
        `restored ${result.manifest.key} (${formatBytes(result.bytes)} stored, ${result.manifest.createdAt}) into ${result.destination}${
          result.redis
            ? ` — ${result.redis.restored} keys, ${result.redis.expired} expired since the backup`
            : ''
        }`,
      );
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.FAILED);
  } finally {
    store.s3.destroy();
  }
};
