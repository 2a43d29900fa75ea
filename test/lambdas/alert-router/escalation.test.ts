import { describe, expect, it } from 'vitest';
import { escalationInput, escalationPlan } from '../../../lambdas/alert-router/alert-router';
import { executionName, STATE } from '../../../lambdas/alert-router/escalation-definition';
import { type AlarmFacts, renderAlarm } from '../../../lambdas/alert-router/format';
import { runEscalation, testDefinition, validateAsl, type World } from './escalation-harness';
import { TOPICS, testSettings } from './support';

const definition = testDefinition();
const EPISODE = new Date('2024-10-02T17:04:40.989Z');

function input(
  over: {
    held?: boolean;
    severity?: 'critical' | 'low';
    kind?: AlarmFacts['kind'];
    notifyTop?: boolean;
  } = {},
) {
  const settings = testSettings(
    over.notifyTop
      ? {
          levels: [
            { name: 'team', email: ['dev@example.com', 'ops@example.com'] },
            { name: 'oncall', sms: ['+447700900123'] },
            { name: 'lead', email: ['lead@example.com'], sms: ['+447700900456'], notifyTeam: true },
          ],
        }
      : {},
  );
  const facts: AlarmFacts = {
    project: 'shop',
    alarmName: 'shop-api-down',
    alarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:shop-api-down',
    region: 'eu-west-1',
    kind: over.kind ?? 'metric',
    severity: over.severity ?? 'critical',
    target: 'api',
    summary: 'api health check failing',
    state: 'ALARM',
    previousState: 'OK',
    changedAt: EPISODE,
    reason: 'Threshold Crossed',
  };
  const options = { timeZone: 'UTC' };
  const plan = escalationPlan(settings, facts.severity, EPISODE);
  const held = over.held
    ? { name: 'deploy', start: EPISODE, end: new Date(EPISODE.getTime() + 3_600_000) }
    : undefined;
  return escalationInput(settings, facts, plan, options, renderAlarm(facts, plan, options), 'req-1', held);
}

const topics = (run: { publishes: { TopicArn: string }[] }) => run.publishes.map((p) => p.TopicArn);

describe('escalation definition', () => {
  it('is valid ASL', () => {
    expect(validateAsl(definition)).toEqual([]);
  });

  it('execution names are ≤ 80 safe characters, distinct per alarm and per episode', () => {
    const long = `shop-${'ünïcødé alarm name with spaces/and:colons '.repeat(4)}`;
    const name = executionName(long, EPISODE);
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(executionName(`${long}x`, EPISODE)).not.toBe(name);
    expect(executionName(long, new Date(EPISODE.getTime() + 1))).not.toBe(name);
    expect(executionName(long, EPISODE)).toBe(name);
  });
});

