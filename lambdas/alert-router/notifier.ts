/**
 * Where rendered messages go: SNS level topics in AWS (MessageStructure=json), the console in
 * `nightshift run`.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { reasonOf, redact } from '../shared/redact';
import { type RenderedMessage, renderForConsole, snsMessage } from './format';
import type { LevelSettings } from './settings';

export interface Notifier {
  notify(level: LevelSettings, message: RenderedMessage): Promise<void>;
}

export class PublishFailed extends Error {
  constructor(level: string, cause: unknown) {
    super(
      `could not publish to the "${level}" level topic: ${reasonOf(cause)} — check the topic policy and its KMS key policy allow the router role`,
      { cause },
    );
    this.name = 'PublishFailed';
  }
}

/**
 * The SNS parameters for one message (also used to preformat the state machine's notices). Subject
 * and every protocol's body are redacted here, the one place messages leave for SNS.
 */
export function publishInput(topicArn: string, message: RenderedMessage) {
  return {
    TopicArn: topicArn,
    Subject: redact(message.subject),
    Message: snsMessage(message),
    MessageStructure: 'json',
    MessageAttributes: {
      'nightshift.sms': { DataType: 'String', StringValue: message.toSms ? 'yes' : 'no' },
    },
  };
}

export function snsNotifier(sns: Pick<SNSClient, 'send'>): Notifier {
  return {
    async notify(level, message) {
      try {
        await sns.send(new PublishCommand(publishInput(level.topicArn, message)));
      } catch (error) {
        throw new PublishFailed(level.name, error);
      }
    },
  };
}

/** Prints instead of publishing (local runs, previews). */
export function consoleNotifier(print: (text: string) => void): Notifier {
  return {
    async notify(level, message) {
      print(redact(renderForConsole(message, level.name)));
    },
  };
}
