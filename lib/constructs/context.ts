/**
 * What every Nightshift construct needs from its surroundings, built once by the JobsStack:
 * the config, the project's KMS key, the network for private databases, the dashboard registry,
 * and the list of alarms (for the dashboard's alarm status widget).
 */
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { ISecurityGroup, ISubnet, IVpc } from 'aws-cdk-lib/aws-ec2';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { NightshiftConfig } from '../config/schema';
import type { DashboardRegistry } from './dashboard';

export interface NightshiftNetwork {
  readonly vpc: IVpc;
  readonly subnets: ISubnet[];
  readonly securityGroups: ISecurityGroup[];
}

export interface NightshiftContext {
  /** config.project, prefix of every resource name. */
  readonly project: string;
  readonly config: NightshiftConfig;
  /** IANA time zone schedules run in. */
  readonly timeZone: string;
  /** The project's customer-managed KMS key (DataStack); undefined with `encryption: aws-managed`. */
  readonly key: IKey | undefined;
  /** The backup bucket (imported by name from the DataStack). */
  readonly backupBucket: IBucket;
  /** The log-archive bucket (imported by name from the DataStack). */
  readonly logBucket: IBucket;
  /** One SNS topic per alerts.levels entry, in order. */
  readonly levelTopics: ITopic[];
  /** Present when config.network is set. */
  readonly network?: NightshiftNetwork | undefined;
  /** Sections of the project dashboard. */
  readonly dashboard: DashboardRegistry;
  /** Every alarm created through nightshiftAlarm, in creation order. */
  readonly alarms: Alarm[];
}
