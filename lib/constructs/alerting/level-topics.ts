/**
 * Who gets told: the level topics (created by the DataStack) and one e-mail topic per rotation member,
 * their e-mail/SMS subscriptions with a delivery dead-letter queue, chat channels and webhooks, the
 * topic and key policies that let only CloudWatch, EventBridge and Nightshift's own roles publish, and
 * the grants for those roles. Resources are created in the caller's scope (logical ids of `Alerting`).
 */
import { Stack } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, PolicyStatement, type Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  type ITopic,
  Subscription,
  SubscriptionFilter,
  SubscriptionProtocol,
  Topic,
} from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { memberTopicName } from '../../../lambdas/alert-router/settings';
import { ChatChannels } from '../chat-channels';
import type { NightshiftContext } from '../context';
import { deadLetterQueue } from '../dead-letter-queue';
import { acknowledgeWildcardAction } from '../nag';

/** Role tag the level topics' policies require of IAM publishers. */
export const PUBLISHER_TAG = 'nightshift:publisher';

/** E-mail topics of rotation members, by "<level>/<member>" (SMS goes straight to the number). */
export type MemberTopics = Record<string, Topic>;

export function memberTopicKey(level: string, member: string): string {
  return `${level}/${member}`;
}

/** One e-mail topic per rotation member with an address, so only the member on call is e-mailed. */
export function memberTopics(scope: Construct, context: NightshiftContext): MemberTopics {
  const topics: MemberTopics = {};
  for (const level of context.config.alerts.levels) {
    for (const member of level.rotation?.members ?? []) {
      if (!member.email) continue;
      topics[memberTopicKey(level.name, member.name)] = new Topic(
        scope,
        `Rota-${level.name}-${member.name}`,
        {
          topicName: memberTopicName(context.project, level.name, member.name),
          displayName: `${context.project} alerts (${level.name}, ${member.name} on call)`,
          masterKey: context.key,
          enforceSSL: true,
        },
      );
    }
  }
  return topics;
}

/** The topics of one level: its level topic, then its members' e-mail topics. */
export function topicsOfLevel(context: NightshiftContext, members: MemberTopics, index: number): ITopic[] {
  const level = context.config.alerts.levels[index]!;
  return [
    context.levelTopics[index]!,
    ...(level.rotation?.members ?? [])
      .map((m) => members[memberTopicKey(level.name, m.name)])
      .filter((t): t is Topic => t !== undefined),
  ];
}

export interface Publishers {
  readonly context: NightshiftContext;
  readonly memberTopics: MemberTopics;
  /** Roles that publish to every topic of every level (the router and the escalation). */
  readonly roles: readonly Role[];
}

/** Lets the router and escalation roles publish to every topic and text rotation members directly. */
export function grantPublish(props: Publishers): void {
  const { context, roles } = props;
  for (const topic of [...context.levelTopics, ...Object.values(props.memberTopics)]) {
    for (const role of roles) topic.grantPublish(role);
  }
  if (context.config.alerts.levels.some((level) => level.rotation?.members.some((m) => m.sms))) {
    // Texting a number directly has no resource ARN; NotResource on every topic ARN keeps this
    // statement from reaching any topic (topics are granted one by one above).
    for (const role of roles) {
      role.addToPrincipalPolicy(
        new PolicyStatement({
          sid: 'TextRotationMembers',
          actions: ['sns:Publish'],
          notResources: ['arn:aws:sns:*:*:*'],
        }),
      );
    }
  }
  if (context.key) {
    for (const role of roles) {
      acknowledgeWildcardAction(
        role,
        'kms:GenerateDataKey*',
        'SNS server-side encryption with the project key needs a data key per publish (granted by Topic.grantPublish).',
      );
    }
  }
}

export interface LevelDeliveryProps {
  readonly context: NightshiftContext;
  readonly memberTopics: MemberTopics;
  /** The alerting dead-letter queue (alertDeadLetterQueue): also the router's. */
  readonly deadLetterQueue: Queue;
}

