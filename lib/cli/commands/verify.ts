/**
 * `nightshift verify <target> [backup] --scratch <url>` — restores a backup into a scratch database
 * (wiped first) and compares table rows / keys / documents with the manifest, like the monthly job.
 */
import type { Command } from 'commander';
import { verify } from '../../../lambdas/backup/verify';
import { MemoryMetrics } from '../../../lambdas/shared/metrics';
import {
  CliError,
  checkUrlFlag,
  cliLog,
  cliOptions,
  EXIT,
  loadConfigForCli,
  mark,
  printError,
  printJson,
  printTable,
} from '../output';
import { backupStore, cliSecrets, type DestinationFlags, engineOf, findTarget } from './backup';

interface VerifyFlags extends DestinationFlags {
  scratch?: string;
}

/** The `verify` command's action (its definition: lib/cli/definitions/verify.ts). */
export const verifyAction = async (
  name: string,
  backup: string | undefined,
  flags: VerifyFlags,
  command: Command,
) => {
  const options = cliOptions(command);
  const { config } = loadConfigForCli(options);
  const { target } = findTarget(config, name);
  if (flags.scratch) checkUrlFlag('--scratch', flags.scratch, [engineOf(target)]);
  const scratch = flags.scratch
    ? { url: flags.scratch }
    : target.verify
      ? { url: target.verify.url, secret: target.verify.secret }
      : undefined;
  if (!scratch)
    throw new CliError(`pass --scratch <url> (or set verify.url for ${name} in the config)`, EXIT.USAGE);
  const store = backupStore(config, flags);
  try {
    const ssl =
      target.postgres && scratch.url
        ? ((new URL(scratch.url).searchParams.get('sslmode') as
            | 'disable'
            | 'require'
            | 'verify-full'
            | null) ?? 'disable')
        : undefined;
    const result = await verify(
      {
        s3: store.s3,
        bucket: store.bucket,
        root: store.root,
        secrets: cliSecrets(config),
        log: cliLog(options.verbose, { errors: false }),
        metrics: new MemoryMetrics(),
        project: config.project,
      },
      { target, backup: backup ?? 'latest', scratch: { ...scratch, ssl } },
    );
    if (options.json) printJson(result);
    else {
      printTable(result.checks, [
        { header: '', value: (c) => mark(c.ok) },
        { header: 'name', value: 'name' },
        { header: 'manifest', value: (c) => `${c.exact ? '' : '~'}${c.expected}`, align: 'right' },
        {
          header: 'restored',
          value: (c) => (c.actual === undefined ? 'missing' : String(c.actual)),
          align: 'right',
        },
      ]);
      printError(`${result.ok ? 'verified' : 'MISMATCH'}: ${result.key}`);
    }
    if (!result.ok) process.exitCode = EXIT.FAILED;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError((error as Error).message, EXIT.FAILED);
  } finally {
    store.s3.destroy();
  }
};
