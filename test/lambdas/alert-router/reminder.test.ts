/**
 * Reminders with a fresh value (lambdas/alert-router/reminder.ts): what the router reads from CloudWatch
 * at reminder time (aws-sdk-client-mock: CloudWatch has no local server), how it quotes it, and that a
 * failed read still reminds while an alarm that left ALARM is not paged.
 */
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ACK_LINK_TABLE_VAR } from '../../../lambdas/ack-link/env';
import { ackLinkTableName, fromItem, LINK_TTL_HOURS } from '../../../lambdas/ack-link/links';
import { LinkMinter } from '../../../lambdas/alert-router/ack-links';
import { escalationInput, escalationPlan } from '../../../lambdas/alert-router/alert-router';
import { ACK_LINK_BASE_VAR, ALERTS_VAR, ESCALATION_VAR } from '../../../lambdas/alert-router/env';
import {
  type EscalationInput,
  REMINDER_REQUEST,
  type ReminderRequest,
} from '../../../lambdas/alert-router/escalation-definition';
import { type AlarmFacts, renderAlarm } from '../../../lambdas/alert-router/format';
import {
  alarmQueries,
  freshReminder,
  isReminderRequest,
  type ReminderDeps,
} from '../../../lambdas/alert-router/reminder';
import type { RouterSettings } from '../../../lambdas/alert-router/settings';
import { SMS_LIMITS, smsEncodingOf, smsLength } from '../../../lambdas/alert-router/sms';
import { MemoryLog } from '../../../lambdas/shared/log';
import { FakeDynamo } from '../../support/fake-dynamo';
import { TOPICS, testSettings } from './support';

const cloudwatch = mockClient(CloudWatchClient);
const EPISODE = new Date('2024-10-02T17:04:40.989Z');
const NOW = new Date('2024-10-03T05:34:40.000Z');

const metricAlarm: MetricAlarm = {
  AlarmName: 'shop-api-latency',
  StateValue: 'ALARM',
  StateReason:
    'Threshold Crossed: 3 out of the last 3 datapoints [97.2, 98.0, 99.1] were greater than the threshold (50.0).',
  Namespace: 'AWS/ApplicationELB',
  MetricName: 'TargetResponseTime',
  Dimensions: [{ Name: 'LoadBalancer', Value: 'app/shop/123' }],
  ExtendedStatistic: 'p99',
  Period: 300,
  EvaluationPeriods: 3,
  Threshold: 50,
  ComparisonOperator: 'GreaterThanThreshold',
};

const mathAlarm: MetricAlarm = {
  AlarmName: 'shop-api-latency',
  StateValue: 'ALARM',
  StateReason: 'Threshold Crossed: 1 datapoint [12.5] was greater than the threshold (5.0).',
  EvaluationPeriods: 2,
  Threshold: 5,
  ComparisonOperator: 'GreaterThanThreshold',
  Metrics: [
    {
      Id: 'errors',
      MetricStat: {
        Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count' },
        Period: 60,
        Stat: 'Sum',
      },
      ReturnData: false,
    },
    {
      Id: 'requests',
      MetricStat: {
        Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'RequestCount' },
        Period: 60,
        Stat: 'Sum',
      },
      ReturnData: false,
    },
    { Id: 'rate', Expression: '100 * errors / requests', Label: 'error rate', ReturnData: true },
  ],
};

function deps(settings: RouterSettings = testSettings()): ReminderDeps & { log: MemoryLog } {
  return { settings, cloudwatch: new CloudWatchClient({}), log: new MemoryLog(), now: () => NOW };
}

function escalation(
  kind: AlarmFacts['kind'] = 'metric',
  settings = testSettings(),
  minter?: LinkMinter,
): EscalationInput {
  const facts: AlarmFacts = {
    project: 'shop',
    alarmName: 'shop-api-latency',
    alarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:shop-api-latency',
    region: 'eu-west-1',
    kind,
    severity: 'critical',
    target: 'api',
    summary: 'api p99 latency high',
    state: 'ALARM',
    previousState: 'OK',
    changedAt: EPISODE,
    reason: 'Threshold Crossed: 3 datapoints [99.5, 98.0, 97.0] were greater than the threshold (50.0).',
    ...(kind === 'composite' ? { triggeringAlarms: ['shop-api-down', 'shop-db-down'] } : {}),
    ...(kind === 'composite' ? {} : { value: 99.5, threshold: 50, comparison: '>' }),
  };
  const options = { timeZone: 'UTC' };
  const plan = escalationPlan(settings, 'critical', EPISODE);
  return escalationInput(
    settings,
    facts,
    plan,
    options,
    renderAlarm(facts, plan, options),
    'req-1',
    undefined,
    undefined,
    minter,
  );
}

