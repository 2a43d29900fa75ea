/**
 * The `plan` command's definition: name, options and help text. Its action is imported on demand
 * from lib/cli/commands/plan.ts, so that registering it loads no heavy module.
 */
import type { Command } from 'commander';
import { lazyAction } from './lazy';

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('show what would be deployed: stacks, jobs with their next runs, alarms, alert levels')
    .option('--now <iso>', 'compute next runs from this time (ISO 8601) instead of the current time')
    .option('--runs <n>', 'next run times shown per schedule', '3')
    .option('--backup-size <GB>', 'cost estimate: compressed size of one backup per target (default 1)')
    .option('--backup-minutes <n>', 'cost estimate: how long one backup runs (default 2)')
    .option('--pages <n>', 'cost estimate: alarm episodes a month that page (default 4)')
    .option('--log-volume <GB>', 'cost estimate: compressed log data archived per day (default 0.1)')
    .option('--network <mode>', 'cost estimate for jobs in a VPC: nat (default) or endpoints')
    .option(
      '--pricing-region <region>',
      "cost estimate: use this region's price table (default: the config's region)",
    )
    .addHelpText(
      'after',
      `
Examples:
  $ nightshift plan                                   ./nightshift.config.yaml
  $ nightshift plan --config examples/inventory.yaml
  $ nightshift plan --now 2025-12-24T00:00:00Z --runs 5
  $ nightshift plan --json | jq '.alarms[] | select(.severity == "critical") | .name'
  $ nightshift plan --backup-size 20 --pages 10 --network endpoints
  $ nightshift plan --json | jq '.cost.totals'

The CDK app is synthesized (without bundling): the alarms listed are exactly the ones \`cdk deploy\`
creates, with the severity and the levels the alert router pages them with. Phone numbers are masked
as the alert notices mask them (+1…23).
The monthly cost estimate prices the synthesized resources line by line at list prices and with the
always-free allowances (docs/cost.md); backup storage, SMS and the VPC network are shown apart.
Exit codes: 0 ok, 2 invalid config or options, or a config the CDK app cannot be built from.`,
    )
    .action(lazyAction(async () => (await import('../commands/plan')).planAction));
}
