/**
 * Builds the CDK app for one config: `<project>-data` (stateful) and `<project>-jobs` (stateless),
 * tagged project=<project> and managed-by=nightshift. Used by bin/app.ts, the tests and `nightshift plan`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Tags, Validations } from 'aws-cdk-lib';
import type { NightshiftConfig } from './config/schema';
import { backupLifecycleRules } from './constructs/backup-bucket-rules';
import { configureLogArchiveBucket } from './constructs/log-archive';
import { DataStack } from './stacks/data-stack';
import { JobsStack } from './stacks/jobs-stack';
import type { ParallelCloudFormationValidatePlugin } from './validation/plugin';

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
  /**
   * aws-cdk-lib's CloudFormation validation as this plugin runs it (in a worker thread, skipping
   * templates known to be valid: lib/validation/plugin.ts) instead of the built-in one. CDK_VALIDATION=false
   * turns either off.
   */
  readonly validation?: ParallelCloudFormationValidatePlugin;
}

export interface NightshiftApp {
  readonly app: App;
  readonly data: DataStack;
  readonly jobs: JobsStack;
}

/** The `@aws-cdk/…` feature flags set in cdk.json's context (the one place they are written). */
export function cdkFeatureFlags(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return Object.fromEntries(
    Object.entries(cdkJson.context ?? {}).filter(([key]) => key.startsWith('@aws-cdk/')),
  );
}

export function buildApp(config: NightshiftConfig, options: BuildAppOptions = {}): NightshiftApp {
  const app =
    options.app ??
    new App({
      outdir: options.outdir,
      context: {
        // the feature flags of cdk.json (aws-cdk-lib's recommended values), also when the app is built
        // outside the cdk CLI, so that the tests, `plan` and `doctor` synthesize what `cdk deploy` does
        ...cdkFeatureFlags(),
        '@aws-cdk/core:defaultCrossStackReferences': 'strong',
        ...(options.bundling === false ? { 'aws:cdk:bundling-stacks': [] } : {}),
        ...(options.pathMetadata ? { 'aws:cdk:enable-path-metadata': true } : {}),
      },
    });
  if (options.validation && process.env.CDK_VALIDATION !== 'false') {
    Validations.of(app).addPlugins(options.validation);
  }
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