function request(input: EscalationInput = escalation(), count = 37): ReminderRequest {
  return { kind: REMINDER_REQUEST, alarm: input.alarm, reminder: input.reminder, count };
}

const bodies = (message: string) => JSON.parse(message) as { email: string; sms: string; default: string };

beforeEach(() => {
  cloudwatch.reset();
});

describe('fresh value at reminder time', () => {
  it('metric alarm: reads the latest datapoint of its metric and quotes "now: … (was …)"', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [metricAlarm] });
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        {
          Id: 'value',
          Values: [97.2, 98],
          Timestamps: [new Date('2024-10-03T05:30:00Z'), new Date('2024-10-03T05:25:00Z')],
        },
      ],
    });
    const reply = await freshReminder(deps(), request());

    expect(reply.page).toBe('yes');
    expect(reply.state).toBe('ALARM');
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input).toEqual({
      AlarmNames: ['shop-api-latency'],
      AlarmTypes: ['MetricAlarm'],
    });
    expect(cloudwatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input).toEqual({
      MetricDataQueries: [
        {
          Id: 'value',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/ApplicationELB',
              MetricName: 'TargetResponseTime',
              Dimensions: [{ Name: 'LoadBalancer', Value: 'app/shop/123' }],
            },
            Period: 300,
            Stat: 'p99',
          },
          ReturnData: true,
        },
      ],
      // 3 evaluation periods and 2 more of 5 min
      StartTime: new Date(NOW.getTime() - 25 * 60_000),
      EndTime: NOW,
      ScanBy: 'TimestampDescending',
    });
    const { email, sms, default: json } = bodies(reply.notice.message);
    expect(reply.notice.subject).toBe(
      '[CRITICAL] shop - api p99 latency high - still failing (reminder 37, every 30 min)',
    );
    expect(email).toContain('In ALARM since Wed 2 Oct, 17:04 UTC (12 h 30 min) and not acknowledged.');
    expect(email).toContain('Value now: 97.2 (was 99.5), latest datapoint at 05:30.');
    expect(email).toContain('Value at alarm time: 99.5 — alarm when above 50');
    expect(email).toContain(`CloudWatch says now: ${metricAlarm.StateReason}`);
    expect(sms).toContain('(now 97.2, was 99.5 vs >50)');
    expect(smsLength(sms, smsEncodingOf(sms))).toBeLessThanOrEqual(SMS_LIMITS[smsEncodingOf(sms)]);
    expect(JSON.parse(json)).toMatchObject({
      type: 'reminder',
      reminder: 37,
      value: 99.5,
      now: { value: 97.2, valueAt: '2024-10-03T05:30:00.000Z', readAt: NOW.toISOString(), error: null },
    });
    expect(reply.notice.topicArn).toBe(TOPICS[2]);
    expect(reply.notice.render).toBeUndefined();
  });

  it('metric-math alarm: runs its own queries and takes the expression it alarms on', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [mathAlarm] });
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'rate', Values: [7.25], Timestamps: [new Date('2024-10-03T05:33:00Z')] }],
    });
    const reply = await freshReminder(deps(), request(escalation('math')));
    const sent = cloudwatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input;
    expect(sent?.MetricDataQueries).toEqual(mathAlarm.Metrics);
    // 2 evaluation periods of 1 min and 2 more, but at least 10 min back
    expect(sent?.StartTime).toEqual(new Date(NOW.getTime() - 10 * 60_000));
    expect(bodies(reply.notice.message).email).toContain(
      'Value now: 7.25 (was 99.5), latest datapoint at 05:33.',
    );
    expect(alarmQueries(mathAlarm).id).toBe('rate');
  });

  it('composite alarm: no metric to read; quotes its state and reason now', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      CompositeAlarms: [
        { AlarmName: 'shop-api-latency', StateValue: 'ALARM', StateReason: 'shop-db-down is ALARM' },
      ],
    });
    const reply = await freshReminder(deps(), request(escalation('composite')));
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input.AlarmTypes).toEqual([
      'CompositeAlarm',
    ]);
    expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(0);
    const { email } = bodies(reply.notice.message);
    expect(email).toContain('Now: still ALARM at 05:34.');
    expect(email).toContain('CloudWatch says now: shop-db-down is ALARM');
  });

  it('DescribeAlarms fails: says so and still reminds', async () => {
    cloudwatch
      .on(DescribeAlarmsCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    const d = deps();
    const reply = await freshReminder(d, request());
    expect(reply).toMatchObject({ page: 'yes', state: 'UNKNOWN' });
    const { email, sms, default: json } = bodies(reply.notice.message);
    expect(email).toMatch(
      /Value now: unknown — could not read the alarm \(.*Rate exceeded.*\) \(was 99\.5\)\./,
    );
    expect(sms).toContain('now ?, was 99.5 vs >50');
    expect(JSON.parse(json).now.error).toMatch(/could not read the alarm/);
    expect(d.log.records.some((e) => e.message === 'reminder without a fresh value')).toBe(true);
  });

  it('GetMetricData fails: says so and still reminds', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [metricAlarm] });
    cloudwatch.on(GetMetricDataCommand).rejects(new Error('AccessDenied'));
    const reply = await freshReminder(deps(), request());
    expect(reply.page).toBe('yes');
    expect(bodies(reply.notice.message).email).toMatch(
      /Value now: unknown — could not read the latest value \(.*AccessDenied.*\) \(was 99\.5\)\./,
    );
  });

  it('no datapoint in the window, or an expression CloudWatch cannot compute: says which', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [metricAlarm] });
    cloudwatch
      .on(GetMetricDataCommand)
      .resolves({ MetricDataResults: [{ Id: 'value', Values: [], Timestamps: [] }] });
    const empty = await freshReminder(deps(), request());
    expect(bodies(empty.notice.message).email).toContain(
      'Value now: unknown — no datapoint in the last 25 min (was 99.5).',
    );
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'value', Values: [], Messages: [{ Code: 'Error', Value: 'division by zero' }] },
      ],
    });
    const broken = await freshReminder(deps(), request());
    expect(bodies(broken.notice.message).email).toContain(
      'CloudWatch could not compute it (division by zero)',
    );
  });

  it.each(['OK', 'INSUFFICIENT_DATA'])('%s by reminder time: no page, no metric read', async (state) => {
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolves({ MetricAlarms: [{ ...metricAlarm, StateValue: state as 'OK' }] });
    const reply = await freshReminder(deps(), request());
    expect(reply).toMatchObject({ page: 'no', state });
    expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(0);
  });

  it('deleted by reminder time: no page', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
    expect(await freshReminder(deps(), request())).toMatchObject({ page: 'no', state: 'DELETED' });
  });

  it('redacts credentials CloudWatch quotes in the reason', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ ...metricAlarm, StateReason: 'probe postgres://app:s3cr3t-pw@db:5432/shop failed' }],
    });
    cloudwatch
      .on(GetMetricDataCommand)
      .resolves({ MetricDataResults: [{ Id: 'value', Values: [1], Timestamps: [NOW] }] });
    const reply = await freshReminder(deps(), request());
    expect(reply.notice.message).not.toContain('s3cr3t-pw');
    expect(bodies(reply.notice.message).email).toContain('CloudWatch says now: probe postgres://app:');
  });

  it('a rotating top level: pages whoever is on call now, not at the first reminder', async () => {
    const rotation = {
      members: [
        { name: 'ana', email: 'ana@example.com', sms: '+447700900111' },
        { name: 'ben', email: 'ben@example.com', sms: '+447700900222' },
      ],
      handoff: { time: '09:00' },
      every: '1d',
      start: '2024-10-01',
    };
    const settings = testSettings({
      levels: [
        { name: 'team', email: ['dev@example.com'] },
        { name: 'oncall', sms: ['+447700900123'] },
        { name: 'lead', rotation },
      ],
    });
    const input = escalation('metric', settings);
    // daily hand-off at 09:00 London from 1 Oct (ana): the first reminder (2 Oct, 19:04 BST) is ben's,
    // 3 Oct from 09:00 BST is ana's again
    expect(input.reminder.phone).toBe('+447700900222');
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [metricAlarm] });
    cloudwatch
      .on(GetMetricDataCommand)
      .resolves({ MetricDataResults: [{ Id: 'value', Values: [1], Timestamps: [NOW] }] });
    const later = { ...deps(settings), now: () => new Date('2024-10-03T08:30:00Z') };
    const reply = await freshReminder(later, request(input));
    expect(reply.notice.phone).toBe('+447700900111');
    expect(reply.notice.topicArn).toMatch(/shop-rota-lead-ana$/);
  });

  it('recognises only reminder requests', () => {
    expect(isReminderRequest(request())).toBe(true);
    expect(isReminderRequest({ kind: REMINDER_REQUEST })).toBe(false);
    expect(isReminderRequest({ source: 'aws.cloudwatch', detail: {} })).toBe(false);
  });
});

