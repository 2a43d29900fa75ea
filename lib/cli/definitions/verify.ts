/**
 * The `verify` command's definition: name, options and help text. Its action is imported on demand
 * from lib/cli/commands/verify.ts, so that registering it loads no heavy module.
 */
import type { Command } from 'commander';
import { addDestinationOptions } from './destination';
import { lazyAction } from './lazy';

export function registerVerify(program: Command): void {
  addDestinationOptions(
    program
      .command('verify <target> [backup]')
      .description(
        'restore a backup (default: latest) into a scratch database and compare counts with its manifest',
      )
      .option('--scratch <url>', "scratch database URL — it is WIPED (default: the target's verify.url)"),
  ).action(lazyAction(async () => (await import('../commands/verify')).verifyAction));
}
