/**
 * The `status` command's definition: name, options and help text. Its action is imported on demand
 * from lib/cli/commands/status.ts, so that registering it loads no heavy module.
 */
import type { Command } from 'commander';
import { lazyAction } from './lazy';

export function registerStatus(program: Command): void {
  const status = program.command('status').description('the status page: post notes on incidents');
  status
    .command('note <target> <text>')
    .description("post a note on the status page: on the target's open incident, else as a notice")
    .addHelpText(
      'after',
      `
Examples:
  $ nightshift status note api "We found the cause and are rolling back the release."
  $ nightshift status note "Online shop" "Payments are slow; orders are not lost."

<target> is a statusPage target: its healthChecks name or its display name. The note is public when
statusPage.public is true: write for your users, not for the team. Needs dynamodb:Query, PutItem and
UpdateItem on <project>-nightshift-status.`,
    )
    .action(lazyAction(async () => (await import('../commands/status')).statusAction));
}
