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

/** The `logs` command's action (its definition: lib/cli/definitions/logs.ts). */
export const logsAction = async (group: string, flags: SearchFlags, command: Command) => {
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
};
