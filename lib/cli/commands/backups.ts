/** `nightshift backups list <target>` — the target's complete backups (those with a manifest), newest last. */
import type { Command } from 'commander';
import { listManifests, readManifest, targetPrefix } from '../../../lambdas/backup/layout';
import { formatBytes } from '../../../lambdas/shared/format';
import { CliError, cliOptions, EXIT, loadConfigForCli, printError, printJson, printTable } from '../output';
import { backupStore, type DestinationFlags, findTarget } from './backup';

/** The `backups` command's action (its definition: lib/cli/definitions/backups.ts). */
export const backupsAction = async (name: string, flags: DestinationFlags, command: Command) => {
  const options = cliOptions(command);
  const { config } = loadConfigForCli(options);
  findTarget(config, name);
  const store = backupStore(config, flags);
  try {
    const listed = await listManifests(store.s3, store.bucket, targetPrefix(store.root, name), name);
    const rows = [];
    for (const entry of listed) {
      const m = await readManifest(store.s3, store.bucket, entry.manifestKey);
      rows.push({
        key: m.key,
        time: m.createdAt,
        size: m.bytesOut,
        tier: m.tier,
        expires: m.expiresAt,
        sha256: m.sha256,
      });
    }
    if (options.json) printJson({ bucket: store.bucket, target: name, backups: rows });
    else if (rows.length === 0)
      printError(`no backups of ${name} in s3://${store.bucket}/${targetPrefix(store.root, name)}`);
    else
      printTable(rows, [
        { header: 'key', value: 'key' },
        { header: 'time', value: (r) => r.time.replace('T', ' ').slice(0, 19) },
        { header: 'size', value: (r) => formatBytes(r.size), align: 'right' },
        { header: 'tier', value: 'tier' },
        { header: 'expires', value: (r) => r.expires.slice(0, 10) },
      ]);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError((error as Error).message, EXIT.FAILED);
  } finally {
    store.s3.destroy();
  }
};
