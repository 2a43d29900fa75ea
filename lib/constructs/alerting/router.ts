/**
 * The alert router: an EventBridge rule sends every CloudWatch alarm state change to a Lambda that
 * writes readable e-mail/SMS, starts and stops escalations, mints ack links and tells the team about
 * acknowledgements (from the acks table's stream). Created in the caller's scope, so its logical ids
 * are those of `Alerting`.
 */
import { join } from 'node:path';
import { Duration, Stack, Tags } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import {
  FilterCriteria,
  FilterRule,
  type FunctionUrl,
  type Function as LambdaFn,
  StartingPosition,
} from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { alertRouterEnvironment } from '../../../lambdas/alert-router/env';
import { NEVER_ROUTED_PREFIX } from '../../../lambdas/alert-router/routing';
import { routerSettings } from '../../../lambdas/alert-router/settings';
import type { NightshiftContext } from '../context';
import { arnFor, jobFunction } from '../function-defaults';
import { allowJobsDeadLetterPeek } from '../jobs-dead-letter-queue';
import { acknowledgeWildcard } from '../nag';
import { escalationName } from './escalation';
import { type MemberTopics, memberTopicKey, PUBLISHER_TAG } from './level-topics';

export const ALERT_ROUTER_ENTRY = join(import.meta.dirname, '../../../lambdas/alert-router/handler.ts');

export interface RouterProps {
  readonly context: NightshiftContext;
  readonly memberTopics: MemberTopics;
  readonly stateMachine: StateMachine;
  /** Its stream brings every acknowledgement to the router. */
  readonly ackTable: Table;
  /** The router mints the links of an episode into it. */
  readonly ackLinkTable: Table;
  readonly ackLinkUrl: FunctionUrl;
  /** Where alarm events, failed runs and ack records go when the router cannot take them. */
  readonly deadLetterQueue: Queue;
}

export interface Router {
  readonly function: LambdaFn;
  readonly role: Role;
  /** Alarm events and ack stream records the router could not handle. */
  readonly deadLetterQueue: Queue;
  readonly rule: Rule;
}

export function alertRouter(scope: Construct, props: RouterProps): Router {
  const { context, stateMachine, ackLinkTable } = props;
  const { project } = context;
  // the alerting path's one dead-letter queue (level-topics.ts alertDeadLetterQueue)
  const dlq = props.deadLetterQueue;
  const { function: fn, role } = jobFunction(scope, 'Router', {
    context,
    name: 'alert-router',
    description: `Turns ${project} CloudWatch alarm state changes into readable e-mail/SMS and starts escalations`,
    entry: ALERT_ROUTER_ENTRY,
    timeout: Duration.seconds(30),
    memorySize: 256,
    deadLetterQueue: dlq,
    environment: alertRouterEnvironment({
      settings: settingsJson(scope, context, props.memberTopics),
      stateMachineArn: stateMachine.stateMachineArn,
      ackLinkBase: props.ackLinkUrl.url,
      ackLinkTable: ackLinkTable.tableName,
    }),
  });
  // Links are minted in batches when an episode starts; one seed item per alarm-event delivery is
  // written once and read back on a retry. The router never reads the links themselves back.
  ackLinkTable.grant(role, 'dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:GetItem');
  readAcknowledgements(fn, props.ackTable, dlq);
  Tags.of(role).add(PUBLISHER_TAG, project);
  grantEscalationControl(role, stateMachine, project);
  grantAlarmReads(role, context);
  // names the jobs in the jobs-dlq page: peeks at the shared queue (ReceiveMessage only)
  allowJobsDeadLetterPeek(context, role);
  const rule = new Rule(scope, 'AlarmStateChanges', {
    ruleName: `${project}-alarm-state-changes`,
    description: `Every CloudWatch alarm state change to the ${project} alert router (it keeps ${project}-* alarms and opted-in ones)`,
    eventPattern: {
      source: ['aws.cloudwatch'],
      detailType: ['CloudWatch Alarm State Change'],
      // Auto Scaling target-tracking alarms flap by design and are never routed.
      detail: { alarmName: [{ 'anything-but': { prefix: NEVER_ROUTED_PREFIX } }] },
    },
    targets: [
      new LambdaFunction(fn, { deadLetterQueue: dlq, retryAttempts: 4, maxEventAge: Duration.hours(2) }),
    ],
  });
  return { function: fn, role, deadLetterQueue: dlq, rule };
}

