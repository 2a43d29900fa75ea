/**
 * The test page through the router core with the real SNS notifier and format code: one labelled message
 * to one level, no escalation, nothing counted as an alert.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type RouterDeps,
  run,
  sfnEscalations,
  UnknownLevel,
} from '../../../lambdas/alert-router/alert-router';
import { InvalidAlarmEvent } from '../../../lambdas/alert-router/event';
import { snsNotifier } from '../../../lambdas/alert-router/notifier';
import { SMS_LIMITS, smsEncodingOf, smsLength } from '../../../lambdas/alert-router/sms';
import { isTestPageEvent, testPageEvent } from '../../../lambdas/alert-router/test-page';
import { MemoryLog } from '../../../lambdas/shared/log';
import { TOPICS, testSettings } from './support';

const sns = mockClient(SNSClient);
const sfn = mockClient(SFNClient);
const AT = new Date('2024-10-02T17:04:00Z');

function deps(): RouterDeps {
  const log = new MemoryLog();
  return {
    settings: testSettings(),
    notifier: snsNotifier(new SNSClient({})),
    escalations: sfnEscalations(
      new SFNClient({}),
      'arn:aws:states:eu-west-1:123456789012:stateMachine:shop-escalation',
      log,
    ),
    cloudwatch: new CloudWatchClient({}),
    logs: new CloudWatchLogsClient({}),
    log,
  };
}

beforeEach(() => {
  sns.reset();
  sfn.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

describe('test page', () => {
  it('goes to the one level asked for, labelled, through the SNS notifier, without escalation', async () => {
    const d = deps();
    const result = await run(d, { event: testPageEvent('lead', 'alice', AT), deliveryId: 'req-1' });

    expect(result).toMatchObject({ action: 'test-page', levels: ['lead'] });
    const calls = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(1);
    const publish = calls[0];
    expect(publish?.TopicArn).toBe(TOPICS[2]);
    expect(publish?.Subject).toBe('TEST PAGE - shop - level lead');
    expect(publish?.MessageStructure).toBe('json');
    expect(publish?.MessageAttributes?.['nightshift.sms']?.StringValue).toBe('yes');
    const message = JSON.parse(publish?.Message ?? '{}') as { default: string; email: string; sms: string };
    expect(message.email.split('\n')[0]).toBe('TEST PAGE — shop — level lead');
    expect(message.email).toContain(
      'Requested by alice at Wed 2 Oct, 18:04 BST with "nightshift page --test".',
    );
    expect(message.email).toContain('to its e-mail and SMS subscribers');
    expect(message.sms).toBe('TEST PAGE shop level lead: alerts reach you. Nothing is wrong.');
    expect(smsEncodingOf(message.sms)).toBe('GSM-7');
    expect(smsLength(message.sms, 'GSM-7')).toBeLessThanOrEqual(SMS_LIMITS['GSM-7']);
    expect(JSON.parse(message.default)).toMatchObject({
      type: 'test',
      project: 'shop',
      level: 'lead',
      requestedBy: 'alice',
    });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('refuses a level the settings do not have, naming the ones they do', async () => {
    const error = await run(deps(), { event: testPageEvent('ceo', 'alice', AT), deliveryId: 'x' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnknownLevel);
    expect((error as Error).message).toBe(
      'there is no alert level "ceo" — the levels are team, oncall, lead',
    );
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('quotes the requester on one printable line', async () => {
    await run(deps(), { event: testPageEvent('team', 'bob\n\u0007[CRIT] fake', AT), deliveryId: 'x' });
    const message = JSON.parse(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '{}') as {
      email: string;
    };
    expect(message.email).toContain('Requested by bob [CRIT] fake at');
  });

  it('is recognised only in its exact shape; anything else is still an invalid alarm event', async () => {
    expect(isTestPageEvent(testPageEvent('team', 'a', AT))).toBe(true);
    const forged = { ...testPageEvent('team', 'a', AT), source: 'aws.cloudwatch' };
    expect(isTestPageEvent(forged)).toBe(false);
    await expect(run(deps(), { event: forged, deliveryId: 'x' })).rejects.toBeInstanceOf(InvalidAlarmEvent);
    expect(isTestPageEvent({ ...testPageEvent('team', 'a', AT), time: 'yesterday' })).toBe(false);
  });
});
