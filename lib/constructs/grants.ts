/**
 * Grants shared by every construct. Least-privilege S3 access to one key prefix, for every role that
 * touches a bucket (every job, Lambda or Fargate, through ScheduledJob.bindBucket; never delete),
 * and sending to a queue, for every role that delivers dead letters (schedules, functions).
 */
import { Stack } from 'aws-cdk-lib';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ssmParameterName } from '../config/primitives';
import { acknowledgeWildcard } from './nag';

export interface PrefixAccess {
  /** Key prefix, e.g. "backups/postgres/". */
  readonly prefix: string;
  /** write: put, tag, abort, list parts of its own uploads and list open uploads. read: get objects and their tags. */
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
    // a failed upload is aborted and then listed (ListMultipartUploads) until none remains for its key;
    // the list action has no object-level resource and takes no prefix condition: it names keys and
    // upload ids only, never contents
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:ListBucketMultipartUploads'], resources: [bucket.bucketArn] }),
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

/**
 * Lets `role` read one secret reference from the config, the one grant for both sources:
 * a Secrets Manager secret (name or ARN: secretsmanager:GetSecretValue, counted by the cost estimate)
 * or an SSM Parameter Store SecureString (`ssm:/name`: ssm:GetParameter on that parameter, and
 * kms:Decrypt on its key only through SSM and only for that parameter). `ssmKeyArn` is the
 * parameter's customer key; without it the AWS managed key aws/ssm, matched by its alias.
 */
export function grantSecretRead(
  scope: Construct,
  id: string,
  role: IRole,
  ref: string,
  ssmKeyArn?: string,
): void {
  const parameter = ssmParameterName(ref);
  if (parameter === undefined) {
    const secret = ref.startsWith('arn:')
      ? /-[A-Za-z0-9]{6}$/.test(ref)
        ? Secret.fromSecretCompleteArn(scope, id, ref)
        : Secret.fromSecretPartialArn(scope, id, ref)
      : Secret.fromSecretNameV2(scope, id, ref);
    secret.grantRead(role);
    return;
  }
  const stack = Stack.of(scope);
  const parameterArn = `arn:${stack.partition}:ssm:${stack.region}:${stack.account}:parameter${parameter}`;
  role.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['ssm:GetParameter'], resources: [parameterArn] }),
  );
  const anyKey = `arn:${stack.partition}:kms:${stack.region}:${stack.account}:key/*`;
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['kms:Decrypt'],
      resources: [ssmKeyArn ?? anyKey],
      conditions: {
        StringEquals: {
          'kms:ViaService': `ssm.${stack.region}.amazonaws.com`,
          'kms:EncryptionContext:PARAMETER_ARN': parameterArn,
        },
        ...(ssmKeyArn ? {} : { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/aws/ssm' } }),
      },
    }),
  );
  if (!ssmKeyArn) {
    acknowledgeWildcard(
      role,
      anyKey,
      'The AWS managed key aws/ssm has an account-specific id unknown at synth time; the grant is limited to that alias, to calls made through SSM, and to this one parameter (encryption context).',
    );
  }
}
