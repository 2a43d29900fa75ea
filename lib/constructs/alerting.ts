/**
 * The alerting capability: CloudWatch alarms → EventBridge → alert router (Lambda) → SNS level topics
 * (e-mail/SMS subscriptions), with one escalation state machine execution per ALARM episode and
 * acknowledgements in a DynamoDB table (ADR 002). Also: the config-declared metric alarms (presets,
 * metric math), log-pattern metric filters and alarms, the SMS spend alarm, the topic and key policies
 * that let only CloudWatch, EventBridge and Nightshift's own roles publish, and a dashboard section.
 *
 * This construct composes the parts in lib/constructs/alerting/. They create their resources in this
 * construct's scope, so the logical ids stay those of a single `Alerting`.
 */
import { Duration } from 'aws-cdk-lib';
import { type Alarm, GraphWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Rule } from 'aws-cdk-lib/aws-events';
import type { Role } from 'aws-cdk-lib/aws-iam';
import type { FunctionUrl, Function as LambdaFn } from 'aws-cdk-lib/aws-lambda';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ackLinkPage, ackTables } from './alerting/ack-links';
import { configuredAlarms } from './alerting/configured-alarms';
import { escalation } from './alerting/escalation';
import { alertDeadLetterQueue, grantPublish, levelDelivery, memberTopics } from './alerting/level-topics';
import { ownAlarms } from './alerting/own-alarms';
import { alertRouter } from './alerting/router';
import type { ChatChannels } from './chat-channels';
import type { NightshiftContext } from './context';

export { ACK_LINK_ENTRY } from './alerting/ack-links';
export { LOG_PATTERN_NAMESPACE } from './alerting/configured-alarms';
export { PUBLISHER_TAG } from './alerting/level-topics';
export { ALERT_ROUTER_ENTRY } from './alerting/router';

export interface AlertingProps {
  readonly context: NightshiftContext;
}

export class Alerting extends Construct {
  readonly router: LambdaFn;
  readonly routerRole: Role;
  readonly deadLetterQueue: Queue;
  /** Notifications SNS could not deliver to an address or number. */
  readonly deliveryDeadLetterQueue: Queue;
  readonly stateMachine: StateMachine;
  readonly escalationRole: Role;
  readonly ackTable: Table;
  /** One-tap acknowledge links (ADR 006): id → alarm, episode, level, recipient; TTL 24 h. */
  readonly ackLinkTable: Table;
  /** Serves the ack links behind a public Function URL (AuthType NONE: the link id is the credential). */
  readonly ackLinkFunction: LambdaFn;
  readonly ackLinkRole: Role;
  readonly ackLinkUrl: FunctionUrl;
  readonly rule: Rule;
  readonly smsSpendAlarm: Alarm;
  /** alerts.alarms, by config name. */
  readonly metricAlarms: Record<string, Alarm>;
  /** alerts.logPatterns, by config name. */
  readonly logPatternAlarms: Record<string, Alarm>;
  /** E-mail topics of rotation members, by "<level>/<member>" (SMS goes straight to the number). */
  readonly memberTopics: Record<string, Topic>;
  /** Slack/Teams channels (AWS Chatbot) and HTTPS webhooks of the levels. */
  readonly chat: ChatChannels;

  constructor(scope: Construct, id: string, props: AlertingProps) {
    super(scope, id);
    const { context } = props;
    if (context.levelTopics.length !== context.config.alerts.levels.length) {
      throw new Error(
        `internal: Alerting got ${context.levelTopics.length} level topics for ${context.config.alerts.levels.length} alerts.levels — the DataStack creates one per level`,
      );
    }
    const { ackTable, ackLinkTable } = ackTables(this, context.project);
    const links = ackLinkPage(this, { context, ackTable, ackLinkTable });
    const { stateMachine, role: escalationRole } = escalation(this, { context, ackTable });
    const members = memberTopics(this, context);
    const alertDlq = alertDeadLetterQueue(this, context);
    const router = alertRouter(this, {
      deadLetterQueue: alertDlq,
      context,
      memberTopics: members,
      stateMachine,
      ackTable,
      ackLinkTable,
      ackLinkUrl: links.url,
    });
    grantPublish({ context, memberTopics: members, roles: [router.role, escalationRole] });
    const delivery = levelDelivery(this, { context, memberTopics: members, deadLetterQueue: alertDlq });
    this.smsSpendAlarm = ownAlarms(this, {
      context,
      memberTopics: members,
      router: router.function,
      deadLetterQueue: alertDlq,
      stateMachine,
    });
    const configured = configuredAlarms(this, context);
    addDashboardSection(context, router.function, stateMachine, this.smsSpendAlarm);

    this.ackTable = ackTable;
    this.ackLinkTable = ackLinkTable;
    this.ackLinkFunction = links.function;
    this.ackLinkRole = links.role;
    this.ackLinkUrl = links.url;
    this.stateMachine = stateMachine;
    this.escalationRole = escalationRole;
    this.memberTopics = members;
    this.router = router.function;
    this.routerRole = router.role;
    this.deadLetterQueue = router.deadLetterQueue;
    this.rule = router.rule;
    this.deliveryDeadLetterQueue = delivery.deliveryDeadLetterQueue;
    this.chat = delivery.chat;
    this.metricAlarms = configured.metricAlarms;
    this.logPatternAlarms = configured.logPatternAlarms;
  }
}

function addDashboardSection(
  context: NightshiftContext,
  router: LambdaFn,
  stateMachine: StateMachine,
  smsSpend: Alarm,
): void {
  const limit = context.config.alerts.smsMonthlySpendLimitUsd;
  const fiveMinutes = { statistic: 'Sum', period: Duration.minutes(5) };
  context.dashboard.addSection('Alerting', [
    new GraphWidget({
      title: 'Alarm events routed / router errors',
      left: [router.metricInvocations(fiveMinutes)],
      right: [router.metricErrors(fiveMinutes)],
      width: 8,
    }),
    new GraphWidget({
      title: 'Escalations started / failed',
      left: [stateMachine.metricStarted(fiveMinutes)],
      right: [stateMachine.metricFailed(fiveMinutes)],
      width: 8,
    }),
    new GraphWidget({
      title: `SMS spend this month (limit ${limit} USD)`,
      left: [smsSpend.metric],
      leftAnnotations: [{ value: limit, label: 'limit' }],
      width: 8,
    }),
  ]);
}
