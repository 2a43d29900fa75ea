/**
 * The `run` command's definition: name, options and help text. Its action is imported on demand
 * from lib/cli/commands/run.ts, so that registering it loads no heavy module.
 */
import type { Command } from 'commander';
import { lazyAction } from './lazy';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run every configured job once, locally, against an embedded S3-compatible store')
    .option('--demo', 'no config needed: disposable PostgreSQL + Redis with sample data, then every job')
    .option('--only <job>', 'run only this job (e.g. health-check, backup, db-maintenance)')
    .option('--data-dir <dir>', 'where the embedded S3 store keeps its objects (in DIR/s3)', '.nightshift')
    .addHelpText(
      'after',
      `
Examples:
  $ nightshift run --demo                              (also: npm start) no account, no setup
  $ nightshift run --config examples/local.yaml        your own local databases
  $ nightshift run --only health-check --json
  $ nightshift run --only db-maintenance              every maintenance task once
  $ nightshift run --data-dir /tmp/nightshift          keep the local S3 objects elsewhere

Secrets: with AWS credentials configured, \`secret:\` references are read from Secrets Manager;
without, targets must use a password-less \`url\`.
Exit codes: 0 every job ok, 1 a job failed, 2 invalid config or options.`,
    )
    .action(lazyAction(async () => (await import('../commands/run')).runCommand));
}
