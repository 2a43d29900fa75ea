/**
 * The `ack` command's definition: name, options and help text. Its action is imported on demand
 * from lib/cli/commands/ack.ts, so that registering it loads no heavy module.
 */
import type { Command } from 'commander';
import { lazyAction } from './lazy';

export function registerAck(program: Command): void {
  program
    .command('ack <alarm>')
    .description('acknowledge an alarm in ALARM: stops its escalation for this episode')
    .option('--note <text>', 'what you are doing about it (shown in "nightshift alarms")')
    .option('--by <name>', 'who acknowledges (default: your login name)')
    .addHelpText(
      'after',
      `
Examples:
  $ nightshift ack shop-api-down --note "restarting the api, ETA 10 min"
  $ nightshift ack api-down --by alice

The escalation stops at its next check and the levels paged so far are told who acknowledged. You
still get the RESOLVED message; if the alarm goes OK and fires again, the new episode escalates again.
Every page also carries a one-tap acknowledge link that does the same without credentials. Needs cloudwatch:DescribeAlarms and dynamodb:PutItem on
<project>-nightshift-acks.`,
    )
    .action(lazyAction(async () => (await import('../commands/ack')).ackAction));
}
