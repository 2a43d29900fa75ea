/**
 * Builds the CDK app for one config: `<project>-data` (stateful) and `<project>-jobs` (stateless),
 * tagged project=<project> and managed-by=nightshift. Used by bin/app.ts, the tests and `nightshift plan`.
 */
import { App, Tags } from 'aws-cdk-lib';
import featureFlags from './cdk-feature-flags.json' with { type: 'json' };
import type { NightshiftConfig } from './config/schema';
import { backupLifecycleRules } from './constructs/backup-bucket-rules';
import { configureLogArchiveBucket } from './constructs/log-archive';
import { DataStack } from './stacks/data-stack';
import { JobsStack } from './stacks/jobs-stack';

export interface BuildAppOptions {
  /** Bundle Lambda code with esbuild. Turn off for fast synthesis in tests and plans. @default true */
  readonly bundling?: boolean;
  /** Cloud assembly directory. @default the CDK default (cdk.out, or a temp dir) */
  readonly outdir?: string;
  /** An existing app to add the stacks to. */
  readonly app?: App;
  /**
   * Record each resource's construct path (`aws:cdk:path` metadata), as the cdk CLI does. `nightshift
   * doctor` reads it to tell which job emits an alarm's metric. @default false
   */
  readonly pathMetadata?: boolean;
}

export interface NightshiftApp {
  readonly app: App;
  readonly data: DataStack;
  readonly jobs: JobsStack;
}

export function buildApp(config: NightshiftConfig, options: BuildAppOptions = {}): NightshiftApp {
  const app =
    options.app ??
    new App({
      outdir: options.outdir,
      context: {
        // aws-cdk-lib's recommended values (as of the version in package-lock.json), set here rather than in
        // cdk.json so that the tests, `plan` and `doctor` synthesize exactly what `cdk deploy` does
        ...featureFlags,
        '@aws-cdk/core:defaultCrossStackReferences': 'strong',
        ...(options.bundling === false ? { 'aws:cdk:bundling-stacks': [] } : {}),
        ...(options.pathMetadata ? { 'aws:cdk:enable-path-metadata': true } : {}),
      },
    });
  const env = { account: config.account, region: config.region };
  const data = new DataStack(app, `${config.project}-data`, {
    env,
    config,
    backupLifecycleRules: config.backups ? backupLifecycleRules(config.backups.retention) : undefined,
    description: `Nightshift ${config.project}: stateful resources (KMS key, backup and log buckets, alert topics)`,
    terminationProtection: true,
  });
  if (config.logArchive) configureLogArchiveBucket(data.logBucket, data.key, config.logArchive);
  const jobs = new JobsStack(app, `${config.project}-jobs`, {
    env,
    config,
    data,
    description: `Nightshift ${config.project}: scheduled jobs, alert routing, alarms and dashboard`,
  });
  jobs.addStackDependency(data);
  Tags.of(app).add('project', config.project);
  Tags.of(app).add('managed-by', 'nightshift');
  return { app, data, jobs };
}
