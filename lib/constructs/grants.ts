/**
 * Grants shared by every construct. Least-privilege S3 access to one key prefix, for every role that
 * touches a bucket (Lambda jobs through ScheduledJob.bindBucket, Fargate tasks directly; never delete),
 * and sending to a queue, for every role that delivers dead letters (schedules, functions).
 */
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { acknowledgeWildcard } from './nag';

export interface PrefixAccess {
  /** Key prefix, e.g. "backups/postgres/". */
  readonly prefix: string;
  /** write: put, tag, abort and list parts of its own uploads. read: get objects and their tags. */
  readonly access: 'read' | 'write' | 'readwrite';
  /** Also allow setting Object Lock retention on written objects. @default false */
  readonly objectLock?: boolean;
}

/** Grants `role` access to `prefix*` of `bucket` (plus the KMS use it needs and a prefix-limited list). */
export function grantPrefix(
  role: IRole,
  bucket: IBucket,
  { prefix, access, objectLock }: PrefixAccess,
): void {
  const objects = bucket.arnForObjects(`${prefix}*`);
  if (access !== 'read') {
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          's3:PutObject',
          's3:PutObjectTagging',
          's3:AbortMultipartUpload',
          's3:ListMultipartUploadParts',
          ...(objectLock ? ['s3:PutObjectRetention'] : []),
        ],
        resources: [objects],
      }),
    );
    bucket.encryptionKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
  }
  if (access !== 'write') {
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectTagging'], resources: [objects] }),
    );
    bucket.encryptionKey?.grant(role, 'kms:Decrypt');
  }
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
    }),
  );
  acknowledgeWildcard(
    role,
    objects,
    `Access is limited to objects under the prefix ${prefix}; their keys carry dates and timestamps.`,
  );
}

/**
 * Lets `role` send to `queue`. A queue encrypted with a customer-managed key also needs
 * kms:GenerateDataKey (to encrypt the message) and kms:Decrypt (to reuse the cached data key) on that
 * key, with the sender's own credentials; without them SendMessage fails with KMS.AccessDeniedException
 * and the dead letter is lost. CDK's scheduler targets and Lambda's dead-letter config grant only
 * sqs:SendMessage, so every sender goes through here.
 */
export function grantSendToQueue(role: IRole, queue: IQueue): void {
  role.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
  );
  queue.encryptionMasterKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
}
