/**
 * Alarms on the alerting path itself: SMS spend, a failing router, undeliverable alarm events and
 * notifications (one queue, one alarm), failed escalations. The router alarms also page the first level straight from
 * CloudWatch, since the router cannot route its own failure. Created in the caller's scope, so their
 * logical ids are those of `Alerting`.
 */
import { Duration } from 'aws-cdk-lib';
import { type Alarm, ComparisonOperator, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Function as LambdaFn } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { nightshiftAlarm } from '../alarms';
import type { NightshiftContext } from '../context';
import type { MemberTopics } from './level-topics';

/** CloudWatch accepts at most this many actions per alarm state. */
const MAX_ALARM_ACTIONS = 5;

export interface OwnAlarmsProps {
  readonly context: NightshiftContext;
  readonly memberTopics: MemberTopics;
  readonly router: LambdaFn;
  /** The alerting path's one dead-letter queue (router events and runs, SNS deliveries). */
  readonly deadLetterQueue: Queue;
  readonly stateMachine: StateMachine;
}

/** Creates the alarms; returns the SMS spend alarm (the dashboard plots its metric). */
export function ownAlarms(scope: Construct, props: OwnAlarmsProps): Alarm {
  const { context } = props;
  const limit = context.config.alerts.smsMonthlySpendLimitUsd;
  const smsSpend = nightshiftAlarm(scope, 'SmsSpend', {
    context,
    name: 'sms-spend',
    metric: new Metric({
      namespace: 'AWS/SNS',
      metricName: 'SMSMonthToDateSpentUSD',
      statistic: 'Maximum',
      period: Duration.minutes(5),
    }),
    threshold: limit,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    severity: 'high',
    target: 'sns-sms',
    summary: `SMS spend this month reached ${limit} USD`,
  });
  routerAlarms(scope, props);
  nightshiftAlarm(scope, 'EscalationFailed', {
    context,
    name: 'escalation-failed',
    metric: props.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
    threshold: 0,
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    severity: 'high',
    target: 'escalation',
    summary: 'an escalation execution failed: an alarm may not be escalated',
  });
  return smsSpend;
}

/** If the router itself breaks, these page the first level straight from CloudWatch (plain format). */
function routerAlarms(scope: Construct, props: OwnAlarmsProps): void {
  const { context } = props;
  const routerFailed = nightshiftAlarm(scope, 'RouterFailed', {
    context,
    name: 'alert-router-failed',
    metric: props.router.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
    threshold: 0,
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    severity: 'critical',
    target: 'alert-router',
    summary: 'the alert router failed: alarms may not reach anyone',
  });
  // One queue for everything the alerting path could not deliver, so one alarm: an alarm event that
  // never reached the router, or a notification SNS could not hand to an address or number. Either
  // way a page may not have reached someone, so it pages the first level directly (critical).
  const undelivered = nightshiftAlarm(scope, 'Undelivered', {
    context,
    name: 'alert-undelivered',
    metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(5),
      statistic: 'Maximum',
    }),
    threshold: 0,
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    severity: 'critical',
    target: 'alert-router',
    summary:
      'an alert was not delivered: an alarm event did not reach the alert router, or SNS could not deliver to an e-mail address or phone number (see the alert-delivery dead-letter queue)',
  });
  const actions = firstLevelTopics(context, props.memberTopics).map((topic) => new SnsAction(topic));
  for (const alarm of [routerFailed, undelivered]) {
    alarm.addAlarmAction(...actions);
    alarm.addOkAction(...actions);
  }
}

/**
 * Nobody can tell who is on call when the router is down: a rotating first level pages its members'
 * e-mail topics (at most 5, CloudWatch's limit of actions per state), a fixed one its level topic.
 */
function firstLevelTopics(context: NightshiftContext, memberTopics: MemberTopics): ITopic[] {
  const first = context.config.alerts.levels[0];
  const members = first?.rotation
    ? Object.entries(memberTopics)
        .filter(([key]) => key.startsWith(`${first.name}/`))
        .map(([, topic]) => topic)
        .slice(0, MAX_ALARM_ACTIONS)
    : [];
  return members.length ? members : [context.levelTopics[0]!];
}
