import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  ExecutionAlreadyExists,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type RouterDeps, run, sfnEscalations } from '../../../lambdas/alert-router/alert-router';
import { type EscalationInput, executionName } from '../../../lambdas/alert-router/escalation-definition';
import { InvalidAlarmEvent } from '../../../lambdas/alert-router/event';
import { PublishFailed, snsNotifier } from '../../../lambdas/alert-router/notifier';
import type { RouterSettings } from '../../../lambdas/alert-router/settings';
import { SMS_LIMITS, smsEncodingOf, smsLength } from '../../../lambdas/alert-router/sms';
import { encodeAlarmDescription } from '../../../lambdas/shared/alarm-metadata';
import { MemoryLog } from '../../../lambdas/shared/log';
import { fixture, TOPICS, testSettings, variant } from './support';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:shop-escalation';
const runningItem = { stateMachineArn: STATE_MACHINE, status: 'RUNNING' as const, startDate: new Date() };
const sns = mockClient(SNSClient);
const cloudwatch = mockClient(CloudWatchClient);
const logs = mockClient(CloudWatchLogsClient);
const sfn = mockClient(SFNClient);

function deps(settings: RouterSettings = testSettings()): RouterDeps & { log: MemoryLog } {
  const log = new MemoryLog();
  return {
    settings,
    notifier: snsNotifier(new SNSClient({})),
    escalations: sfnEscalations(new SFNClient({}), STATE_MACHINE, log),
    cloudwatch: new CloudWatchClient({}),
    logs: new CloudWatchLogsClient({}),
    log,
  };
}

function published() {
  return sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
}

function started(): { name: string; input: EscalationInput }[] {
  return sfn.commandCalls(StartExecutionCommand).map((c) => ({
    name: c.args[0].input.name ?? '',
    input: JSON.parse(c.args[0].input.input ?? '{}') as EscalationInput,
  }));
}

function alarmWithSeverity(severity: string) {
  return variant('metric-alarm', {
    description: encodeAlarmDescription('api health check failing', {
      severity: severity as 'critical',
      target: 'api',
      project: 'shop',
    }),
  });
}

beforeEach(() => {
  sns.reset();
  cloudwatch.reset();
  logs.reset();
  sfn.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  sfn.on(StartExecutionCommand).resolves({ executionArn: `${STATE_MACHINE}:x`, startDate: new Date() });
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
  cloudwatch.on(ListTagsForResourceCommand).resolves({ Tags: [] });
  cloudwatch.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
  logs.on(FilterLogEventsCommand).resolves({ events: [] });
});

describe('first notification', () => {
  it.each([
    ['critical', 0, 900, 1800],
    ['high', 0, 1800, 3600],
    ['medium', 0, 7200, 14400],
    ['low', 2, 43200, 86400],
  ])(
    '%s: publishes once to its first level and starts its escalation',
    async (severity, level, escalate, repeat) => {
      const result = await run(deps(), { event: alarmWithSeverity(severity), deliveryId: 'req-1' });

      expect(result.action).toBe('notified');
      expect(published()).toHaveLength(1);
      const publish = published()[0]!;
      expect(publish.TopicArn).toBe(TOPICS[level]);
      expect(publish.MessageStructure).toBe('json');
      expect(publish.Subject).toBe(`[${severity.toUpperCase()}] shop - api health check failing`);
      expect(publish.MessageAttributes?.['nightshift.sms']?.StringValue).toBe('yes');
      const body = JSON.parse(publish.Message ?? '{}') as Record<string, string>;
      expect(smsEncodingOf(body.sms ?? '')).toBe('GSM-7');
      expect(smsLength(body.sms ?? '', 'GSM-7')).toBeLessThanOrEqual(SMS_LIMITS['GSM-7']);
      expect(JSON.parse(body.default ?? '{}')).toMatchObject({ severity, alarmName: 'shop-api-down' });

      const [execution] = started();
      expect(started()).toHaveLength(1);
      expect(execution?.name).toMatch(/^shop-api-down-[0-9a-f]{8}-20241002T170440989$/);
      expect(execution?.input).toMatchObject({
        alarm: { name: 'shop-api-down', type: 'MetricAlarm', episode: '2024-10-02T17:04:40.989Z' },
        escalateAfterSeconds: escalate,
        repeatEverySeconds: repeat,
        pos: { next: 1, count: 3 - level },
        deliveryId: 'req-1',
      });
      expect(execution?.input.steps.map((s) => s.topicArn)).toEqual(TOPICS.slice(level));
      expect(execution?.input.reminder.topicArn).toBe(TOPICS[2]);
    },
  );

  it('preformats each escalation notice for its level', async () => {
    await run(deps(), { event: fixture('metric-alarm'), deliveryId: 'req-1' });
    const { steps, reminder } = started()[0]!.input;
    expect(steps[1]?.subject).toBe(
      '[CRITICAL] shop - api health check failing - escalated to oncall after 15 min',
    );
    expect(steps[2]?.subject).toContain('escalated to lead after 30 min');
    expect(reminder.subject).toContain('still failing (reminder every 30 min)');
    const sms = (JSON.parse(steps[1]!.message) as { sms: string }).sms;
    expect(smsEncodingOf(sms)).toBe('GSM-7');
    expect(smsLength(sms, 'GSM-7')).toBeLessThanOrEqual(SMS_LIMITS['GSM-7']);
  });
});

