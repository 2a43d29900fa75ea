/**
 * The `check` command's definition: name, options and help text. Its action is imported on demand
 * from lib/cli/commands/check.ts, so that registering it loads no heavy module.
 */
import type { Command } from 'commander';
import { lazyAction } from './lazy';

const collect = (value: string, previous: string[]) => [
  ...previous,
  ...value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean),
];

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('run the health checks once, locally, and print a table (exit 1 when a target is down)')
    .option(
      '-t, --target <name>',
      'check only this target (repeat, or separate names with commas)',
      collect,
      [],
    )
    .addHelpText(
      'after',
      `
Examples:
  $ nightshift check                                  every target in ./nightshift.config.yaml
  $ nightshift check --target api --target db         two targets
  $ nightshift check --json | jq '.results[] | select(.up | not)'

Secrets: read from AWS Secrets Manager with your AWS credentials when they are configured; without them,
give local targets a password-less \`url\`.
Exit codes: 0 all up, 1 a target is down, 2 config error or unknown --target.`,
    )
    .action(lazyAction(async () => (await import('../commands/check')).checkAction));
}
