/**
 * Where rendered messages go: SNS level topics in AWS (MessageStructure=json), the console in
 * `nightshift run`. A rotating level pages only the member on call at send time: e-mail through the
 * member's own topic, SMS straight to their number.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { reasonOf, redact } from '../shared/redact';
import { type RenderedMessage, renderForConsole, snsMessage } from './format';
import { onCallAt } from './rotation';
import type { LevelSettings, RotationMemberSettings } from './settings';

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

export class MemberPageFailed extends Error {
  constructor(level: string, member: RotationMemberSettings, channel: 'e-mail' | 'SMS', cause: unknown) {
    // SNS may quote the number it rejected: name the member instead.
    const reason = member.phone
      ? reasonOf(cause).split(member.phone).join(`<${member.name}'s number>`)
      : reasonOf(cause);
    const fix =
      channel === 'SMS'
        ? 'check the number in the rotation, the SMS sandbox and the account spend limit'
        : "check the member topic's policy and its KMS key policy allow the router role";
    super(
      `could not ${channel === 'SMS' ? 'text' : 'e-mail'} ${member.name}, on call for "${level}": ${reason} — ${fix}`,
      {
        cause,
      },
    );
    this.name = 'MemberPageFailed';
  }
}

/** Who a level pages at `at`: its topic, or the rotation member on call. */
export function onCallMember(level: LevelSettings, at: Date): RotationMemberSettings | undefined {
  return level.rotation ? onCallAt(level.rotation, level.rotation.timeZone, at).current : undefined;
}

/** The SNS parameters of an SMS sent straight to a phone (no topic, so no filter policy applies). */
export function smsInput(phone: string, message: RenderedMessage) {
  return {
    PhoneNumber: phone,
    Message: redact(message.sms),
    MessageAttributes: {
      // A page must not be dropped as marketing (quiet hours, opt-out lists of promotional senders).
      'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
    },
  };
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

export function snsNotifier(sns: Pick<SNSClient, 'send'>, now: () => Date = () => new Date()): Notifier {
  return {
    async notify(level, message) {
      const member = onCallMember(level, now());
      if (member) {
        // Both channels are tried before failing: one broken channel must not silence the other.
        const failures: Error[] = [];
        // Every message of a level reaches one of its topics, as in the escalation: the member's
        // own (e-mail), else the level topic — chat channels subscribe to both (docs/alerting.md).
        await sns
          .send(new PublishCommand(publishInput(member.topicArn ?? level.topicArn, message)))
          .catch((error: unknown) =>
            failures.push(
              member.topicArn
                ? new MemberPageFailed(level.name, member, 'e-mail', error)
                : new PublishFailed(level.name, error),
            ),
          );
        if (member.phone && message.toSms) {
          await sns
            .send(new PublishCommand(smsInput(member.phone, message)))
            .catch((error: unknown) => failures.push(new MemberPageFailed(level.name, member, 'SMS', error)));
        }
        if (failures[0]) throw failures[0];
        return;
      }
      try {
        await sns.send(new PublishCommand(publishInput(level.topicArn, message)));
      } catch (error) {
        throw new PublishFailed(level.name, error);
      }
    },
  };
}

/** Prints instead of publishing (local runs, previews). */
export function consoleNotifier(print: (text: string) => void, now: () => Date = () => new Date()): Notifier {
  return {
    async notify(level, message) {
      const member = onCallMember(level, now());
      print(
        redact(renderForConsole(message, member ? `${level.name}, on call: ${member.name}` : level.name)),
      );
    },
  };
}
