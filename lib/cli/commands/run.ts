/**
 * `nightshift run` — runs every configured job once, locally (lib/local/registry.ts), against an embedded
 * S3-compatible store, and prints what each did, then the deployment plan. `--demo` needs no config: it
 * starts disposable PostgreSQL/Redis with sample data and a demo web app, and stops them afterwards.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { SecretsReader } from '../../../lambdas/shared/connections';
import { reasonOf } from '../../../lambdas/shared/redact';
import type { NightshiftConfig } from '../../config/schema';
import type { LocalJob, LocalJobReport } from '../../local/jobs';
import {
  CliError,
  type CliOptions,
  clearProgress,
  cliLog,
  cliOptions,
  color,
  EXIT,
  loadConfigForCli,
  mark,
  print,
  printError,
  printJson,
  progress,
} from '../output';
import { formatPlan, planOrExit } from './plan';
import { summarize } from './validate';

interface RunFlags {
  demo?: boolean;
  only?: string;
  dataDir: string;
}

/**
 * Whether AWS credentials look configured (environment, shared files, container/instance roles). Only
 * checks that they exist; the SDK reads them if they do.
 */
export function awsCredentialsConfigured(
  env: Record<string, string | undefined> = process.env,
  home: string = homedir(),
): boolean {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return true;
  if (env.AWS_PROFILE || env.AWS_WEB_IDENTITY_TOKEN_FILE) return true;
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI) return true;
  const files = [
    env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, '.aws', 'credentials'),
    env.AWS_CONFIG_FILE ?? join(home, '.aws', 'config'),
  ];
  return files.some((file) => existsSync(file));
}

async function secretsFor(config: NightshiftConfig): Promise<{ reader: SecretsReader; description: string }> {
  const { noSecrets, awsSecretsReader } = await import('../../../lambdas/shared/connections');
  if (!awsCredentialsConfigured()) {
    return {
      reader: noSecrets,
      description: 'none (no AWS credentials: targets need a password-less `url`)',
    };
  }
  return {
    reader: awsSecretsReader({ region: config.region }),
    description: `AWS Secrets Manager and SSM Parameter Store (${config.region}, your AWS credentials)`,
  };
}

/** Runs each job once, in order; a job that throws is reported as failed and the others still run. */
export async function runJobs(
  jobs: readonly LocalJob[],
  context: Parameters<LocalJob['run']>[0],
): Promise<LocalJobReport[]> {
  const reports: LocalJobReport[] = [];
  for (const job of jobs) {
    context.progress(`running ${job.name}…`);
    try {
      reports.push(await job.run(context));
    } catch (error) {
      reports.push({ job: job.name, ok: false, lines: [`failed: ${reasonOf(error)}`] });
    }
  }
  return reports;
}