describe('duplicate events', () => {
  it('a re-delivered event starts no second execution and pages nobody twice', async () => {
    const d = deps();
    await run(d, { event: fixture('metric-alarm'), deliveryId: 'req-1' });
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));

    const second = await run(d, { event: fixture('metric-alarm'), deliveryId: 'req-2' });

    expect(second.action).toBe('duplicate');
    expect(published()).toHaveLength(1);
    const names = started().map((s) => s.name);
    expect(names[0]).toBe(names[1]); // same episode → same execution name
    // counted in the log line, not as a metric (nothing watches it)
    expect(d.log.records.filter((r) => r.message.startsWith('duplicate alarm event'))).toHaveLength(1);
  });

  it('a failed publish throws so Lambda retries, and the retry (same request id) still pages', async () => {
    const d = deps();
    sns.on(PublishCommand).rejectsOnce(new Error('KMS AccessDenied')).resolves({ MessageId: 'm-2' });
    await expect(run(d, { event: fixture('metric-alarm'), deliveryId: 'req-1' })).rejects.toBeInstanceOf(
      PublishFailed,
    );
    // Step Functions accepts a StartExecution with the same name AND input as idempotent.
    const retry = await run(d, { event: fixture('metric-alarm'), deliveryId: 'req-1' });
    expect(retry.action).toBe('notified');
    expect(started()[0]?.input).toEqual(started()[1]?.input);
  });

  it('ALARM → ALARM (a reason update) is not a new episode', async () => {
    const event = fixture('metric-alarm');
    event.detail.previousState.value = 'ALARM';
    const result = await run(deps(), { event, deliveryId: 'req-1' });
    expect(result.action).toBe('ignored');
    expect(published()).toHaveLength(0);
    expect(started()).toHaveLength(0);
  });
});

