/**
 * `nightshift logs search <group> --date D [--grep TEXT]` — streams one archived day of a log group
 * back from the log bucket, decompressed and filtered, line by line (flat memory, no temp files).
 */
import type { Command } from 'commander';
import { InvalidDateError } from '../../../lambdas/log-archive/day';
import { searchArchive } from '../../../lambdas/log-archive/search';
import { redact } from '../../../lambdas/shared/redact';
import { CliError, cliOptions, color, EXIT, loadConfigForCli, printError } from '../output';
import { logBucketName, s3ClientFor } from './archive-logs';

interface SearchFlags {
  date: string;
  grep?: string;
  ignoreCase?: boolean;
  bucket?: string;
  endpoint?: string;
}

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
    .action(async (group: string, flags: SearchFlags, command: Command) => {
      const options = cliOptions(command);
      const { config } = loadConfigForCli(options);
      const bucket = logBucketName(config, flags.bucket);
      const s3 = s3ClientFor(config.region, flags.endpoint);
      let matches = 0;
      try {
        for await (const event of searchArchive({
          s3,
          bucket,
          group,
          date: flags.date,
          grep: flags.grep,
          ignoreCase: flags.ignoreCase,
        })) {
          matches++;
          const line = options.json
            ? JSON.stringify(event)
            : `${color.dim(event.timestamp)}  ${event.stream}  ${event.message.replace(/\n$/, '')}`;
          if (!process.stdout.write(`${redact(line)}\n`))
            await new Promise((r) => process.stdout.once('drain', r));
        }
      } catch (error) {
        if (error instanceof InvalidDateError) throw new CliError(error.message, EXIT.USAGE);
        throw error;
      } finally {
        s3.destroy();
      }
      printError(color.dim(`${matches} event(s) from ${group} on ${flags.date}`));
    });
}
