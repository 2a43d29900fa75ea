/**
 * The `alarms` command's definition: name, options and help text. Its action is imported on demand
 * from lib/cli/commands/alarms.ts, so that registering it loads no heavy module.
 */
import type { Command } from 'commander';
import { lazyAction } from './lazy';

export function registerAlarms(program: Command): void {
  program
    .command('alarms')
    .description("list the project's alarms: state, severity, since when, who acknowledged")
    .option('--all', 'every alarm in the account and region, not only the ones Nightshift pages for')
    .addHelpText(
      'after',
      `
Examples:
  $ nightshift alarms
  $ nightshift alarms --json | jq '.[] | select(.state == "ALARM")'

Uses your AWS credentials (cloudwatch:DescribeAlarms, cloudwatch:ListTagsForResource and dynamodb:Scan
on <project>-nightshift-acks). Alarms in ALARM come first, most severe first. Listed are the alarms the
alert router pages for: <project>-* alarms, alarms named with alerts.routeAlarms.namePrefix and alarms
tagged with alerts.routeAlarms.tagKey (default nightshift:severity); --all adds the others as "unrouted".
Severities show your runbook's names when alerts.severities.aliases maps them, e.g. "P1 (high)".`,
    )
    .action(lazyAction(async () => (await import('../commands/alarms')).alarmsAction));
}
