/**
 * Rotating levels on the publish path: the router pages only the member on call at send time (e-mail
 * through the member's topic, SMS straight to the number), escalation steps go to whoever is on call
 * when each step is due, and a failed channel neither silences the other nor leaks the number.
 * SNS has no local server: aws-sdk-client-mock stands in for it.
 */
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { run, sfnEscalations } from '../../../lambdas/alert-router/alert-router';
import {
  type EscalationInput,
  escalationDefinition,
  STATE,
} from '../../../lambdas/alert-router/escalation-definition';
import type { RenderedMessage } from '../../../lambdas/alert-router/format';
import { consoleNotifier, snsNotifier } from '../../../lambdas/alert-router/notifier';
import { MemoryLog } from '../../../lambdas/shared/log';
import { runEscalation } from './escalation-harness';
import { fixture, TOPICS, testSettings } from './support';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:shop-escalation';
const sns = mockClient(SNSClient);
const sfn = mockClient(SFNClient);
const cloudwatch = mockClient(CloudWatchClient);

// Daily hand-off at 18:10 London time; on 2 Oct 2024 (BST) that is 17:10Z: ana until then, ben after.
const rotation = {
  members: [
    { name: 'ana', email: 'ana@example.com', sms: '+447700900111' },
    { name: 'ben', email: 'ben@example.com' },
    { name: 'cem', sms: '+447700900333' },
  ],
  handoff: { time: '18:10' },
  every: '1d',
  start: '2024-10-01',
};
const settings = testSettings({
  levels: [
    { name: 'team', rotation },
    { name: 'oncall', rotation },
    { name: 'lead', email: ['lead@example.com'], sms: ['+447700900456'] },
  ],
});
const topic = (level: string, member: string) =>
  `arn:aws:sns:eu-west-1:123456789012:shop-rota-${level}-${member}`;
const message: RenderedMessage = {
  title: 'api down',
  subject: '[HIGH] shop - api down',
  email: 'api down since 17:04',
  sms: 'HIGH shop api down',
  json: { alarmName: 'shop-api-down' },
  toSms: true,
};
const published = () => sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
const level = (name: string) => settings.levels.find((l) => l.name === name)!;

beforeEach(() => {
  sns.reset();
  sfn.reset();
  cloudwatch.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  sfn.on(StartExecutionCommand).resolves({ executionArn: `${STATE_MACHINE}:x`, startDate: new Date() });
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
  cloudwatch.on(ListTagsForResourceCommand).resolves({ Tags: [] });
  cloudwatch.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
});

describe('rotating level, publish path', () => {
  it('e-mails the member on call through their topic and texts their number', async () => {
    await snsNotifier(new SNSClient({}), () => new Date('2024-10-02T17:09:59Z')).notify(
      level('team'),
      message,
    );
    expect(published()).toEqual([
      expect.objectContaining({ TopicArn: topic('team', 'ana'), MessageStructure: 'json' }),
      {
        PhoneNumber: '+447700900111',
        Message: 'HIGH shop api down',
        MessageAttributes: { 'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' } },
      },
    ]);
  });

  it('pages the next member from the hand-off instant on, with only the channels they have', async () => {
    await snsNotifier(new SNSClient({}), () => new Date('2024-10-02T17:10:00Z')).notify(
      level('team'),
      message,
    );
    expect(published()).toEqual([expect.objectContaining({ TopicArn: topic('team', 'ben') })]);
    sns.resetHistory();
    await snsNotifier(new SNSClient({}), () => new Date('2024-10-03T17:10:00Z')).notify(
      level('team'),
      message,
    );
    // an SMS-only member: the message still reaches the level topic (its chat channels), as the
    // escalation's notice does
    expect(published()).toEqual([
      expect.objectContaining({ TopicArn: level('team').topicArn }),
      expect.objectContaining({ PhoneNumber: '+447700900333' }),
    ]);
  });

  it('sends no SMS for e-mail-only notices (no data)', async () => {
    await snsNotifier(new SNSClient({}), () => new Date('2024-10-02T12:00:00Z')).notify(level('team'), {
      ...message,
      toSms: false,
    });
    expect(published()).toEqual([expect.objectContaining({ TopicArn: topic('team', 'ana') })]);
  });

  it('still publishes to the topic of a level without rotation', async () => {
    await snsNotifier(new SNSClient({})).notify(level('lead'), message);
    expect(published()).toEqual([expect.objectContaining({ TopicArn: TOPICS[2] })]);
  });

  it('e-mails even when the SMS fails, and names the member, not the number, in the error', async () => {
    sns
      .on(PublishCommand, { PhoneNumber: '+447700900111' })
      .rejects(new Error('Invalid parameter: PhoneNumber Reason: +447700900111 is opted out'));
    const sent = snsNotifier(new SNSClient({}), () => new Date('2024-10-02T12:00:00Z')).notify(
      level('team'),
      message,
    );
    await expect(sent).rejects.toThrow(
      /could not text ana, on call for "team": .*<ana's number> is opted out — check/,
    );
    await sent.catch((error: Error) => expect(error.message).not.toContain('+447700900111'));
    expect(published().map((p) => p.TopicArn ?? p.PhoneNumber)).toEqual([
      topic('team', 'ana'),
      '+447700900111',
    ]);
  });

  it('names the member on call in console previews', async () => {
    const printed: string[] = [];
    await consoleNotifier(
      (t) => printed.push(t),
      () => new Date('2024-10-02T18:00:00Z'),
    ).notify(level('team'), message);
    expect(printed.join('\n')).toContain('team, on call: ben');
  });
});