describe('escalation run (aws-local-stepfunctions)', () => {
  it.each<[string, World, string[], string]>([
    [
      'still ALARM → escalates to levels 2 and 3, then repeats at the top',
      { states: ['ALARM'], maxPublishes: 5 },
      [TOPICS[1]!, TOPICS[2]!, TOPICS[2]!, TOPICS[2]!, TOPICS[2]!],
      'aborted',
    ],
    ['OK at the first check → stops without paging', { states: ['OK'] }, [], STATE.resolved],
    ['OK after level 2 → stops', { states: ['ALARM', 'OK'] }, [TOPICS[1]!], STATE.resolved],
    ['INSUFFICIENT_DATA → stops', { states: ['INSUFFICIENT_DATA'] }, [], STATE.resolved],
    [
      'acknowledged before the first check → stops',
      { states: ['ALARM'], ack: { fromCheck: 1, at: '2024-10-02T17:10:00.000Z' } },
      [],
      STATE.acknowledged,
    ],
    [
      'acknowledged after level 3 → stops',
      { states: ['ALARM'], ack: { fromCheck: 3, at: '2024-10-02T17:50:00.000Z' } },
      [TOPICS[1]!, TOPICS[2]!],
      STATE.acknowledged,
    ],
    [
      'an ack of an earlier episode does not stop this one',
      { states: ['ALARM', 'ALARM', 'OK'], ack: { fromCheck: 1, at: '2024-10-01T09:00:00.000Z' } },
      [TOPICS[1]!, TOPICS[2]!],
      STATE.resolved,
    ],
    // deleted: the levels paged so far (the first) are told, then it stops
    ['alarm deleted → tells the first level, stops', { states: ['DELETED'] }, [TOPICS[0]!], STATE.gone],
    [
      'alarm deleted after level 2 → tells levels 1 and 2, stops',
      { states: ['ALARM', 'DELETED'] },
      [TOPICS[1]!, TOPICS[0]!, TOPICS[1]!],
      STATE.gone,
    ],
    [
      'CloudWatch unreadable → pages anyway',
      { states: ['ALARM'], describeFails: true, maxPublishes: 2 },
      [TOPICS[1]!, TOPICS[2]!],
      'aborted',
    ],
  ])('%s', async (_title, world, expected, end) => {
    const run = await runEscalation(definition, input(), world);
    expect(topics(run)).toEqual(expected);
    expect(run.end).toBe(end);
  });

  it('waits escalateAfter between levels and repeatEvery at the top', async () => {
    const run = await runEscalation(definition, input(), { states: ['ALARM'], maxPublishes: 4 });
    const waits = run.path.filter((s) => s === STATE.waitEscalate || s === STATE.waitRepeat);
    expect(waits).toEqual([STATE.waitEscalate, STATE.waitEscalate, STATE.waitRepeat, STATE.waitRepeat]);
    expect(input().escalateAfterSeconds).toBe(900);
    expect(input().repeatEverySeconds).toBe(1800);
  });

  it('publishes the preformatted notices as SNS json with the SMS attribute', async () => {
    const i = input();
    const run = await runEscalation(definition, i, { states: ['ALARM'], maxPublishes: 3 });
    expect(run.publishes[0]).toEqual({
      TopicArn: TOPICS[1],
      Subject: i.steps[1]?.subject,
      Message: i.steps[1]?.message,
      MessageStructure: 'json',
      MessageAttributes: { 'nightshift.sms': { DataType: 'String', StringValue: 'yes' } },
    });
    // the reminder is rendered again by the router at reminder time, numbered and with the fresh value
    expect(run.publishes[2]?.Subject).toBe(
      i.reminder.subject.replace('(reminder every', '(reminder 1, every'),
    );
    expect(run.publishes[2]?.TopicArn).toBe(i.reminder.topicArn);
    expect(run.publishes[2]?.Message).toContain('Value now: 41');
    expect(run.describeCalls[0]).toEqual({ AlarmNames: ['shop-api-down'], AlarmTypes: ['MetricAlarm'] });
    expect(run.ackReads[0]).toEqual({
      TableName: 'shop-acks',
      Key: { alarm: { S: 'shop-api-down' } },
      ConsistentRead: true,
    });
  });

  it('composite alarms are described as CompositeAlarm', async () => {
    const run = await runEscalation(definition, input({ kind: 'composite' }), { states: ['ALARM', 'OK'] });
    expect(run.describeCalls[0]).toMatchObject({ AlarmTypes: ['CompositeAlarm'] });
    expect(topics(run)).toEqual([TOPICS[1]]);
  });

  it('held by maintenance: pages the first level after the window if still in ALARM', async () => {
    const run = await runEscalation(definition, input({ held: true }), {
      states: ['ALARM'],
      maxPublishes: 2,
    });
    expect(run.path[1]).toBe(STATE.hold);
    expect(topics(run)).toEqual([TOPICS[0], TOPICS[1]]);
    const quiet = await runEscalation(definition, input({ held: true }), { states: ['OK'] });
    expect(topics(quiet)).toEqual([]);
  });

  it('a severity whose first level is the top only repeats', async () => {
    const run = await runEscalation(definition, input({ severity: 'low' }), {
      states: ['ALARM'],
      maxPublishes: 2,
    });
    expect(topics(run)).toEqual([TOPICS[2], TOPICS[2]]);
    expect(run.path.filter((s) => s === STATE.waitEscalate)).toEqual([]);
  });
});

describe('telling the team from the escalation', () => {
  it('the deletion notice says the escalation stopped, to each level paged so far', async () => {
    const run = await runEscalation(definition, input(), { states: ['ALARM', 'DELETED'] });
    const told = run.publishes.slice(1);
    expect(told.map((p) => p.TopicArn)).toEqual([TOPICS[0], TOPICS[1]]);
    for (const p of told) {
      expect(p.Subject).toBe(
        '[CRITICAL] shop - api health check failing - alarm deleted, escalation stopped',
      );
      const body = JSON.parse(p.Message) as { sms: string; email: string };
      expect(body.sms).toMatch(/^CRIT shop\/api ALARM DELETED, escalation stopped:/);
      expect(p.MessageAttributes['nightshift.sms']?.StringValue).toBe('yes');
    }
  });

  it('held by maintenance and deleted before anyone was paged: nobody is told', async () => {
    const run = await runEscalation(definition, input({ held: true }), { states: ['DELETED'] });
    expect(run.publishes).toEqual([]);
    expect(run.end).toBe(STATE.gone);
  });

  it('notifyTeam on the top level: reaching it is told to the levels paged before it, once', async () => {
    const run = await runEscalation(definition, input({ notifyTop: true }), {
      states: ['ALARM'],
      maxPublishes: 6,
    });
    // level 2, level 3, then team (1) and oncall (2) hear "escalated to lead", then the reminder
    expect(topics(run)).toEqual([TOPICS[1], TOPICS[2], TOPICS[0], TOPICS[1], TOPICS[2], TOPICS[2]]);
    expect(run.publishes[2]?.Subject).toBe(
      '[CRITICAL] shop - api health check failing - escalated to lead after 30 min, still unacknowledged',
    );
    expect(run.path.filter((s) => s === STATE.teamStep)).toHaveLength(1);
  });

  it('without notifyTeam nobody else is told when a level is reached', async () => {
    const run = await runEscalation(definition, input(), { states: ['ALARM'], maxPublishes: 4 });
    expect(topics(run)).toEqual([TOPICS[1], TOPICS[2], TOPICS[2], TOPICS[2]]);
  });
});
