/**
 * Acknowledgements (ADR 002) and one-tap acknowledge links (ADR 006): the acks table (whose stream
 * tells the router about every acknowledgement), the link table, and the public page that serves the
 * links. Resources are created in the caller's scope, so their logical ids are those of `Alerting`.
 */
import { join } from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import { StreamViewType, type Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import {
  type FunctionUrl,
  FunctionUrlAuthType,
  InvokeMode,
  type Function as LambdaFn,
} from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { ackLinkEnvironment } from '../../../lambdas/ack-link/env';
import { ackLinkTableName } from '../../../lambdas/ack-link/links';
import { ackTableName } from '../../../lambdas/alert-router/acks';
import type { NightshiftContext } from '../context';
import { jobFunction } from '../function-defaults';
import { acknowledgeWildcard } from '../nag';
import { stateTable } from '../state-table';

export const ACK_LINK_ENTRY = join(import.meta.dirname, '../../../lambdas/ack-link/handler.ts');

export interface AckTables {
  /** Acknowledgements by alarm; its stream carries every acknowledgement (link or CLI) to the router. */
  readonly ackTable: Table;
  /** One-tap acknowledge links: id → alarm, episode, level, recipient; TTL 24 h. */
  readonly ackLinkTable: Table;
}

/** The acks table and the ack link table. */
export function ackTables(scope: Construct, project: string): AckTables {
  const ackTable = stateTable(scope, 'Acks', {
    tableName: ackTableName(project),
    partitionKey: 'alarm',
    // The router tells the team about every acknowledgement, however it was made (link or CLI).
    stream: StreamViewType.NEW_AND_OLD_IMAGES,
  });
  const ackLinkTable = stateTable(scope, 'AckLinks', {
    tableName: ackLinkTableName(project),
    partitionKey: 'id',
  });
  return { ackTable, ackLinkTable };
}

export interface AckLinkPageProps extends AckTables {
  readonly context: NightshiftContext;
}

export interface AckLinkPage {
  /** Serves the links behind a public Function URL (AuthType NONE: the link id is the credential). */
  readonly function: LambdaFn;
  readonly role: Role;
  readonly url: FunctionUrl;
}

/** The public page that shows a link (GET) and acknowledges with one tap (POST). */
export function ackLinkPage(scope: Construct, props: AckLinkPageProps): AckLinkPage {
  const { context, ackTable, ackLinkTable } = props;
  const { function: fn, role } = jobFunction(scope, 'AckLink', {
    context,
    name: 'ack-link',
    description: `Serves ${context.project}'s one-tap acknowledge links (GET shows, POST acknowledges)`,
    entry: ACK_LINK_ENTRY,
    timeout: Duration.seconds(10),
    memorySize: 256,
    environment: ackLinkEnvironment({
      linkTable: ackLinkTable.tableName,
      ackTable: ackTable.tableName,
      timeZone: context.config.timezone,
    }),
  });
  // Count attempts, mark used, give back after a failed ack: UpdateItem only (no scan, no read of other ids).
  ackLinkTable.grant(role, 'dynamodb:UpdateItem');
  ackTable.grant(role, 'dynamodb:PutItem');
  role.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: ['*'] }),
  );
  acknowledgeWildcard(
    role,
    '*',
    'cloudwatch:DescribeAlarms must be scoped to * to return composite alarms (is the alarm still in the episode the link was sent for?).',
  );
  Validations.of(fn).acknowledge({
    id: 'Serverless-LambdaDLQ',
    reason:
      'Invoked synchronously by its Function URL: the person gets the error page and can press again; nothing is queued.',
  });
  const url = fn.addFunctionUrl({ authType: FunctionUrlAuthType.NONE, invokeMode: InvokeMode.BUFFERED });
  return { function: fn, role, url };
}