describe('handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("answers the state machine's reminder request with the reply (lambda:invoke Payload)", async () => {
    vi.stubEnv(ALERTS_VAR, JSON.stringify(testSettings()));
    vi.stubEnv(ESCALATION_VAR, 'arn:aws:states:eu-west-1:123456789012:stateMachine:shop-escalation');
    vi.stubEnv(ACK_LINK_BASE_VAR, 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/');
    vi.stubEnv(ACK_LINK_TABLE_VAR, ackLinkTableName('shop'));
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [metricAlarm] });
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'value', Values: [97.2], Timestamps: [new Date()] }],
    });
    const { handler } = await import('../../../lambdas/alert-router/handler');
    const context = {
      functionName: 'shop-alert-router',
      awsRequestId: 'req-9',
      getRemainingTimeInMillis: () => 30_000,
    } as unknown as Context;
    // a JSON round trip, as Step Functions passes it
    const reply = await handler(JSON.parse(JSON.stringify(request())), context);
    expect(reply).toMatchObject({ page: 'yes', state: 'ALARM', notice: { topicArn: TOPICS[2], sms: 'yes' } });
    expect(JSON.parse((reply as { notice: { message: string } }).notice.message).email).toContain(
      'Value now: 97.2 (was 99.5)',
    );
  });
});