describe('maintenance windows', () => {
  const window = { name: 'db upgrade', start: '2024-10-02T17:00:00Z', end: '2024-10-02T18:00:00Z' };

  it('hold the notification and make the escalation page after the window if still in ALARM', async () => {
    const d = deps(testSettings({ maintenance: [window] }));
    const result = await run(d, { event: fixture('metric-alarm'), deliveryId: 'req-1' });

    expect(result.action).toBe('held');
    expect(published()).toHaveLength(0);
    const { input } = started()[0]!;
    expect(input.holdUntil).toBe('2024-10-02T18:00:00.000Z');
    expect(input.pos.next).toBe(0); // the first level is paged by the state machine after the window
    expect(JSON.parse(input.steps[0]!.message).email).toContain('maintenance window "db upgrade"');
    expect(d.log.records.filter((r) => r.message === 'notification held by maintenance window')).toHaveLength(
      1,
    );
  });

  it('recurring windows (cron + duration in the config time zone) and per-target windows', async () => {
    // 17:04 UTC = 18:04 London; window every day 18:00-19:00 London
    const recurring = { name: 'nightly', cron: 'cron(0 18 * * ? *)', duration: '1h', targets: ['api'] };
    const held = await run(deps(testSettings({ maintenance: [recurring] })), {
      event: fixture('metric-alarm'),
      deliveryId: 'a',
    });
    expect(held.action).toBe('held');

    const otherTarget = { ...recurring, targets: ['db'] };
    const notHeld = await run(deps(testSettings({ maintenance: [otherTarget] })), {
      event: fixture('metric-alarm'),
      deliveryId: 'b',
    });
    expect(notHeld.action).toBe('notified');

    const later = { ...recurring, cron: 'cron(30 18 * * ? *)' };
    const outside = await run(deps(testSettings({ maintenance: [later] })), {
      event: fixture('metric-alarm'),
      deliveryId: 'c',
    });
    expect(outside.action).toBe('notified');
  });

  it('a recovery inside the window that held the alarm is not sent', async () => {
    const d = deps(testSettings({ maintenance: [{ ...window, end: '2024-10-02T18:00:00Z' }] }));
    const result = await run(d, { event: fixture('metric-ok'), deliveryId: 'req-1' });
    expect(result.action).toBe('suppressed');
    expect(published()).toHaveLength(0);
  });
});

describe('recovery', () => {
  it('says RESOLVED after the episode length from alarm history and tells every level reached', async () => {
    cloudwatch.on(DescribeAlarmHistoryCommand).resolves({
      AlarmHistoryItems: [
        {
          Timestamp: new Date('2024-10-02T17:21:40.990Z'),
          HistoryData: JSON.stringify({
            oldState: { stateValue: 'ALARM' },
            newState: { stateValue: 'ALARM' },
          }),
        },
        {
          Timestamp: new Date('2024-10-02T17:04:40.989Z'),
          HistoryData: JSON.stringify({ oldState: { stateValue: 'OK' }, newState: { stateValue: 'ALARM' } }),
        },
      ],
    });
    // the running execution of this alarm, and one of an alarm whose name starts the same
    const running = executionName('shop-api-down', new Date('2024-10-02T17:04:40.989Z'));
    const longer = executionName('shop-api-down-latency', new Date('2024-10-02T17:04:40.989Z'));
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        { ...runningItem, name: running, executionArn: `arn:exec:${running}` },
        { ...runningItem, name: longer, executionArn: `arn:exec:${longer}` },
      ],
    });
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });

    const result = await run(deps(), { event: fixture('metric-ok'), deliveryId: 'req-9' });

    expect(result.action).toBe('resolved');
    expect(result.why).toBe('[RESOLVED] shop · api health check failing — RESOLVED after 23 min');
    // 23 min of a critical alarm (escalateAfter 15m): team and oncall were paged, lead was not.
    expect(published().map((p) => p.TopicArn)).toEqual([TOPICS[0], TOPICS[1]]);
    expect(published()[0]?.Subject).toBe(
      '[RESOLVED] shop - api health check failing - RESOLVED after 23 min',
    );
    const stops = sfn.commandCalls(StopExecutionCommand).map((c) => c.args[0].input.executionArn);
    expect(stops).toEqual([`arn:exec:${running}`]); // not the other alarm that shares the name prefix
    const history = cloudwatch.commandCalls(DescribeAlarmHistoryCommand)[0]?.args[0].input;
    expect(history).toMatchObject({ AlarmName: 'shop-api-down', HistoryItemType: 'StateUpdate' });
  });

  it('falls back to previousState.timestamp when history is unavailable', async () => {
    cloudwatch.on(DescribeAlarmHistoryCommand).rejects(new Error('AccessDenied'));
    const result = await run(deps(), { event: fixture('metric-ok'), deliveryId: 'req-9' });
    expect(result.why).toContain('RESOLVED after 6 min');
  });

  it('INSUFFICIENT_DATA → OK is not a recovery', async () => {
    const event = fixture('metric-ok');
    event.detail.previousState.value = 'INSUFFICIENT_DATA';
    expect((await run(deps(), { event, deliveryId: 'x' })).action).toBe('ignored');
    expect(published()).toHaveLength(0);
  });
});

