/**
 * What `nightshift run` executes: every configured job once, locally. Each capability registers one
 * LocalJob in lib/local/registry.ts; the run command provides the context and prints the reports.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsReader } from '../../lambdas/shared/connections';
import type { Log } from '../../lambdas/shared/log';
import type { MetricsSink } from '../../lambdas/shared/metrics';
import type { NightshiftConfig } from '../config/schema';
import type { PlanAlarm } from '../plan';

export interface LocalRunContext {
  readonly config: NightshiftConfig;
  /** S3 client for the embedded (s3rver) or given S3-compatible store. */
  readonly s3: S3Client;
  /** Buckets in that store; the local run creates them. */
  readonly buckets: { readonly backups: string; readonly logs: string };
  readonly secrets: SecretsReader;
  readonly log: Log;
  readonly metrics: MetricsSink;
  /** The synthesized app's alarms (lib/plan.ts): what a failure would page with. */
  readonly alarms: readonly PlanAlarm[];
  /** The clock; local runs use the real one. */
  readonly now: () => Date;
  /** Writes a line of human progress (stderr in the CLI). */
  readonly progress: (line: string) => void;
}

export interface LocalJobReport {
  /** Job name, e.g. "health-check". */
  readonly job: string;
  readonly ok: boolean;
  /** One line per thing done, e.g. "api  up  42 ms". */
  readonly lines: string[];
  /** Machine-readable detail for --json. */
  readonly detail?: unknown;
}

export interface LocalJob {
  readonly name: string;
  /** Whether this config has anything for the job to do. */
  enabled(config: NightshiftConfig): boolean;
  run(context: LocalRunContext): Promise<LocalJobReport>;
}
