/**
 * `nightshift restore <target> <backup|latest> --to <url>` — streams a backup out of S3, checks its
 * SHA-256, decompresses it and feeds pg_restore, mongorestore or Redis RESTORE. Refuses a non-empty
 * destination unless --force.
 */
import type { Command } from 'commander';
import { restore } from '../../../lambdas/backup/restore';
import { CliError, checkUrlFlag, cliOptions, EXIT, loadConfigForCli, printError, printJson } from '../output';
import { cliLog as cliLogFor } from './archive-logs';
import {
  addDestinationOptions,
  backupStore,
  cliSecrets,
  type DestinationFlags,
  engineOf,
  findTarget,
  formatBytes,
} from './backup';

interface RestoreFlags extends DestinationFlags {
  to: string;
  force?: boolean;
  owner?: boolean;
}

export function registerRestore(program: Command): void {
  addDestinationOptions(
    program
      .command('restore <target> <backup>')
      .description('restore a backup (a key from `nightshift backups list`, or "latest") into a database')
      .requiredOption(
        '--to <url>',
        'destination connection URL (postgres://, mongodb://, redis://); keep passwords out of it — use ~/.pgpass or a secret in the config',
      )
      .option(
        '--force',
        'overwrite a non-empty destination (pg: --clean --if-exists, redis: REPLACE, mongo: --drop)',
      )
      .option(
        '--no-owner',
        'pg: skip ownership and privileges (restoring into a server without the original roles)',
      ),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ nightshift restore app latest --to postgres://postgres@127.0.0.1:5433/app_copy
  $ nightshift restore cache backups/cache/2025/03/14/cache-20250314T020000.123Z.redis-logical.zst --to redis://127.0.0.1:6380 --force`,
    )
    .action(async (name: string, backup: string, flags: RestoreFlags, command: Command) => {
      const options = cliOptions(command);
      const { config } = loadConfigForCli(options);
      const { target } = findTarget(config, name);
      checkUrlFlag('--to', flags.to, [engineOf(target)]);
      const store = backupStore(config, flags);
      try {
        const ssl = target.postgres
          ? ((new URL(flags.to).searchParams.get('sslmode') as
              | 'disable'
              | 'require'
              | 'verify-full'
              | null) ?? 'disable')
          : undefined;
        const result = await restore(
          {
            s3: store.s3,
            bucket: store.bucket,
            root: store.root,
            secrets: cliSecrets(config),
            log: cliLogFor(options.verbose),
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
    });
}
