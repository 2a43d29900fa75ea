/**
 * Least-privilege S3 access to one key prefix, shared by every role that touches a bucket (Lambda jobs
 * through ScheduledJob.bindBucket, Fargate tasks directly). Never grants delete.
 */
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
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
