/**
 * The one recipe for the small DynamoDB tables Nightshift keeps its own state in (acks, ack links,
 * the previous prometheus scrape, status-page incidents): on demand, point-in-time recovery, items
 * expiring through `expiresAt`, and the AWS-owned DynamoDB key, so the CLI that reads a table needs
 * no grant on the project key. The state is short-lived and rebuilt by the jobs, so the tables go
 * with the stack (DESTROY).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  type Attribute,
  AttributeType,
  BillingMode,
  type StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';

export interface StateTableProps {
  readonly tableName: string;
  /** The partition key's name (a string attribute). */
  readonly partitionKey: string;
  /** The sort key's name (a string attribute), when items share a partition. */
  readonly sortKey?: string;
  readonly stream?: StreamViewType;
}

export function stateTable(scope: Construct, id: string, props: StateTableProps): Table {
  const key = (name: string): Attribute => ({ name, type: AttributeType.STRING });
  return new Table(scope, id, {
    tableName: props.tableName,
    partitionKey: key(props.partitionKey),
    ...(props.sortKey ? { sortKey: key(props.sortKey) } : {}),
    billingMode: BillingMode.PAY_PER_REQUEST,
    encryption: TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: 'expiresAt',
    removalPolicy: RemovalPolicy.DESTROY,
    ...(props.stream ? { stream: props.stream } : {}),
  });
}
