/**
 * Names shared by both stacks. The buckets get deterministic names so the jobs stack imports them by
 * name (no cross-stack export locks on stateful resources) and policies can name exact prefixes.
 */
import { Aws, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { NightshiftConfig } from '../config/schema';

export function bucketNames(scope: IConstruct, config: NightshiftConfig): { backups: string; logs: string } {
  const stack = Stack.of(scope);
  const account = config.account ?? Aws.ACCOUNT_ID;
  const region = stack.region;
  return {
    backups: `${config.project}-nightshift-backups-${account}-${region}`,
    logs: `${config.project}-nightshift-logs-${account}-${region}`,
  };
}

export { levelTopicName, localBucketNames } from './plain-names';