describe('other states and alarm kinds', () => {
  it('INSUFFICIENT_DATA goes to the first level by e-mail only', async () => {
    const result = await run(deps(), { event: fixture('insufficient-data'), deliveryId: 'x' });
    expect(result.action).toBe('no-data');
    const [publish] = published();
    expect(publish?.TopicArn).toBe(TOPICS[0]);
    expect(publish?.MessageAttributes?.['nightshift.sms']?.StringValue).toBe('no');
    expect(publish?.Subject).toBe('[HIGH] shop - db connections above 80% of max_connections - no data');
  });

  it('composite alarm: DescribeAlarms type CompositeAlarm in the escalation', async () => {
    cloudwatch
      .on(ListTagsForResourceCommand)
      .resolves({ Tags: [{ Key: 'nightshift:severity', Value: 'critical' }] });
    const result = await run(deps(), { event: fixture('composite-alarm'), deliveryId: 'x' });
    expect(result).toMatchObject({ action: 'notified', severity: 'critical' });
    expect(started()[0]?.input.alarm.type).toBe('CompositeAlarm');
    expect(JSON.parse(published()[0]?.Message ?? '{}').email).toContain('Triggered by: checkout-5xx');
  });

  it('metric-math alarm: expression and value in the message', async () => {
    await run(deps(), { event: fixture('metric-math-alarm'), deliveryId: 'x' });
    const body = JSON.parse(published()[0]?.Message ?? '{}') as { email: string; sms: string };
    expect(body.email).toContain('100 * errors / requests');
    expect(body.sms).toBe('HIGH shop/alb-errors ALARM shop ALB 5xx rate above 5% of requests (12.5 vs >5)');
  });

  it('log-pattern alarm quotes a redacted matching line fetched at alarm time', async () => {
    logs.on(FilterLogEventsCommand).resolves({
      events: [
        { message: 'older match' },
        { message: 'WARN authentication failed for postgres://app:s3cretPass@db:5432/app token=abc123' },
      ],
    });
    await run(deps(), { event: fixture('log-pattern-alarm'), deliveryId: 'x' });
    const call = logs.commandCalls(FilterLogEventsCommand)[0]?.args[0].input;
    expect(call).toMatchObject({ logGroupName: '/ecs/shop-api', filterPattern: '"authentication failed"' });
    expect(call?.endTime).toBeGreaterThan(Date.parse('2024-10-02T09:15:05.402Z'));
    const email = (JSON.parse(published()[0]?.Message ?? '{}') as { email: string }).email;
    expect(email).toContain('WARN authentication failed for postgres://app:***@db:5432/app token=***');
    expect(email).not.toContain('s3cretPass');
  });

  it('rejects events that are not alarm state changes', async () => {
    await expect(
      run(deps(), { event: { 'detail-type': 'Scheduled Event' }, deliveryId: 'x' }),
    ).rejects.toBeInstanceOf(InvalidAlarmEvent);
  });
});

