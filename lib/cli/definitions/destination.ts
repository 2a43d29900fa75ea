/** Options shared by the commands that read or write backups (backup, backups, restore, verify). */
import type { Command } from 'commander';

export function addDestinationOptions(command: Command): Command {
  return command
    .option(
      '--dest <s3://bucket/prefix>',
      'where backups live (default: the deployed backup bucket, prefix backups/)',
    )
    .option('--endpoint <url>', 'S3-compatible endpoint instead of AWS S3, e.g. http://127.0.0.1:9000');
}