describe('rotating level, router and escalation', () => {
  it('pages the member on call at page time and plans each step for whoever is on call when it is due', async () => {
    // The fixture alarm is critical (escalate after 15 min), changed at 17:04:40Z: team now (ana),
    // oncall at 17:19:40Z, after the 17:10Z hand-off (ben).
    const log = new MemoryLog();
    await run(
      {
        settings,
        notifier: snsNotifier(new SNSClient({}), () => new Date('2024-10-02T17:04:41Z')),
        escalations: sfnEscalations(new SFNClient({}), STATE_MACHINE, log),
        cloudwatch: new CloudWatchClient({}),
        logs: new CloudWatchLogsClient({}),
        log,
      },
      { event: fixture('metric-alarm'), deliveryId: 'req-1' },
    );
    expect(published().map((p) => p.TopicArn ?? p.PhoneNumber)).toEqual([
      topic('team', 'ana'),
      '+447700900111',
    ]);
    const input = JSON.parse(
      sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}',
    ) as EscalationInput;
    expect(input.steps.map((s) => s.topicArn)).toEqual([
      topic('team', 'ana'),
      topic('oncall', 'ben'),
      TOPICS[2],
    ]);
    expect(input.steps.map((s) => s.phone)).toEqual(['+447700900111', undefined, undefined]);
    expect(input.reminder.topicArn).toBe(TOPICS[2]);
  });

  it('the escalation state machine texts the member of a rotating level on call when the step is due', async () => {
    // The 2 Oct 17:04Z alarm is held by maintenance until 3 Oct 17:30Z; oncall's step is due at
    // 17:45Z, after that day's 17:10Z hand-off to cem (SMS only). Runs the real definition locally.
    const log = new MemoryLog();
    await run(
      {
        settings: testSettings({
          levels: [
            { name: 'team', email: ['dev@example.com'] },
            { name: 'oncall', rotation },
            { name: 'lead', email: ['lead@example.com'] },
          ],
          maintenance: [{ name: 'upgrade', start: '2024-10-02T17:00:00Z', end: '2024-10-03T17:30:00Z' }],
        }),
        notifier: snsNotifier(new SNSClient({}), () => new Date('2024-10-02T17:04:41Z')),
        escalations: sfnEscalations(new SFNClient({}), STATE_MACHINE, log),
        cloudwatch: new CloudWatchClient({}),
        logs: new CloudWatchLogsClient({}),
        log,
      },
      { event: fixture('metric-alarm'), deliveryId: 'req-2' },
    );
    expect(published()).toEqual([]); // held: the execution pages when the window ends
    const input = JSON.parse(
      sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}',
    ) as EscalationInput;
    expect(input.steps[1]).toMatchObject({ level: 'oncall', topicArn: TOPICS[1], phone: '+447700900333' });
    const result = await runEscalation(escalationDefinition('shop-acks'), input, {
      states: ['ALARM'],
      maxPublishes: 4,
    });
    expect(result.publishes.map((p) => p.PhoneNumber ?? p.TopicArn)).toEqual([
      TOPICS[0],
      TOPICS[1],
      '+447700900333',
      TOPICS[2],
    ]);
    expect(result.path).toContain(STATE.textStep);
  });
});
