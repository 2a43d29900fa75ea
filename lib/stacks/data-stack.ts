/**
 * The stateful stack: everything that must outlive a redeploy of the jobs. A KMS key with rotation,
 * the backup and log-archive buckets (private, TLS-only, KMS-encrypted, versioned, incomplete uploads
 * aborted, RETAIN), an access-log bucket for both, and one KMS-encrypted SNS topic per escalation level.
 * With `encryption: aws-managed` there is no key: the buckets use SSE-S3 and the topics are not
 * encrypted at rest (CloudWatch alarm actions cannot publish to a topic under the aws/sns key).
 */
import { Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type LifecycleRule,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { NightshiftConfig } from '../config/schema';
import { bucketNames, levelTopicName } from '../constructs/names';

export interface DataStackProps extends StackProps {
  readonly config: NightshiftConfig;
  /** Extra lifecycle rules for the backup bucket (retention tiers). */
  readonly backupLifecycleRules?: LifecycleRule[];
  /** Extra lifecycle rules for the log-archive bucket (cold storage transitions and expiry). */
  readonly logLifecycleRules?: LifecycleRule[];
}

export class DataStack extends Stack {
  /** The project key; undefined with `encryption: aws-managed`. */
  readonly key: Key | undefined;
  readonly backupBucket: Bucket;
  readonly logBucket: Bucket;
  readonly accessLogBucket: Bucket;
  /** One topic per alerts.levels entry, in order. */
  readonly levelTopics: Topic[];

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config } = props;
    const project = config.project;

    this.key = config.encryption === 'customer-key' ? this.projectKey(project) : undefined;

    this.accessLogBucket = new Bucket(this, 'AccessLogs', {
      // Server access logs can only be delivered to SSE-S3 buckets.
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself; logging it into itself would loop.',
    });

    const names = bucketNames(this, config);
    const objectLock = config.backups?.objectLock ?? 'off';
    this.backupBucket = this.securedBucket(
      'Backups',
      names.backups,
      props.backupLifecycleRules ?? [],
      objectLock !== 'off',
    );
    this.logBucket = this.securedBucket('LogArchive', names.logs, props.logLifecycleRules ?? [], false);

    this.levelTopics = config.alerts.levels.map(
      (level, index) =>
        new Topic(this, `Level${index}-${level.name}`, {
          topicName: levelTopicName(config, level.name),
          displayName: `${project} alerts (${level.name})`,
          // Without the project key the topics are not encrypted at rest: CloudWatch alarm actions
          // (which publish here when the router itself fails) cannot use the AWS managed aws/sns key.
          // They carry alarm names and summaries, never credentials. (cdk-nag's AwsSolutions and
          // Serverless packs have no SNS encryption rule, so there is no finding to acknowledge.)
          masterKey: this.key,
          enforceSSL: true,
        }),
    );
  }

  private projectKey(project: string): Key {
    const key = new Key(this, 'Key', {
      alias: `alias/nightshift/${project}`,
      description: `Nightshift ${project}: backups, log archives, job logs, alert topics and queues`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch Logs encrypts the job log groups with this key.
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${this.partition}:logs:${this.region}:${this.account}:log-group:/nightshift/${project}/*`,
          },
        },
      }),
    );
    return key;
  }

  private securedBucket(id: string, bucketName: string, rules: LifecycleRule[], objectLock: boolean): Bucket {
    return new Bucket(this, id, {
      bucketName,
      ...(this.key
        ? { encryption: BucketEncryption.KMS, encryptionKey: this.key, bucketKeyEnabled: true }
        : { encryption: BucketEncryption.S3_MANAGED }),
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectLockEnabled: objectLock || undefined,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: `${id.toLowerCase()}/`,
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        // Expired or overwritten versions stay recoverable for a week, then go.
        {
          id: 'expire-noncurrent-versions',
          noncurrentVersionExpiration: Duration.days(7),
          expiredObjectDeleteMarker: true,
        },
        ...rules,
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
