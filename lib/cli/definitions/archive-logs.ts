/**
 * The `archive-logs` command's definition: name, options and help text. Its action is imported on demand
 * from lib/cli/commands/archive-logs.ts, so that registering it loads no heavy module.
 */
import type { Command } from 'commander';
import { lazyAction } from './lazy';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerArchiveLogs(program: Command): void {
  program
    .command('archive-logs')
    .description(
      'archive a day of CloudWatch Logs to the log bucket (compressed NDJSON + manifest), as the daily job does',
    )
    .option('--date <YYYY-MM-DD>', 'the day to archive (default: yesterday, per logArchive.day)')
    .option(
      '--group <name>',
      'only this log group (repeatable; a name outside the config works too)',
      collect,
    )
    .option('--force', 'archive again even if the day is already archived (its objects are replaced)')
    .option('--bucket <name>', 'log bucket (default: <project>-nightshift-logs-<account>-<region>)')
    .option('--endpoint <url>', 'S3-compatible endpoint instead of AWS S3, e.g. http://127.0.0.1:9000')
    .option('--logs-endpoint <url>', 'CloudWatch Logs endpoint (e.g. LocalStack)')
    .addHelpText(
      'after',
      `
Examples:
  $ nightshift archive-logs                              yesterday, every configured group
  $ nightshift archive-logs --date 2025-03-14 --group /ecs/api --force
  $ nightshift archive-logs --json | jq '.groups[] | select(.outcome == "failed")'

Uses your AWS credentials (AWS_PROFILE, environment, SSO). Exit codes: 0 archived or already
archived, 1 a group failed (the others are archived), 2 bad usage or config.`,
    )
    .action(lazyAction(async () => (await import('../commands/archive-logs')).archiveLogsAction));
}
