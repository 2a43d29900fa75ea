/**
 * The `restore` command's definition: name, options and help text. Its action is imported on demand
 * from lib/cli/commands/restore.ts, so that registering it loads no heavy module.
 */
import type { Command } from 'commander';
import { addDestinationOptions } from './destination';
import { lazyAction } from './lazy';

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
    .action(lazyAction(async () => (await import('../commands/restore')).restoreAction));
}