/** Runs `cleanups` (newest first) once, on normal exit, error, or Ctrl-C / SIGTERM. */
function cleanupOnSignals(cleanups: (() => Promise<void>)[]): () => Promise<void> {
  let running: Promise<void> | undefined;
  const runAll = () => {
    running ??= (async () => {
      for (const cleanup of [...cleanups].reverse()) {
        await cleanup().catch((error: unknown) => printError(`cleanup: ${reasonOf(error)}`));
      }
    })();
    return running;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    printError(`\n${signal}: stopping local services…`);
    void runAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return async () => {
    await runAll();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
}

async function runAction(flags: RunFlags, options: CliOptions): Promise<void> {
  const cleanups: (() => Promise<void>)[] = [];
  const finish = cleanupOnSignals(cleanups);
  try {
    let config: NightshiftConfig;
    let source: string;
    const setup: string[] = [];
    let demoInfo: Record<string, unknown> | undefined;
    if (flags.demo) {
      if (options.config) {
        throw new CliError(
          '--demo builds its own config: drop --config, or drop --demo to run your config',
          EXIT.USAGE,
        );
      }
      const { startDemo } = await import('../../local/demo');
      const demo = await startDemo(progress);
      cleanups.push(() => demo.stop());
      config = demo.config;
      source = 'built-in demo config';
      setup.push(
        `PostgreSQL ${demo.postgres.version} on 127.0.0.1:${demo.postgres.port}: database shop, ${demo.sample.customers} customers, ${demo.sample.orders} orders`,
        `Redis on 127.0.0.1:${demo.redis.port}: ${demo.sample.redisKeys} keys (${demo.sample.redisKeysWithTtl} with a TTL)`,
        `web app health endpoint ${demo.endpoints.healthUrl}`,
      );
      demoInfo = { endpoints: demo.endpoints, sample: demo.sample, postgresVersion: demo.postgres.version };
    } else {
      const loaded = loadConfigForCli(options);
      config = loaded.config;
      source = loaded.file;
    }

    const { LOCAL_JOBS } = await import('../../local/registry');
    if (flags.only && !LOCAL_JOBS.some((job) => job.name === flags.only)) {
      const known = LOCAL_JOBS.map((job) => job.name);
      throw new CliError(
        `--only ${flags.only}: no such job — ${known.length ? `use one of ${known.join(', ')}` : 'no local jobs are registered yet'}`,
        EXIT.USAGE,
      );
    }
    const jobs = LOCAL_JOBS.filter((job) => (!flags.only || job.name === flags.only) && job.enabled(config));

    const directory = join(resolve(flags.dataDir), 's3');
    await mkdir(directory, { recursive: true });
    const buckets = { backups: `${config.project}-backups`, logs: `${config.project}-logs` };
    progress(`starting the embedded S3 store (data in ${directory})…`);
    const { startS3 } = await import('../../local/s3');
    const s3 = await startS3({ directory, buckets: [buckets.backups, buckets.logs] });
    cleanups.push(() => s3.stop());
    setup.push(
      `embedded S3 store ${s3.endpoint}: buckets ${buckets.backups}, ${buckets.logs} (data in ${directory})`,
    );

    // The alarms of the synthesized app: the alert preview pages with their real names and severities.
    progress('synthesizing the CDK app…');
    const plan = await planOrExit(config);

    const secrets = await secretsFor(config);
    setup.push(`secrets: ${secrets.description}`);
    const { MemoryMetrics } = await import('../../../lambdas/shared/metrics');
    const metrics = new MemoryMetrics();
    const reports = await runJobs(jobs, {
      config,
      s3: s3.client(),
      buckets,
      secrets: secrets.reader,
      log: cliLog(options.verbose),
      metrics,
      alarms: plan.alarms,
      now: () => new Date(),
      progress,
    });

    const summary = summarize(config);
    const failed = reports.filter((report) => !report.ok);

    if (options.json) {
      printJson({
        ok: failed.length === 0,
        demo: flags.demo === true,
        config: flags.demo ? null : source,
        summary,
        ...(demoInfo ? { demoSetup: demoInfo } : {}),
        store: { endpoint: s3.endpoint, directory, buckets },
        jobs: reports,
        metrics: metrics.points.length,
        plan,
      });
    } else {
      const lines: string[] = [];
      lines.push(color.bold(`Nightshift local run — ${config.project}`) + color.dim(` (${source})`));
      for (const item of setup) lines.push(`  ${color.dim('·')} ${item}`);
      lines.push(
        `  ${mark(true)} config valid: ${summary.healthChecks} health checks, ${summary.backupTargets} backup targets, ` +
          `${summary.logGroups} log groups, ${summary.escalationLevels} escalation levels`,
      );
      lines.push('');
      if (jobs.length === 0) {
        lines.push(
          LOCAL_JOBS.length === 0
            ? 'No local jobs are registered yet (each capability adds its job to lib/local/registry.ts).'
            : `None of the registered jobs (${LOCAL_JOBS.map((j) => j.name).join(', ')}) has anything to do for this config.`,
        );
      } else {
        for (const report of reports) {
          lines.push(`${mark(report.ok)} ${color.bold(report.job)}`);
          for (const line of report.lines) lines.push(`    ${line}`);
        }
        lines.push('');
        lines.push(
          failed.length === 0
            ? color.green(`${reports.length} job${reports.length === 1 ? '' : 's'} ran, all ok`)
            : color.red(
                `${failed.length} of ${reports.length} jobs failed: ${failed.map((r) => r.job).join(', ')}`,
              ),
        );
      }
      lines.push('');
      lines.push(...formatPlan(plan, { compact: true }));
      lines.push('');
      lines.push(
        color.dim(
          flags.demo
            ? 'Next: copy examples/local.yaml to nightshift.config.yaml and run `nightshift run`, or `nightshift plan` for the full plan.'
            : 'Full plan, every alarm with its severity and levels: nightshift plan',
        ),
      );
      print(...lines);
    }
    if (failed.length > 0) process.exitCode = EXIT.FAILED;
  } finally {
    progress('stopping local services…');
    await finish();
    clearProgress();
  }
}

/** The `run` command's action (its definition: lib/cli/definitions/run.ts). */
export const runCommand = async (flags: RunFlags, command: Command) => {
  await runAction(flags, cliOptions(command));
};