/** The router's settings (levels, topics, maintenance windows, log patterns) as its environment JSON. */
function settingsJson(scope: Construct, context: NightshiftContext, members: MemberTopics): string {
  const { config } = context;
  const settings = routerSettings(
    config,
    context.levelTopics.map((t) => t.topicArn),
    (level, member) => members[memberTopicKey(level, member)]?.topicArn ?? '',
  );
  // validateConfig keeps the settings within a Lambda environment (lib/config/limits.ts)
  return Stack.of(scope).toJsonString(settings);
}

/**
 * Every acknowledgement (link or CLI) reaches the router through the acks table's stream, which tells
 * the team; records it cannot handle go to its dead-letter queue (which pages).
 */
function readAcknowledgements(router: LambdaFn, ackTable: Table, dlq: Queue): void {
  router.addEventSource(
    new DynamoEventSource(ackTable, {
      startingPosition: StartingPosition.LATEST,
      batchSize: 10,
      retryAttempts: 3,
      bisectBatchOnError: true,
      maxRecordAge: Duration.hours(1),
      // The router already sends to this queue (grantSendToQueue); SqsDlq would add kms:ReEncrypt*.
      onFailure: { bind: () => ({ destination: dlq.queueArn }) },
      filters: [FilterCriteria.filter({ eventName: FilterRule.or('INSERT', 'MODIFY') })],
    }),
  );
}

/** Starts an escalation per episode, and finds and stops the running ones of a recovered alarm. */
function grantEscalationControl(role: Role, stateMachine: StateMachine, project: string): void {
  stateMachine.grantStartExecution(role);
  role.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['states:ListExecutions'], resources: [stateMachine.stateMachineArn] }),
  );
  const executions = arnFor(role, 'states', `execution:${escalationName(project)}:*`);
  role.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['states:StopExecution'], resources: [executions] }),
  );
  acknowledgeWildcard(
    role,
    executions,
    'Stops the running escalation executions of a recovered alarm; execution names are only known at run time.',
  );
}

/** Alarm tags, history and current values, and the lines of log groups that log patterns watch. */
function grantAlarmReads(role: Role, context: NightshiftContext): void {
  const alarms = arnFor(role, 'cloudwatch', 'alarm:*');
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['cloudwatch:ListTagsForResource', 'cloudwatch:DescribeAlarmHistory'],
      resources: [alarms],
    }),
  );
  acknowledgeWildcard(
    role,
    alarms,
    'Reads tags (severity opt-in) and history (recovery duration) of any alarm that reaches the router; user alarms opt in by tag, so their names are not known at deploy time.',
  );
  // Reminders quote the alarm's state and latest value at reminder time (reminder.ts); an
  // acknowledgement is told to the team with the alarm's severity and episode (team.ts).
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'ReadAlarmsAtReminderTime',
      actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:GetMetricData'],
      resources: ['*'],
    }),
  );
  acknowledgeWildcard(
    role,
    '*',
    'Reminders read the alarm now and acknowledgements are told to the team with its severity and episode: cloudwatch:DescribeAlarms must be scoped to * to return composite alarms, and cloudwatch:GetMetricData supports no resource-level permissions.',
  );
  for (const pattern of context.config.alerts.logPatterns) {
    const groupArn = arnFor(role, 'logs', `log-group:${pattern.logGroup}:*`);
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['logs:FilterLogEvents'], resources: [groupArn] }),
    );
    acknowledgeWildcard(
      role,
      groupArn,
      `Quotes a matching line of ${pattern.logGroup} in log-pattern alerts (log streams are not known in advance).`,
    );
  }
}
