/**
 * Telling the team about acknowledgements: a batch of the acks table's stream (as the event source
 * mapping delivers it) in, notices to every level the episode has paged out, through the SNS notifier.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RouterDeps } from '../../../lambdas/alert-router/alert-router';
import { snsNotifier } from '../../../lambdas/alert-router/notifier';
import { isAckStreamEvent, tellTeamAboutAcks } from '../../../lambdas/alert-router/team';
import { encodeAlarmDescription } from '../../../lambdas/shared/alarm-metadata';
import { MemoryLog } from '../../../lambdas/shared/log';
import { fixture, TOPICS, testSettings } from './support';

const sns = mockClient(SNSClient);
const cloudwatch = mockClient(CloudWatchClient);
const EPISODE = new Date('2026-12-03T03:00:00.000Z');

function deps(): RouterDeps {
  return {
    settings: testSettings(),
    notifier: snsNotifier(new SNSClient({})),
    cloudwatch: new CloudWatchClient({}),
    logs: new CloudWatchLogsClient({}),
    log: new MemoryLog(),
  };
}

function image(by: string, at: Date, note?: string): Record<string, AttributeValue> {
  return {
    alarm: { S: 'shop-api-down' },
    by: { S: by },
    at: { S: at.toISOString() },
    episode: { S: EPISODE.toISOString() },
    ...(note ? { note: { S: note } } : {}),
    expiresAt: { N: '1' },
  };
}

function record(
  eventName: 'INSERT' | 'MODIFY',
  next: Record<string, AttributeValue>,
  old?: Record<string, AttributeValue>,
) {
  return {
    eventName,
    eventSource: 'aws:dynamodb',
    dynamodb: { NewImage: next, ...(old ? { OldImage: old } : {}) },
  };
}

function published() {
  return sns.commandCalls(PublishCommand).map((c) => {
    const input = c.args[0].input;
    return { topic: input.TopicArn, subject: input.Subject, body: JSON.parse(input.Message ?? '{}') };
  });
}

beforeEach(() => {
  sns.reset();
  cloudwatch.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  cloudwatch.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: [
      {
        AlarmName: 'shop-api-down',
        AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:shop-api-down',
        AlarmDescription: encodeAlarmDescription('api health check failing', {
          severity: 'critical',
          target: 'api',
          project: 'shop',
        }),
        StateValue: 'ALARM',
        StateTransitionedTimestamp: EPISODE,
      },
    ],
  });
});

describe('acknowledgements told to the team', () => {
  it('a CLI ack 7 min in: the first level (the only one paged yet) hears who and the note', async () => {
    const at = new Date(EPISODE.getTime() + 7 * 60_000);
    const results = await tellTeamAboutAcks(deps(), {
      Records: [record('INSERT', image('alice', at, 'restarting the api, ETA 10 min'))],
    });
    expect(results.map((r) => r.action)).toEqual(['acknowledged']);
    expect(published()).toHaveLength(1);
    const [notice] = published();
    expect(notice?.topic).toBe(TOPICS[0]);
    expect(notice?.subject).toBe(
      '[ACK] [CRITICAL] shop - api health check failing - acknowledged by alice after 7 min',
    );
    expect(notice?.body.email).toContain('Note: restarting the api, ETA 10 min');
    expect(notice?.body.sms).toBe(
      'ACK shop/api: acknowledged by alice after 7 min. restarting the api, ETA 10 min',
    );
    expect(JSON.parse(notice?.body.default)).toMatchObject({ type: 'acknowledged', by: 'alice' });
  });

  it('a link ack 20 min in (critical escalates after 15 min): both levels paged so far hear it', async () => {
    const at = new Date(EPISODE.getTime() + 20 * 60_000);
    const old = image('bob', new Date(EPISODE.getTime() - 86_400_000));
    await tellTeamAboutAcks(deps(), {
      Records: [record('MODIFY', image('+4…23', at, 'ack link (oncall)'), old)],
    });
    expect(published().map((p) => p.topic)).toEqual([TOPICS[0], TOPICS[1]]);
    expect(published()[1]?.body.sms).toMatch(/^ACK shop\/api: acknowledged by \+4\.\.\.23 after 20 min/);
  });

  it('says nothing for a rewrite of the same ack, an ack of an earlier episode, or a recovered alarm', async () => {
    const at = new Date(EPISODE.getTime() + 5 * 60_000);
    await tellTeamAboutAcks(deps(), { Records: [record('MODIFY', image('alice', at), image('alice', at))] });
    await tellTeamAboutAcks(deps(), {
      Records: [record('INSERT', image('alice', new Date(EPISODE.getTime() - 60_000)))],
    });
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'shop-api-down', StateValue: 'OK', StateTransitionedTimestamp: at }],
    });
    const results = await tellTeamAboutAcks(deps(), { Records: [record('INSERT', image('alice', at))] });
    expect(results.map((r) => r.why)).toEqual(['acknowledgement of an episode that is over']);
    expect(published()).toEqual([]);
  });

  it('tells a stream batch from an alarm event', () => {
    expect(isAckStreamEvent({ Records: [record('INSERT', image('a', EPISODE))] })).toBe(true);
    expect(isAckStreamEvent(fixture('metric-alarm'))).toBe(false);
    expect(isAckStreamEvent({ Records: [] })).toBe(false);
  });
});