describe('ack links of reminders rendered at reminder time', () => {
  const LINKS = ackLinkTableName('shop');
  const BASE = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/';
  const urls = (text: string) => text.match(/https:\/\/\S+on\.aws\/[A-Za-z0-9_-]{22}/g) ?? [];

  /** The episode's escalation with links minted at alarm time, and the reminder's saved links. */
  function linked() {
    const minter = new LinkMinter(BASE, { alarm: 'shop-api-latency', episode: EPISODE, title: 't' }, EPISODE);
    const input = escalation('metric', testSettings(), minter);
    const saved = (
      input.reminder.render?.options as { ackLink?: { email?: string; sms?: string } } | undefined
    )?.ackLink;
    return { input, saved, minted: minter.minted };
  }

  function withLinks(dynamo: FakeDynamo, now: Date): ReminderDeps & { log: MemoryLog } {
    return { ...deps(), now: () => now, ackLinks: { baseUrl: BASE, table: LINKS, dynamo: dynamo as never } };
  }

  beforeEach(() => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [metricAlarm] });
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'value', Values: [97.2], Timestamps: [NOW] }],
    });
  });

  it('a reminder while the saved links last: e-mail, SMS, JSON and chat carry the saved ones, nothing minted', async () => {
    const { input, saved } = linked();
    expect(saved?.email).toMatch(/^https:/);
    expect(saved?.sms).toMatch(/^https:/);
    const dynamo = new FakeDynamo({ [LINKS]: 'id' });
    // NOW is 12.5 h into the episode: the saved links last 24 h after the first reminder
    const reply = await freshReminder(withLinks(dynamo, NOW), request(input, 20));
    const body = bodies(reply.notice.message) as ReturnType<typeof bodies> & { lambda: string };
    expect(body.email).toContain(`Acknowledge in one tap: ${saved?.email}`);
    expect(body.email).toContain('Value now: 97.2 (was 99.5)');
    expect(urls(body.sms)).toEqual([saved?.sms]);
    expect(JSON.parse(body.default).ackUrl).toBe(saved?.email);
    expect(JSON.parse(body.lambda).chat.ackUrl).toBe(saved?.email);
    expect(dynamo.calls).toEqual([]);
  });

  it('a reminder after the saved links would expire: fresh links, stored before the reply', async () => {
    const { input, saved } = linked();
    const dynamo = new FakeDynamo({ [LINKS]: 'id' });
    const later = new Date(EPISODE.getTime() + 3 * 24 * 3600_000);
    const reply = await freshReminder(withLinks(dynamo, later), request(input, 140));
    const body = bodies(reply.notice.message);
    const [email] = urls(body.email);
    const [sms] = urls(body.sms);
    expect(email).toBeDefined();
    expect(sms).toBeDefined();
    expect(email).not.toBe(saved?.email);
    expect(sms).not.toBe(saved?.sms);
    expect(JSON.parse(body.default).ackUrl).toBe(email);
    const stored = [...dynamo.table(LINKS).values()].map((item) => fromItem(item)!);
    expect(stored.map((l) => `${BASE}${l.id}`).sort()).toEqual([email, sms].sort());
    for (const link of stored) {
      expect(link).toMatchObject({
        alarm: 'shop-api-latency',
        episode: EPISODE.toISOString(),
        level: 'lead',
      });
      expect(link.expiresAt).toBe(Math.floor(later.getTime() / 1000) + LINK_TTL_HOURS * 3600);
    }
  });

  it('storing fresh links fails: the reminder still goes out, with the saved links', async () => {
    const { input, saved } = linked();
    const dynamo = new FakeDynamo({ [LINKS]: 'id' });
    dynamo.failNext('BatchWriteItemCommand', new Error('ProvisionedThroughputExceededException'));
    const d = withLinks(dynamo, new Date(EPISODE.getTime() + 3 * 24 * 3600_000));
    const reply = await freshReminder(d, request(input, 140));
    expect(reply.page).toBe('yes');
    expect(urls(bodies(reply.notice.message).email)).toEqual([saved?.email]);
    expect(JSON.stringify(d.log.records)).toContain('could not store fresh acknowledge links');
  });
});