export interface LevelDelivery {
  /** Notifications SNS could not deliver to an address or number. */
  readonly deliveryDeadLetterQueue: Queue;
  /** Slack/Teams channels (AWS Chatbot) and HTTPS webhooks of the levels. */
  readonly chat: ChatChannels;
}

/**
 * The one dead-letter queue of the alerting path: alarm events the router's rule could not deliver,
 * the router's failed asynchronous runs and acknowledgement records, and notifications SNS could not
 * deliver to an address or number. One queue, one alarm (alert-undelivered, paging the first level
 * straight from CloudWatch); SSE-SQS, since SNS writes with no grant on the project key.
 */
export function alertDeadLetterQueue(scope: Construct, context: NightshiftContext): Queue {
  return deadLetterQueue(scope, 'DeliveryDeadLetterQueue', {
    context,
    queueName: `${context.project}-alert-delivery-dlq`,
    holds: 'the alert router, its rule and SNS deliveries to e-mail addresses and phone numbers',
    encryption: 'sqs-managed',
  });
}

/** Subscriptions, chat channels, and the topic and key policies. */
export function levelDelivery(scope: Construct, props: LevelDeliveryProps): LevelDelivery {
  const { context } = props;
  // Messages SNS could not deliver (bounced address, unreachable number) land here and page.
  const deliveryDeadLetterQueue = props.deadLetterQueue;
  subscribeLevels(scope, context, deliveryDeadLetterQueue);
  subscribeMembers(scope, { ...props, deliveryDeadLetterQueue });
  // AWS Chatbot (Slack, Teams) and HTTPS webhooks, on each level's topics.
  const chat = new ChatChannels(scope, 'Chat', {
    context,
    levelTopics: context.config.alerts.levels.map((_, i) => topicsOfLevel(context, props.memberTopics, i)),
    deliveryDeadLetterQueue,
  });
  // Unencrypted topics (encryption: aws-managed) need no key statement.
  const key = context.key;
  key?.addToResourcePolicy(
    new PolicyStatement({
      sid: 'AlarmServicesPublishToEncryptedTopics',
      principals: [
        new ServicePrincipal('cloudwatch.amazonaws.com'),
        new ServicePrincipal('events.amazonaws.com'),
      ],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(key).account } },
    }),
  );
  return { deliveryDeadLetterQueue, chat };
}

function subscribeLevels(scope: Construct, context: NightshiftContext, deadLetterQueue: Queue): void {
  context.config.alerts.levels.forEach((level, i) => {
    const topic = context.levelTopics[i]!;
    level.email.forEach((address, j) => {
      new Subscription(scope, `Level${i}Email${j}`, {
        topic,
        protocol: SubscriptionProtocol.EMAIL,
        endpoint: address,
        deadLetterQueue,
      });
    });
    level.sms.forEach((number, j) => {
      new Subscription(scope, `Level${i}Sms${j}`, {
        topic,
        protocol: SubscriptionProtocol.SMS,
        endpoint: number,
        deadLetterQueue,
        // "no data" notices are e-mail only.
        filterPolicy: { 'nightshift.sms': SubscriptionFilter.stringFilter({ allowlist: ['yes'] }) },
      });
    });
    secureTopic(topic, context.project);
  });
}

function subscribeMembers(
  scope: Construct,
  props: LevelDeliveryProps & { readonly deliveryDeadLetterQueue: Queue },
): void {
  for (const level of props.context.config.alerts.levels) {
    for (const member of level.rotation?.members ?? []) {
      const topic = props.memberTopics[memberTopicKey(level.name, member.name)];
      if (!topic || !member.email) continue;
      new Subscription(scope, `Rota-${level.name}-${member.name}-Email`, {
        topic,
        protocol: SubscriptionProtocol.EMAIL,
        endpoint: member.email,
        deadLetterQueue: props.deliveryDeadLetterQueue,
      });
      secureTopic(topic, props.context.project);
    }
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
