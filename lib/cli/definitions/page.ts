/**
 * The `page` command's definition: name, options and help text. Its action is imported on demand
 * from lib/cli/commands/page.ts, so that registering it loads no heavy module.
 */
import type { Command } from 'commander';
import { lazyAction } from './lazy';

export function registerPage(program: Command): void {
  program
    .command('page')
    .description('send a labelled test page to one alert level through the deployed alert router')
    .option('--test', 'send a test page (the only kind that can be sent by hand)')
    .requiredOption('--level <name>', 'the alert level to page (alerts.levels[].name)')
    .option('--by <name>', 'who asks, quoted in the message (default: your login name)')
    .addHelpText(
      'after',
      `
Examples:
  $ nightshift page --test --level oncall
  $ AWS_PROFILE=prod nightshift page --test --level team --by alice

Invokes the deployed alert router (the function the alarm rule targets) with a test event. The router
sends "TEST PAGE — <project> — level <name>" to that level's topic with the same format and delivery
as a real page (e-mail and SMS), without escalation. Needs lambda:InvokeFunction on the router.
Exit codes: 0 sent, 1 the router could not send it, 2 usage error or no AWS credentials.`,
    )
    .action(lazyAction(async () => (await import('../commands/page')).pageAction));
}