describe('routing user alarms', () => {
  const userAlarm = () =>
    variant('metric-alarm', { alarmName: 'RDS-CPU-High', description: 'CPU of the main DB' });

  it('uses the severity tag of an opted-in alarm', async () => {
    cloudwatch
      .on(ListTagsForResourceCommand)
      .resolves({ Tags: [{ Key: 'nightshift:severity', Value: 'low' }] });
    const result = await run(deps(), { event: userAlarm(), deliveryId: 'x' });
    expect(result).toMatchObject({ action: 'notified', severity: 'low', levels: ['lead'] });
    expect(published()[0]?.Subject).toBe('[LOW] shop - CPU of the main DB');
  });

  it('ignores alarms without the tag or name prefix, and other projects’ alarms', async () => {
    expect((await run(deps(), { event: userAlarm(), deliveryId: 'x' })).action).toBe('ignored');
    cloudwatch.on(ListTagsForResourceCommand).resolves({
      Tags: [
        { Key: 'nightshift:severity', Value: 'high' },
        { Key: 'nightshift:project', Value: 'billing' },
      ],
    });
    expect((await run(deps(), { event: userAlarm(), deliveryId: 'y' })).action).toBe('ignored');
    const foreign = variant('metric-alarm', {
      description: encodeAlarmDescription('x', { severity: 'high', project: 'billing' }),
    });
    expect((await run(deps(), { event: foreign, deliveryId: 'z' })).action).toBe('ignored');
    expect(published()).toHaveLength(0);
  });

  it('routes by name prefix with routeAlarms.severity, or a non-severity tag value', async () => {
    const settings = testSettings({ routeAlarms: { namePrefix: 'RDS-', severity: 'medium' } });
    const byPrefix = await run(deps(settings), { event: userAlarm(), deliveryId: 'x' });
    expect(byPrefix.severity).toBe('medium');
    cloudwatch
      .on(ListTagsForResourceCommand)
      .resolves({ Tags: [{ Key: 'nightshift:severity', Value: 'yes' }] });
    const byTag = await run(deps(), { event: userAlarm(), deliveryId: 'y' });
    expect(byTag.severity).toBe('high');
  });
});

describe("the jobs' dead-letter queue page (jobs-dlq)", () => {
  const sqs = mockClient(SQSClient);
  const event = () =>
    variant('metric-alarm', {
      alarmName: 'shop-jobs-dlq',
      description: encodeAlarmDescription("events in the jobs' dead-letter queue", {
        severity: 'critical',
        target: 'jobs',
        project: 'shop',
      }),
    });
  beforeEach(() => sqs.reset());

  it('names the jobs and errors it finds by peeking (visibility 0: the messages stay)', async () => {
    sqs.on(ReceiveMessageCommand).resolves({
      Messages: [
        {
          Body: JSON.stringify({ schedule: 'nightly' }),
          MessageAttributes: {
            SCHEDULE_ARN: {
              DataType: 'String',
              StringValue:
                'arn:aws:scheduler:eu-west-1:123456789012:schedule/default/shop-backup-main-nightly',
            },
            TARGET_ARN: {
              DataType: 'String',
              StringValue: 'arn:aws:lambda:eu-west-1:123456789012:function:shop-backup-main',
            },
            ERROR_CODE: { DataType: 'String', StringValue: 'AccessDeniedException' },
          },
        },
      ],
    });
    await run({ ...deps(), sqs: new SQSClient({}) }, { event: event(), deliveryId: 'req-dlq' });
    const [receive] = sqs.commandCalls(ReceiveMessageCommand);
    expect(receive?.args[0].input).toMatchObject({
      QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/shop-jobs-dlq',
      VisibilityTimeout: 0,
    });
    // the subject is cut to its limit; the message has the whole list
    expect(started()[0]?.input.steps[0]?.subject).toContain('backup-main');
    expect(started()[0]?.input.steps[0]?.message).toContain(
      "events in the jobs' dead-letter queue: backup-main (schedule nightly: AccessDeniedException)",
    );
  });

  it('pages with the generic summary when the peek fails', async () => {
    sqs.on(ReceiveMessageCommand).rejects(new Error('AccessDenied'));
    const d = { ...deps(), sqs: new SQSClient({}) };
    await run(d, { event: event(), deliveryId: 'req-dlq-2' });
    const subject = started()[0]?.input.steps[0]?.subject ?? '';
    expect(subject).toContain("events in the jobs' dead-letter queue");
    expect(subject).not.toContain('backup-main');
    expect(d.log.records.map((r) => r.message)).toContain(
      'could not peek at the jobs dead-letter queue; paging without the job names',
    );
  });
});
