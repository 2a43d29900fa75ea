/**
 * The `backups` command's definition: name, options and help text. Its action is imported on demand
 * from lib/cli/commands/backups.ts, so that registering it loads no heavy module.
 */
import type { Command } from 'commander';
import { addDestinationOptions } from './destination';
import { lazyAction } from './lazy';

export function registerBackups(program: Command): void {
  const backups = program.command('backups').description('inspect stored backups');
  addDestinationOptions(
    backups.command('list <target>').description("list a target's backups: key, time, size, tier, expiry"),
  ).action(lazyAction(async () => (await import('../commands/backups')).backupsAction));
}
