/**
 * The `backup` command's definition: name, options and help text. Its action is imported on demand
 * from lib/cli/commands/backup.ts, so that registering it loads no heavy module.
 */
import type { Command } from 'commander';
import { addDestinationOptions } from './destination';
import { lazyAction } from './lazy';

export function registerBackup(program: Command): void {
  addDestinationOptions(
    program
      .command('backup <target>')
      .description(
        'dump one backup target to S3 now (zstd, SHA-256, manifest, retention tier), as the nightly job does',
      ),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ nightshift backup app                                         to the deployed bucket
  $ nightshift backup app --endpoint http://127.0.0.1:9000 --dest s3://backups/nightshift

Credentials: your AWS credentials (AWS_PROFILE, environment, SSO); with --endpoint, the store's access
key as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (s3rver takes any pair; MinIO: root user/password).

Exit codes: 0 backed up, 1 the backup failed (nothing was left behind), 2 bad usage or config.`,
    )
    .action(lazyAction(async () => (await import('../commands/backup')).backupAction));
}
