/**
 * The `validate` command's definition: name, options and help text. Its action is imported on demand
 * from lib/cli/commands/validate.ts, so that registering it loads no heavy module.
 */
import type { Command } from 'commander';
import { lazyAction } from './lazy';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description(
      'check the config file: schema, time zones, schedules, contacts, URL schemes, no credentials (README.md#security)',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ nightshift validate                               ./nightshift.config.yaml (or $NIGHTSHIFT_CONFIG)
  $ nightshift validate --config examples/inventory.yaml
  $ nightshift validate --json | jq '.issues[].path'

Exit codes: 0 valid, 2 invalid or missing (each problem is printed with its path, line and fix).`,
    )
    .action(lazyAction(async () => (await import('../commands/validate')).validateAction));
}
