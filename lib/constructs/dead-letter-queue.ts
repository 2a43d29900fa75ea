/**
 * The one dead-letter queue recipe: 14 days' retention, TLS only, encrypted with the project key (or,
 * where a service without a grant on that key writes to it, with an SQS-managed key), and the two
 * cdk-nag findings every dead-letter queue has by design acknowledged with their reason.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { NightshiftContext } from './context';

export interface DeadLetterQueueProps {
  readonly context: NightshiftContext;
  /** Full queue name, e.g. "shop-health-check-dlq". */
  readonly queueName: string;
  /** Whose dead letters these are, for the cdk-nag acknowledgement (e.g. "the schedules and the function"). */
  readonly holds: string;
  /**
   * project-key: the project's KMS key (senders need kms:GenerateDataKey and kms:Decrypt, see
   * grantSendToQueue). sqs-managed: for senders that cannot be granted the project key (SNS deliveries).
   * Without a project key (`encryption: aws-managed`) every queue is sqs-managed.
   * @default 'project-key'
   */
  readonly encryption?: 'project-key' | 'sqs-managed';
}

export function deadLetterQueue(scope: Construct, id: string, props: DeadLetterQueueProps): Queue {
  const queue = new Queue(scope, id, {
    queueName: props.queueName,
    ...(props.encryption === 'sqs-managed' || !props.context.key
      ? { encryption: QueueEncryption.SQS_MANAGED }
      : { encryption: QueueEncryption.KMS, encryptionMasterKey: props.context.key }),
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is itself the dead-letter queue of ${props.holds}.`,
  });
  Validations.of(queue).acknowledge({
    id: 'Serverless-SQSRedrivePolicy',
    reason: 'This queue is itself a dead-letter queue; an alarm pages when it holds messages.',
  });
  return queue;
}
