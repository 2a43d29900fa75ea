/**
 * Chat channels of the escalation levels (docs/alerting.md, "Chat channels"):
 *
 * - `levels[].chat`: one AWS Chatbot (Amazon Q Developer in chat applications) channel configuration
 *   per Slack or Microsoft Teams channel, subscribed to the level's topics. Chatbot receives the
 *   topics' `https` body: a custom notification (lambdas/alert-router/chat.ts). Its role has no
 *   permissions and its guardrail allows only reading the project's alarms, so nobody in the channel
 *   can act on the account through it (without a guardrail Chatbot would apply AdministratorAccess).
 * - `levels[].webhooks`: one webhook-delivery function subscribed to the topics of every level with
 *   webhooks. It reads only those levels' webhook secrets; what it cannot deliver goes to its
 *   dead-letter queue, which alarms.
 *
 * A level's topics are its own and, for a rotation, its members' e-mail topics: every message of the
 * level is published to exactly one of them (lambdas/alert-router/notifier.ts).
 */
import { join } from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import { CfnMicrosoftTeamsChannelConfiguration, SlackChannelConfiguration } from 'aws-cdk-lib/aws-chatbot';
import { type Alarm, ComparisonOperator } from 'aws-cdk-lib/aws-cloudwatch';
import { ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFn } from 'aws-cdk-lib/aws-lambda';
import { type ITopic, Subscription, SubscriptionProtocol } from 'aws-cdk-lib/aws-sns';
import type { IQueue, Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { WebhookSettings } from '../../lambdas/webhook-delivery/env';
import { webhookDeliveryEnvironment } from '../../lambdas/webhook-delivery/env';
import { nightshiftAlarm } from './alarms';
import type { NightshiftContext } from './context';
import { deadLetterQueue } from './dead-letter-queue';
import { arnFor, jobFunction } from './function-defaults';
import { grantSecretRead } from './grants';
import { acknowledgeWildcard } from './nag';

export const WEBHOOK_DELIVERY_ENTRY = join(import.meta.dirname, '../../lambdas/webhook-delivery/handler.ts');

export interface ChatChannelsProps {
  readonly context: NightshiftContext;
  /** The topics of each level, in config order: the level topic, then its rotation members' topics. */
  readonly levelTopics: readonly (readonly ITopic[])[];
  /** Where SNS puts messages it could not hand to the delivery function (the alerting delivery DLQ). */
  readonly deliveryDeadLetterQueue: IQueue;
}

/** Chatbot configuration names: unique in the account, letters, digits, - and _, at most 128. */
export function chatConfigurationName(project: string, level: string, kind: string, index: number): string {
  return `${project}-${level}-${kind}-${index + 1}`.slice(0, 128);
}

export class ChatChannels extends Construct {
  /** Chatbot channel configurations, by "<level>/<kind>-<n>". */
  readonly chatConfigurations: Record<string, Construct> = {};
  readonly chatbotRole?: Role;
  readonly guardrail?: ManagedPolicy;
  readonly webhookDelivery?: LambdaFn;
  readonly webhookRole?: Role;
  readonly webhookDeadLetterQueue?: Queue;
  readonly webhookAlarm?: Alarm;

  constructor(scope: Construct, id: string, props: ChatChannelsProps) {
    super(scope, id);
    const { context } = props;
    const { config, project } = context;
    const levels = config.alerts.levels;
    if (props.levelTopics.length !== levels.length) {
      throw new Error(
        `internal: ChatChannels got ${props.levelTopics.length} topic lists for ${levels.length} alerts.levels — one per level`,
      );
    }

    // ---- AWS Chatbot: Slack and Microsoft Teams ---------------------------------------------------
    if (levels.some((level) => level.chat.length > 0)) {
      const chatbotRole = new Role(this, 'ChatbotRole', {
        assumedBy: new ServicePrincipal('chatbot.amazonaws.com'),
        description: `AWS Chatbot channels of ${project}: notifications only, no permissions`,
      });
      const alarms = arnFor(this, 'cloudwatch', `alarm:${project}-*`);
      const guardrail = new ManagedPolicy(this, 'ChatbotGuardrail', {
        description: `Guardrail of the ${project} chat channels: at most read the project's alarms`,
        statements: [new PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: [alarms] })],
      });
      acknowledgeWildcard(
        guardrail,
        alarms,
        "A Chatbot guardrail is a ceiling, not a grant (the channel role has no permissions): it caps what anyone in the channel could do at reading this project's alarms.",
      );
      this.chatbotRole = chatbotRole;
      this.guardrail = guardrail;
      levels.forEach((level, i) => {
        const topics = props.levelTopics[i] ?? [];
        level.chat.forEach((channel, j) => {
          const name = chatConfigurationName(project, level.name, channel.kind, j);
          if (channel.kind === 'slack') {
            this.chatConfigurations[`${level.name}/slack-${j + 1}`] = new SlackChannelConfiguration(
              this,
              `Slack-${level.name}-${j}`,
              {
                slackChannelConfigurationName: name,
                slackWorkspaceId: channel.workspaceId,
                slackChannelId: channel.channelId,
                role: chatbotRole,
                guardrailPolicies: [guardrail],
                notificationTopics: [...topics],
              },
            );
          } else {
            this.chatConfigurations[`${level.name}/teams-${j + 1}`] =
              new CfnMicrosoftTeamsChannelConfiguration(this, `Teams-${level.name}-${j}`, {
                configurationName: name,
                teamId: channel.teamId,
                teamsTenantId: channel.tenantId,
                teamsChannelId: teamsChannelId(channel.channelId),
                iamRoleArn: chatbotRole.roleArn,
                guardrailPolicies: [guardrail.managedPolicyArn],
                snsTopicArns: topics.map((t) => t.topicArn),
              });
          }
        });
      });
    }

    // ---- HTTPS webhooks ---------------------------------------------------------------------------
    const webhookLevels = levels
      .map((level, i) => ({ level, topics: props.levelTopics[i] ?? [] }))
      .filter(({ level }) => level.webhooks.length > 0);
    if (webhookLevels.length === 0) return;

    const dlq = deadLetterQueue(this, 'WebhookDeadLetterQueue', {
      context,
      queueName: `${project}-webhook-delivery-dlq`,
      holds: 'the webhook delivery function (messages no webhook accepted)',
    });
    const settings: WebhookSettings = {
      levels: webhookLevels.map(({ level, topics }) => ({
        level: level.name,
        topics: topics.map((t) => t.topicArn),
        webhooks: level.webhooks.map((w) => ({ kind: w.kind, secret: w.secret })),
      })),
    };
    const fn = jobFunction(this, 'WebhookDelivery', {
      context,
      name: 'webhook-delivery',
      description: `Posts ${project} alerts to the levels' chat webhooks (Slack, Google Chat, Discord, Mattermost, JSON)`,
      entry: WEBHOOK_DELIVERY_ENTRY,
      // four attempts of 5 s with 1 + 2 + 4 s between them, and room for a Retry-After of up to 20 s
      timeout: Duration.seconds(60),
      memorySize: 256,
      deadLetterQueue: dlq,
      environment: webhookDeliveryEnvironment({
        settings: Stack.of(this).toJsonString(settings),
        deadLetterQueueUrl: dlq.queueUrl,
      }),
    });
    this.webhookDelivery = fn.function;
    this.webhookRole = fn.role;
    this.webhookDeadLetterQueue = dlq;

    const secrets = [...new Set(webhookLevels.flatMap(({ level }) => level.webhooks.map((w) => w.secret)))];
    secrets.forEach((ref, i) => {
      grantSecretRead(this, `WebhookSecret${i}`, fn.role, ref, config.ssmParameterKey);
    });

    const subscribed = new Set<ITopic>();
    webhookLevels.forEach(({ level, topics }) => {
      topics.forEach((topic, j) => {
        if (subscribed.has(topic)) return;
        subscribed.add(topic);
        new Subscription(this, `Webhooks-${level.name}-${j}`, {
          topic,
          protocol: SubscriptionProtocol.LAMBDA,
          endpoint: fn.function.functionArn,
          deadLetterQueue: props.deliveryDeadLetterQueue,
        });
        fn.function.addPermission(`InvokeBy-${level.name}-${j}`, {
          principal: new ServicePrincipal('sns.amazonaws.com'),
          sourceArn: topic.topicArn,
        });
      });
    });
    this.webhookAlarm = nightshiftAlarm(this, 'WebhookUndelivered', {
      context,
      name: 'alert-webhook-undelivered',
      metric: dlq.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      severity: 'high',
      target: 'webhook-delivery',
      summary:
        'a chat webhook did not accept an alert (see the webhook dead-letter queue for the reason and the message)',
    });
  }
}

/**
 * Chatbot wants a Teams channel id URL-encoded (19%3a…%40thread.tacv2), as it appears in the channel's
 * link; people also copy it decoded (19:…@thread.tacv2). Both give the encoded form.
 */
export function teamsChannelId(id: string): string {
  let decoded = id;
  try {
    decoded = decodeURIComponent(id);
  } catch {
    // not valid percent-encoding: encode it as written
  }
  return encodeURIComponent(decoded);
}
