/**
 * The `oncall` command's definition: name, options and help text. Its action is imported on demand
 * from lib/cli/commands/oncall.ts, so that registering it loads no heavy module.
 */
import type { Command } from 'commander';
import { lazyAction } from './lazy';

export function registerOncall(program: Command): void {
  program
    .command('oncall')
    .description('show who is paged now at each level, and who takes over next and when')
    .option('--at <iso>', 'ask about another instant (ISO 8601), e.g. 2026-03-30T09:00:00+02:00')
    .addHelpText(
      'after',
      `
Examples:
  $ nightshift oncall
  $ nightshift oncall --at 2026-03-30T09:00:00+02:00
  $ nightshift oncall --json | jq '.levels[] | {level, now: .now.name, next: .next.name}'

Hand-off times are shown in the config's time zone. Contacts are masked. Levels without a rotation
page everyone on their lists. Exit codes: 0 shown, 2 invalid config or --at.`,
    )
    .action(lazyAction(async () => (await import('../commands/oncall')).oncallAction));
}
