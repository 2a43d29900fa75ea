/**
 * Names that follow from the config alone, without aws-cdk-lib (lib/constructs/names.ts re-exports
 * them), so that `nightshift plan` can name the alert topics without loading the CDK.
 */
import type { NightshiftConfig } from '../config/schema';

/** Local (s3rver) bucket names used by `nightshift run`. */
export function localBucketNames(config: NightshiftConfig): { backups: string; logs: string } {
  return { backups: `${config.project}-backups`, logs: `${config.project}-logs` };
}

/** SNS topic name of an escalation level. */
export function levelTopicName(config: NightshiftConfig, level: string): string {
  return `${config.project}-alerts-${level}`;
}
