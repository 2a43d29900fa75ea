/**
 * The `logs` command's definition: name, options and help text. Its action is imported on demand
 * from lib/cli/commands/logs.ts, so that registering it loads no heavy module.
 */
import type { Command } from 'commander';
import { lazyAction } from './lazy';

export function registerLogs(program: Command): void {
  const logs = program.command('logs').description('read log archives back');
  logs
    .command('search <group>')
    .description('print an archived day of a log group, decompressed, optionally filtered')
    .requiredOption('--date <YYYY-MM-DD>', 'the archived day')
    .option('--grep <text>', 'only events whose message or stream contains this text')
    .option('-i, --ignore-case', 'match --grep case-insensitively')
    .option('--bucket <name>', 'log bucket (default: <project>-nightshift-logs-<account>-<region>)')
    .option('--endpoint <url>', 'S3-compatible endpoint instead of AWS S3')
    .addHelpText(
      'after',
      `
Examples:
  $ nightshift logs search /ecs/api --date 2025-03-14 --grep ERROR
  $ nightshift logs search /ecs/api --date 2025-03-14 --json | jq -r .message

Output: "timestamp  stream  message" per event; with --json one JSON object per line (NDJSON), as
archived. Archives in Glacier Flexible Retrieval or Deep Archive must be restored first.`,
    )
    .action(lazyAction(async () => (await import('../commands/logs')).logsAction));
}
