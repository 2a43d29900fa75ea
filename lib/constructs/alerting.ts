/**
 * The alerting capability: CloudWatch alarms → EventBridge → alert router (Lambda) → SNS level topics
 * (e-mail/SMS subscriptions), with one escalation state machine execution per ALARM episode and
 * acknowledgements in a DynamoDB table (ADR 002). Also: the config-declared metric alarms (presets,
 * metric math), log-pattern metric filters and alarms, the SMS spend alarm, the topic and key policies
 * that let only CloudWatch, EventBridge and Nightshift's own roles publish, and a dashboard section.
 */
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack, Tags, Validations } from 'aws-cdk-lib';
import {
  type Alarm,
  ComparisonOperator,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, BillingMode, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { AnyPrincipal, Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  FilterCriteria,
  FilterRule,
  type FunctionUrl,
  FunctionUrlAuthType,
  InvokeMode,
  type Function as LambdaFn,
  StartingPosition,
} from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { FilterPattern, LogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Subscription, SubscriptionFilter, SubscriptionProtocol, Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, LogLevel, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ackLinkEnvironment } from '../../lambdas/ack-link/env';
import { ackLinkTableName } from '../../lambdas/ack-link/links';
import { ackTableName } from '../../lambdas/alert-router/acks';
import { alertRouterEnvironment } from '../../lambdas/alert-router/env';
import { escalationDefinition } from '../../lambdas/alert-router/escalation-definition';
import { NEVER_ROUTED_PREFIX } from '../../lambdas/alert-router/routing';
import { logPatternAlarmName, memberTopicName, routerSettings } from '../../lambdas/alert-router/settings';
import { type MetricRef, type ResolvedMetricAlarm, resolveMetricAlarm } from '../config/alarm-presets';
import { durationMs, formatDuration } from '../config/primitives';
import { nightshiftAlarm } from './alarms';
import { ChatChannels } from './chat-channels';
import type { NightshiftContext } from './context';
import { deadLetterQueue } from './dead-letter-queue';
import { acknowledgeTracingOff, arnFor, jobFunction, jobLogGroup, tracingEnabled } from './function-defaults';
import { acknowledgeWildcard, acknowledgeWildcardAction } from './nag';

export const ALERT_ROUTER_ENTRY = join(import.meta.dirname, '../../lambdas/alert-router/handler.ts');
export const ACK_LINK_ENTRY = join(import.meta.dirname, '../../lambdas/ack-link/handler.ts');
/** CloudWatch accepts at most this many actions per alarm state. */
const MAX_ALARM_ACTIONS = 5;

/** Role tag the level topics' policies require of IAM publishers. */
export const PUBLISHER_TAG = 'nightshift:publisher';
export const LOG_PATTERN_NAMESPACE = 'Nightshift/LogPatterns';

export interface AlertingProps {
  readonly context: NightshiftContext;
}

const COMPARISON: Record<ResolvedMetricAlarm['comparison'], ComparisonOperator> = {
  '>': ComparisonOperator.GREATER_THAN_THRESHOLD,
  '>=': ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  '<': ComparisonOperator.LESS_THAN_THRESHOLD,
  '<=': ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
};

const MISSING: Record<ResolvedMetricAlarm['missingData'], TreatMissingData> = {
  breaching: TreatMissingData.BREACHING,
  notBreaching: TreatMissingData.NOT_BREACHING,
  ignore: TreatMissingData.IGNORE,
  missing: TreatMissingData.MISSING,
};

function cwMetric(ref: MetricRef, period: Duration): Metric {
  return new Metric({
    namespace: ref.namespace,
    metricName: ref.metric,
    dimensionsMap: { ...ref.dimensions },
    statistic: ref.statistic,
    period,
  });
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
  readonly metricAlarms: Record<string, Alarm> = {};
  /** alerts.logPatterns, by config name. */
  readonly logPatternAlarms: Record<string, Alarm> = {};
  /** E-mail topics of rotation members, by "<level>/<member>" (SMS goes straight to the number). */
  readonly memberTopics: Record<string, Topic> = {};
  /** Slack/Teams channels (AWS Chatbot) and HTTPS webhooks of the levels. */
  readonly chat: ChatChannels;

  constructor(scope: Construct, id: string, props: AlertingProps) {
    super(scope, id);
    const { context } = props;
    const { config, project } = context;
    const topics = context.levelTopics;
    if (topics.length !== config.alerts.levels.length) {
      throw new Error(
        `internal: Alerting got ${topics.length} level topics for ${config.alerts.levels.length} alerts.levels — the DataStack creates one per level`,
      );
    }
    const stack = Stack.of(this);

    // ---- acknowledgements ---------------------------------------------------------------------
    this.ackTable = new Table(this, 'Acks', {
      tableName: ackTableName(project),
      partitionKey: { name: 'alarm', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      // AWS-owned-for-DynamoDB key: anyone allowed to read the table (the CLI) can decrypt it.
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: RemovalPolicy.DESTROY,
      // The router tells the team about every acknowledgement, however it was made (link or CLI).
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
    });
    this.ackLinkTable = new Table(this, 'AckLinks', {
      tableName: ackLinkTableName(project),
      partitionKey: { name: 'id', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // ---- ack links: a public page that acknowledges with one tap -------------------------------
    const ackLink = jobFunction(this, 'AckLink', {
      context,
      name: 'ack-link',
      description: `Serves ${project}'s one-tap acknowledge links (GET shows, POST acknowledges)`,
      entry: ACK_LINK_ENTRY,
      timeout: Duration.seconds(10),
      memorySize: 256,
      environment: ackLinkEnvironment({
        linkTable: this.ackLinkTable.tableName,
        ackTable: this.ackTable.tableName,
        timeZone: config.timezone,
      }),
    });
    this.ackLinkFunction = ackLink.function;
    this.ackLinkRole = ackLink.role;
    // Count attempts, mark used, give back after a failed ack: UpdateItem only (no scan, no read of other ids).
    this.ackLinkTable.grant(this.ackLinkRole, 'dynamodb:UpdateItem');
    this.ackTable.grant(this.ackLinkRole, 'dynamodb:PutItem');
    this.ackLinkRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: ['*'] }),
    );
    acknowledgeWildcard(
      this.ackLinkRole,
      '*',
      'cloudwatch:DescribeAlarms must be scoped to * to return composite alarms (is the alarm still in the episode the link was sent for?).',
    );
    Validations.of(this.ackLinkFunction).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Invoked synchronously by its Function URL: the person gets the error page and can press again; nothing is queued.',
    });
    this.ackLinkUrl = this.ackLinkFunction.addFunctionUrl({
      authType: FunctionUrlAuthType.NONE,
      invokeMode: InvokeMode.BUFFERED,
    });

    // ---- escalation state machine -------------------------------------------------------------
    this.escalationRole = new Role(this, 'EscalationRole', {
      assumedBy: new ServicePrincipal('states.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: `Nightshift ${project} escalation: reads alarms and acks, publishes to level topics`,
    });
    Tags.of(this.escalationRole).add(PUBLISHER_TAG, project);
    this.escalationRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: ['*'] }),
    );
    this.ackTable.grant(this.escalationRole, 'dynamodb:GetItem');
    // Built from names, not from the resources: the router's environment names the state machine, and
    // the state machine's definition names the router (and itself), which would be a cycle.
    const routerArn = arnFor(this, 'lambda', `function:${project}-alert-router`);
    const escalationArn = arnFor(this, 'states', `stateMachine:${project}-escalation`);
    this.escalationRole.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'RenderRemindersWithFreshValues',
        actions: ['lambda:InvokeFunction'],
        resources: [routerArn],
      }),
    );
    this.escalationRole.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ContinueLongEpisodesAsNew',
        actions: ['states:StartExecution'],
        resources: [escalationArn],
      }),
    );
    const logGroup = jobLogGroup(this, 'EscalationLogs', context, 'escalation', {
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, 'Escalation', {
      stateMachineName: `${project}-escalation`,
      comment: `Escalates ${project} alarms level by level until OK or acknowledged`,
      definitionBody: DefinitionBody.fromString(JSON.stringify(escalationDefinition())),
      definitionSubstitutions: { AckTable: this.ackTable.tableName, AlertRouter: routerArn },
      role: this.escalationRole,
      tracingEnabled: tracingEnabled(context),
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
    });
    acknowledgeTracingOff(this.stateMachine, context);

    // ---- router -------------------------------------------------------------------------------
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue', {
      context,
      queueName: `${project}-alert-router-dlq`,
      holds: 'the alert router and its rule',
    });

    // ---- rotations: one e-mail topic per member, so only the member on call is e-mailed --------
    for (const level of config.alerts.levels) {
      for (const member of level.rotation?.members ?? []) {
        if (!member.email) continue;
        this.memberTopics[`${level.name}/${member.name}`] = new Topic(
          this,
          `Rota-${level.name}-${member.name}`,
          {
            topicName: memberTopicName(project, level.name, member.name),
            displayName: `${project} alerts (${level.name}, ${member.name} on call)`,
            masterKey: context.key,
            enforceSSL: true,
          },
        );
      }
    }
    const settings = routerSettings(
      config,
      topics.map((t) => t.topicArn),
      (level, member) => this.memberTopics[`${level}/${member}`]?.topicArn ?? '',
    );
    // validateConfig keeps the settings within a Lambda environment (lib/config/limits.ts)
    const fn = jobFunction(this, 'Router', {
      context,
      name: 'alert-router',
      description: `Turns ${project} CloudWatch alarm state changes into readable e-mail/SMS and starts escalations`,
      entry: ALERT_ROUTER_ENTRY,
      timeout: Duration.seconds(30),
      memorySize: 256,
      deadLetterQueue: this.deadLetterQueue,
      environment: alertRouterEnvironment({
        settings: stack.toJsonString(settings),
        stateMachineArn: this.stateMachine.stateMachineArn,
        ackLinkBase: this.ackLinkUrl.url,
        ackLinkTable: this.ackLinkTable.tableName,
      }),
    });
    this.router = fn.function;
    this.routerRole = fn.role;
    // Links are minted in batches when an episode starts; the router never reads them back.
    // links in batches; one seed item per alarm-event delivery (written once, read back on a retry)
    this.ackLinkTable.grant(
      this.routerRole,
      'dynamodb:BatchWriteItem',
      'dynamodb:PutItem',
      'dynamodb:GetItem',
    );
    // Every acknowledgement (link or CLI) reaches the router through the acks table's stream, which
    // tells the team; records it cannot handle go to its dead-letter queue (which pages).
    this.router.addEventSource(
      new DynamoEventSource(this.ackTable, {
        startingPosition: StartingPosition.LATEST,
        batchSize: 10,
        retryAttempts: 3,
        bisectBatchOnError: true,
        maxRecordAge: Duration.hours(1),
        // The router already sends to this queue (grantSendToQueue); SqsDlq would add kms:ReEncrypt*.
        onFailure: { bind: () => ({ destination: this.deadLetterQueue.queueArn }) },
        filters: [FilterCriteria.filter({ eventName: FilterRule.or('INSERT', 'MODIFY') })],
      }),
    );
    Tags.of(this.routerRole).add(PUBLISHER_TAG, project);
    this.stateMachine.grantStartExecution(this.routerRole);
    this.routerRole.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['states:ListExecutions'],
        resources: [this.stateMachine.stateMachineArn],
      }),
    );
    const executions = arnFor(this, 'states', `execution:${project}-escalation:*`);
    this.routerRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['states:StopExecution'], resources: [executions] }),
    );
    acknowledgeWildcard(
      this.routerRole,
      executions,
      'Stops the running escalation executions of a recovered alarm; execution names are only known at run time.',
    );
    const alarms = arnFor(this, 'cloudwatch', 'alarm:*');
    this.routerRole.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['cloudwatch:ListTagsForResource', 'cloudwatch:DescribeAlarmHistory'],
        resources: [alarms],
      }),
    );
    acknowledgeWildcard(
      this.routerRole,
      alarms,
      'Reads tags (severity opt-in) and history (recovery duration) of any alarm that reaches the router; user alarms opt in by tag, so their names are not known at deploy time.',
    );
    // Reminders quote the alarm's state and latest value at reminder time (reminder.ts); an
    // acknowledgement is told to the team with the alarm's severity and episode (team.ts).
    this.routerRole.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ReadAlarmsAtReminderTime',
        actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:GetMetricData'],
        resources: ['*'],
      }),
    );
    acknowledgeWildcard(
      this.routerRole,
      '*',
      'Reminders read the alarm now and acknowledgements are told to the team with its severity and episode: cloudwatch:DescribeAlarms must be scoped to * to return composite alarms, and cloudwatch:GetMetricData supports no resource-level permissions.',
    );
    for (const pattern of config.alerts.logPatterns) {
      const groupArn = arnFor(this, 'logs', `log-group:${pattern.logGroup}:*`);
      this.routerRole.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['logs:FilterLogEvents'], resources: [groupArn] }),
      );
      acknowledgeWildcard(
        this.routerRole,
        groupArn,
        `Quotes a matching line of ${pattern.logGroup} in log-pattern alerts (log streams are not known in advance).`,
      );
    }

    for (const topic of [...topics, ...Object.values(this.memberTopics)]) {
      topic.grantPublish(this.routerRole);
      topic.grantPublish(this.escalationRole);
    }
    if (config.alerts.levels.some((level) => level.rotation?.members.some((m) => m.sms))) {
      // Texting a number directly has no resource ARN; NotResource on every topic ARN keeps this
      // statement from reaching any topic (topics are granted one by one above).
      for (const role of [this.routerRole, this.escalationRole]) {
        role.addToPrincipalPolicy(
          new PolicyStatement({
            sid: 'TextRotationMembers',
            actions: ['sns:Publish'],
            notResources: ['arn:aws:sns:*:*:*'],
          }),
        );
      }
    }
    for (const role of [this.routerRole, this.escalationRole]) {
      acknowledgeWildcardAction(
        role,
        'kms:GenerateDataKey*',
        'SNS server-side encryption with the project key needs a data key per publish (granted by Topic.grantPublish).',
      );
    }
    acknowledgeWildcard(
      this.escalationRole,
      '*',
      'cloudwatch:DescribeAlarms must be scoped to * to return composite alarms; X-Ray and CloudWatch Logs delivery support no resource-level permissions.',
    );

    this.rule = new Rule(this, 'AlarmStateChanges', {
      ruleName: `${project}-alarm-state-changes`,
      description: `Every CloudWatch alarm state change to the ${project} alert router (it keeps ${project}-* alarms and opted-in ones)`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        // Auto Scaling target-tracking alarms flap by design and are never routed.
        detail: { alarmName: [{ 'anything-but': { prefix: NEVER_ROUTED_PREFIX } }] },
      },
      targets: [
        new LambdaFunction(this.router, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 4,
          maxEventAge: Duration.hours(2),
        }),
      ],
    });

    // ---- subscriptions and topic/key policies -------------------------------------------------
    // Messages SNS could not deliver (bounced address, unreachable number) land here and page.
    this.deliveryDeadLetterQueue = deadLetterQueue(this, 'DeliveryDeadLetterQueue', {
      context,
      queueName: `${project}-alert-delivery-dlq`,
      holds: 'SNS deliveries to e-mail addresses and phone numbers',
      // SNS writes with no grant on the project key.
      encryption: 'sqs-managed',
    });
    const deliveryDlq = this.deliveryDeadLetterQueue;
    config.alerts.levels.forEach((level, i) => {
      const topic = topics[i]!;
      level.email.forEach((address, j) => {
        new Subscription(this, `Level${i}Email${j}`, {
          topic,
          protocol: SubscriptionProtocol.EMAIL,
          endpoint: address,
          deadLetterQueue: deliveryDlq,
        });
      });
      level.sms.forEach((number, j) => {
        new Subscription(this, `Level${i}Sms${j}`, {
          topic,
          protocol: SubscriptionProtocol.SMS,
          endpoint: number,
          deadLetterQueue: deliveryDlq,
          // "no data" notices are e-mail only.
          filterPolicy: { 'nightshift.sms': SubscriptionFilter.stringFilter({ allowlist: ['yes'] }) },
        });
      });
      secureTopic(topic, project);
    });
    for (const level of config.alerts.levels) {
      for (const member of level.rotation?.members ?? []) {
        const topic = this.memberTopics[`${level.name}/${member.name}`];
        if (!topic || !member.email) continue;
        new Subscription(this, `Rota-${level.name}-${member.name}-Email`, {
          topic,
          protocol: SubscriptionProtocol.EMAIL,
          endpoint: member.email,
          deadLetterQueue: deliveryDlq,
        });
        secureTopic(topic, project);
      }
    }
    // ---- chat channels: AWS Chatbot (Slack, Teams) and HTTPS webhooks, on each level's topics ----
    this.chat = new ChatChannels(this, 'Chat', {
      context,
      levelTopics: config.alerts.levels.map((level, i) => [
        topics[i]!,
        ...(level.rotation?.members ?? [])
          .map((m) => this.memberTopics[`${level.name}/${m.name}`])
          .filter((t): t is Topic => t !== undefined),
      ]),
      deliveryDeadLetterQueue: deliveryDlq,
    });

    const services = [
      new ServicePrincipal('cloudwatch.amazonaws.com'),
      new ServicePrincipal('events.amazonaws.com'),
    ];
    context.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AlarmServicesPublishToEncryptedTopics',
        principals: services,
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(context.key).account } },
      }),
    );

    // ---- alarms -------------------------------------------------------------------------------
    this.smsSpendAlarm = nightshiftAlarm(this, 'SmsSpend', {
      context,
      name: 'sms-spend',
      metric: new Metric({
        namespace: 'AWS/SNS',
        metricName: 'SMSMonthToDateSpentUSD',
        statistic: 'Maximum',
        period: Duration.minutes(5),
      }),
      threshold: config.alerts.smsMonthlySpendLimitUsd,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      severity: 'high',
      target: 'sns-sms',
      summary: `SMS spend this month reached ${config.alerts.smsMonthlySpendLimitUsd} USD`,
    });
    // If the router itself breaks, these page the first level straight from CloudWatch (plain format).
    // Nobody can tell who is on call then: a rotating first level pages its members' e-mail topics
    // (CloudWatch takes at most 5 actions per state).
    const firstRotation = config.alerts.levels[0]?.rotation;
    const fallback = firstRotation
      ? Object.entries(this.memberTopics)
          .filter(([key]) => key.startsWith(`${config.alerts.levels[0]?.name}/`))
          .map(([, topic]) => topic)
          .slice(0, MAX_ALARM_ACTIONS)
      : [];
    const firstActions = (fallback.length ? fallback : [topics[0]!]).map((topic) => new SnsAction(topic));
    const routerFailed = nightshiftAlarm(this, 'RouterFailed', {
      context,
      name: 'alert-router-failed',
      metric: this.router.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      severity: 'critical',
      target: 'alert-router',
      summary: 'the alert router failed: alarms may not reach anyone',
    });
    const undelivered = nightshiftAlarm(this, 'RouterDlq', {
      context,
      name: 'alert-router-undelivered',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      severity: 'critical',
      target: 'alert-router',
      summary: 'alarm events could not be delivered to the alert router (see its dead-letter queue)',
    });
    for (const alarm of [routerFailed, undelivered]) {
      alarm.addAlarmAction(...firstActions);
      alarm.addOkAction(...firstActions);
    }
    nightshiftAlarm(this, 'DeliveryFailed', {
      context,
      name: 'alert-delivery-failed',
      metric: this.deliveryDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      severity: 'high',
      target: 'alert-delivery',
      summary:
        'SNS could not deliver an alert to an e-mail address or phone number (see the delivery dead-letter queue)',
    });
    nightshiftAlarm(this, 'EscalationFailed', {
      context,
      name: 'escalation-failed',
      metric: this.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      severity: 'high',
      target: 'escalation',
      summary: 'an escalation execution failed: an alarm may not be escalated',
    });

    config.alerts.alarms.forEach((entry, index) => {
      const alarm = resolveMetricAlarm(entry, index);
      const period = Duration.seconds(alarm.periodSeconds);
      const metric: IMetric = alarm.metric
        ? cwMetric(alarm.metric, period)
        : new MathExpression({
            expression: alarm.expression ?? '',
            usingMetrics: Object.fromEntries(
              Object.entries(alarm.metrics ?? {}).map(([key, ref]) => [key, cwMetric(ref, period)]),
            ),
            period,
            label: alarm.summary,
          });
      this.metricAlarms[entry.name] = nightshiftAlarm(this, `Alarm-${entry.name}`, {
        context,
        name: entry.name,
        metric,
        threshold: alarm.threshold,
        comparisonOperator: COMPARISON[alarm.comparison],
        evaluationPeriods: alarm.evaluationPeriods,
        datapointsToAlarm: alarm.datapoints,
        treatMissingData: MISSING[alarm.missingData],
        severity: alarm.severity,
        target: entry.name,
        summary: alarm.summary,
        runbook: alarm.runbook ?? config.alerts.severities[alarm.severity].runbook,
      });
    });

    for (const pattern of config.alerts.logPatterns) {
      const name = logPatternAlarmName(project, pattern.name);
      const periodMs = durationMs(pattern.period);
      new MetricFilter(this, `LogPattern-${pattern.name}`, {
        logGroup: LogGroup.fromLogGroupName(this, `LogGroup-${pattern.name}`, pattern.logGroup),
        filterName: name,
        filterPattern: FilterPattern.literal(pattern.pattern),
        metricNamespace: LOG_PATTERN_NAMESPACE,
        metricName: name,
        metricValue: '1',
        defaultValue: 0,
      });
      const alarm = nightshiftAlarm(this, `LogAlarm-${pattern.name}`, {
        context,
        name: name.slice(project.length + 1),
        metric: new Metric({
          namespace: LOG_PATTERN_NAMESPACE,
          metricName: name,
          statistic: 'Sum',
          period: Duration.millis(periodMs),
        }),
        threshold: pattern.threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        severity: pattern.severity,
        target: `log/${pattern.name}`,
        summary: `${pattern.pattern} in ${pattern.logGroup}: ${pattern.threshold} or more per ${formatDuration(periodMs)}`,
        runbook: pattern.runbook ?? config.alerts.severities[pattern.severity].runbook,
      });
      this.logPatternAlarms[pattern.name] = alarm;
    }

    // ---- dashboard ----------------------------------------------------------------------------
    context.dashboard.addSection('Alerting', [
      new GraphWidget({
        title: 'Alarm events routed / router errors',
        left: [this.router.metricInvocations({ statistic: 'Sum', period: Duration.minutes(5) })],
        right: [this.router.metricErrors({ statistic: 'Sum', period: Duration.minutes(5) })],
        width: 8,
      }),
      new GraphWidget({
        title: 'Escalations started / failed',
        left: [this.stateMachine.metricStarted({ statistic: 'Sum', period: Duration.minutes(5) })],
        right: [this.stateMachine.metricFailed({ statistic: 'Sum', period: Duration.minutes(5) })],
        width: 8,
      }),
      new GraphWidget({
        title: `SMS spend this month (limit ${config.alerts.smsMonthlySpendLimitUsd} USD)`,
        left: [this.smsSpendAlarm.metric],
        leftAnnotations: [{ value: config.alerts.smsMonthlySpendLimitUsd, label: 'limit' }],
        width: 8,
      }),
    ]);
  }
}

/**
 * Level topic policy: CloudWatch and EventBridge of this account may publish (for alarm actions and
 * rules you point at a level yourself); IAM principals may publish only when they carry the
 * nightshift:publisher=<project> tag (the router and escalation roles). Everyone else is denied.
 */
function secureTopic(topic: NightshiftContext['levelTopics'][number], project: string): void {
  const account = Stack.of(topic).account;
  topic.addToResourcePolicy(
    new PolicyStatement({
      sid: 'AlarmServicesPublish',
      principals: [
        new ServicePrincipal('cloudwatch.amazonaws.com'),
        new ServicePrincipal('events.amazonaws.com'),
      ],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: { StringEquals: { 'aws:SourceAccount': account } },
    }),
  );
  topic.addToResourcePolicy(
    new PolicyStatement({
      sid: 'OnlyNightshiftPublishes',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringNotEqualsIfExists: {
          [`aws:PrincipalTag/${PUBLISHER_TAG}`]: project,
          'aws:PrincipalServiceName': ['cloudwatch.amazonaws.com', 'events.amazonaws.com'],
        },
      },
    }),
  );
}
