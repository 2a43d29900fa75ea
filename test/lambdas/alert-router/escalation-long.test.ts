/**
 * Long episodes: the real escalation definition runs in aws-local-stepfunctions for an episode of 1,000
 * reminders (waits cut to 0). Each reminder is rendered by the real reminder core (a fake CloudWatch
 * answers its reads); a hand-over's StartExecution runs the next execution. Asserts each execution's
 * history stays far below the 25,000-event limit, the hand-over happens with the episode's state carried
 * over, the reminder count continues, and an acknowledgement, a recovery or a deleted alarm stop it.
 */
import { ListExecutionsCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { escalationInput, escalationPlan, sfnEscalations } from '../../../lambdas/alert-router/alert-router';
import {
  CARRIED_FIELDS,
  CARRIED_OPTIONAL_FIELDS,
  continuationName,
  type EscalationInput,
  executionName,
  executionPrefix,
  HISTORY_EVENT_LIMIT,
  HISTORY_EVENTS_PER_REMINDER,
  isExecutionOf,
  REMINDERS_PER_EXECUTION,
  remindersPerExecution,
  STATE,
} from '../../../lambdas/alert-router/escalation-definition';
import { type AlarmFacts, renderAlarm } from '../../../lambdas/alert-router/format';
import type { RouterSettings } from '../../../lambdas/alert-router/settings';
import { MemoryLog } from '../../../lambdas/shared/log';
import type { Severity } from '../../../lib/config/primitives';
import {
  type EscalationRun,
  runEscalation,
  STATE_MACHINE_ARN,
  testDefinition,
  validateAsl,
} from './escalation-harness';
import { TOPICS, testSettings } from './support';

const definition = testDefinition();
const EPISODE = new Date('2024-10-02T17:04:40.989Z');
const STARTED = new Date('2024-10-02T17:04:42.000Z');
const NAME = executionName('shop-api-down', EPISODE);

function input(severity: Severity = 'critical', settings: RouterSettings = testSettings()): EscalationInput {
  const facts: AlarmFacts = {
    project: 'shop',
    alarmName: 'shop-api-down',
    alarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:shop-api-down',
    region: 'eu-west-1',
    kind: 'metric',
    severity,
    target: 'api',
    summary: 'api health check failing',
    state: 'ALARM',
    previousState: 'OK',
    changedAt: EPISODE,
    reason: 'Threshold Crossed: 1 datapoint [99.5] was greater than the threshold (50.0).',
    value: 99.5,
    threshold: 50,
    comparison: '>',
  };
  const options = { timeZone: 'UTC', aliases: settings.aliases };
  const plan = escalationPlan(settings, severity, EPISODE);
  return escalationInput(
    settings,
    facts,
    plan,
    options,
    renderAlarm(facts, plan, options),
    'req-1',
    undefined,
    { name: NAME, startedAt: STARTED },
  );
}

/** Reminders published (the two level steps come first in a critical episode). */
const reminders = (run: EscalationRun) => run.publishes.filter((p) => p.Subject.includes('still failing'));

describe('a 1,000-reminder episode (aws-local-stepfunctions)', () => {
  let run: EscalationRun;
  const i = input();

  it('the definition is valid ASL with the hand-over states', () => {
    expect(validateAsl(definition)).toEqual([]);
    expect(i.continuation).toEqual({
      name: NAME,
      part: 1,
      startedAt: STARTED.toISOString(),
      reminders: 0,
      inPart: 0,
      perPart: REMINDERS_PER_EXECUTION,
    });
  });

  it('hands over every 100 reminders and keeps each history far below the limit', async () => {
    const started = performance.now();
    // 2 level steps, then 1,000 reminders; the run is cut at the 1,000th.
    run = await runEscalation(definition, i, { states: ['ALARM'], maxPublishes: 1_002 });
    const seconds = (performance.now() - started) / 1000;
    expect(reminders(run)).toHaveLength(1_000);
    expect(run.executions.map((e) => e.end)).toEqual([...Array(9).fill(STATE.handedOver), 'aborted']);

    const histories = run.executions.map((e) => e.historyEvents);
    const perReminder = (histories[1]! - 0) / REMINDERS_PER_EXECUTION;
    console.info(
      `1,000 reminders in ${run.executions.length} executions, ${seconds.toFixed(1)} s; history events per execution: ${histories.join(', ')} (≈ ${perReminder.toFixed(1)} per reminder; limit ${HISTORY_EVENT_LIMIT})`,
    );
    for (const events of histories) {
      expect(events).toBeLessThanOrEqual(REMINDERS_PER_EXECUTION * HISTORY_EVENTS_PER_REMINDER + 100);
      expect(events).toBeLessThan(HISTORY_EVENT_LIMIT / 2);
    }
    // a middle part is only reminders: the documented figure per reminder holds
    expect(perReminder).toBeLessThanOrEqual(HISTORY_EVENTS_PER_REMINDER);
  }, 300_000);

  it('with CloudWatch and the router failing every attempt (all retries made), a part still fits', async () => {
    const failing = await runEscalation(definition, i, {
      states: ['ALARM'],
      describeFails: true,
      routerFailsAt: () => true,
      maxPublishes: 2 + REMINDERS_PER_EXECUTION + 1,
    });
    expect(failing.executions[0]?.end).toBe(STATE.handedOver);
    const events = failing.executions[0]!.historyEvents;
    console.info(
      `with DescribeAlarms and the router failing every retry: ${events} history events for ${REMINDERS_PER_EXECUTION} reminders`,
    );
    expect(events).toBeLessThan(HISTORY_EVENT_LIMIT * 0.6);
  }, 300_000);

  it('names the parts <first>-<n>: unique, valid, found by the alarm prefix', () => {
    const names = run.executions.map((e) => e.name);
    expect(names).toEqual([NAME, ...[2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => `${NAME}-${n}`)]);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) {
      expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
      expect(name.startsWith(executionPrefix('shop-api-down'))).toBe(true);
      expect(isExecutionOf(name, NAME)).toBe(true);
    }
    expect(run.handOvers.every((h) => h.StateMachineArn === STATE_MACHINE_ARN)).toBe(true);
  });

  it('carries the episode over: same alarm and episode, level, clock, reminder count, start time', () => {
    run.executions.slice(1).forEach((execution, k) => {
      const part = k + 2;
      const carried = execution.input;
      expect(carried.continuation).toEqual({
        name: NAME,
        part,
        startedAt: STARTED.toISOString(),
        reminders: (part - 1) * REMINDERS_PER_EXECUTION,
        inPart: 0,
        perPart: REMINDERS_PER_EXECUTION,
      });
      // pos (the level reached) and clock move on; the rest is as the router wrote it
      for (const field of CARRIED_FIELDS.filter((f) => f !== 'clock' && f !== 'pos')) {
        expect(carried[field], field).toEqual(i[field]);
      }
      // the clock keeps counting (promotions compare with it)
      expect(carried.clock.elapsed).toBe(
        2 * i.escalateAfterSeconds + (part - 1) * REMINDERS_PER_EXECUTION * i.repeatEverySeconds,
      );
      expect(carried.pos).toEqual({ next: 3, count: 3 });
      expect(carried.holdUntil).toBeUndefined();
      // Step Functions links the part to the one that started it
      expect(carried.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID).toBe(
        `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${run.executions[k]!.name}`,
      );
    });
  });

  it('every input field but holdUntil is carried (a new field must be added to CARRIED_FIELDS)', () => {
    const carried = new Set<string>([...CARRIED_FIELDS, ...CARRIED_OPTIONAL_FIELDS, 'continuation']);
    const notCarried = Object.keys(input('high')).filter((k) => !carried.has(k));
    expect(notCarried).toEqual([]);
  });

  it('counts reminders across executions: the router is asked for 1 … 1,000 in order', () => {
    expect(run.reminderRequests.map((r) => r.count)).toEqual(Array.from({ length: 1_000 }, (_, k) => k + 1));
    const last = reminders(run).at(-1)!;
    expect(last.Subject).toContain('(reminder 1000, every 30 min)');
    // the fresh value of the 1,000th read (the fake CloudWatch answers 40 + n), next to the alarm-time one
    expect(last.Message).toContain('Value now: 1040 (was 99.5)');
    expect(JSON.parse(last.Message).sms).toContain('now 1040, was 99.5 vs >50');
  });
});

describe('long episodes end as short ones do', () => {
  it('an acknowledgement in the 6th execution stops the episode: no further reminders or hand-overs', async () => {
    // checks 1–2 precede the level steps; check k + 2 precedes reminder k
    const run = await runEscalation(definition, input(), {
      states: ['ALARM'],
      ack: { fromCheck: 552, at: '2024-10-14T08:00:00.000Z' },
      maxPublishes: 5_000,
    });
    expect(run.end).toBe(STATE.acknowledged);
    expect(reminders(run)).toHaveLength(549);
    expect(run.executions).toHaveLength(6);
    expect(run.handOvers).toHaveLength(5);
    // the acknowledgement is found by alarm name and episode start, carried over unchanged
    expect(run.executions.at(-1)?.input.alarm).toEqual(input().alarm);
    expect(run.ackReads.at(-1)).toEqual({
      TableName: 'shop-acks',
      Key: { alarm: { S: 'shop-api-down' } },
      ConsistentRead: true,
    });
  }, 300_000);

  it('OK by reminder time (read by the router): that reminder is not sent and the episode ends', async () => {
    const run = await runEscalation(definition, input(), {
      states: ['ALARM'],
      fresh: (n) => (n === 150 ? { state: 'OK' } : {}),
      maxPublishes: 5_000,
    });
    expect(run.end).toBe(STATE.resolved);
    expect(reminders(run)).toHaveLength(149);
    expect(run.executions).toHaveLength(2);
  }, 300_000);

  it('deleted by reminder time: nothing sent, the team is told, ends as deleted', async () => {
    const i = input();
    const run = await runEscalation(definition, i, {
      states: ['ALARM'],
      fresh: (n) => (n === 3 ? { state: 'DELETED' } : {}),
    });
    expect(run.end).toBe(STATE.gone);
    expect(reminders(run)).toHaveLength(2);
    // the levels paged so far (all three by the reminders) are told, as when the execution sees it
    const told = run.publishes.filter((p) => /alarm deleted/.test(String(p.Subject ?? '')));
    expect(told.map((p) => p.TopicArn)).toEqual(i.steps.map((s) => s.topicArn));
  });

  it('the router unreachable: the preformatted reminder goes out and says so; counting goes on', async () => {
    const i = input();
    const run = await runEscalation(definition, i, {
      states: ['ALARM'],
      routerFailsAt: (n) => n === 2,
      maxPublishes: 2 + 3,
    });
    const sent = reminders(run);
    expect(sent.map((p) => p.Subject)).toEqual([
      expect.stringContaining('(reminder 1, every 30 min)'),
      i.reminder.subject,
      expect.stringContaining('(reminder 3, every 30 min)'),
    ]);
    expect(sent[1]?.Message).toBe(i.reminder.message);
    expect(sent[1]?.Message).toContain(
      'Value now: unknown — the alert router could not be asked for a fresh value',
    );
  });

  it('a failed hand-over keeps reminding in the same execution and tries again at the next reminder', async () => {
    const i = { ...input(), continuation: { ...input().continuation, perPart: 3 } };
    // the first try and its 4 retries fail (e.g. ExecutionLimitExceeded); the next reminder's try works
    const run = await runEscalation(definition, i, {
      states: ['ALARM'],
      handOverFailures: 5,
      maxPublishes: 2 + 8,
    });
    expect(run.handOvers.map((h) => h.Name)).toEqual([...Array(6).fill(`${NAME}-2`), `${NAME}-3`]);
    expect(run.executions.map((e) => e.name)).toEqual([NAME, `${NAME}-2`, `${NAME}-3`]);
    // part 1 sent one reminder more than its share, and part 2 continued the count from there
    expect(run.executions[1]?.input.continuation.reminders).toBe(4);
    expect(run.executions[2]?.input.continuation.reminders).toBe(7);
    expect(run.reminderRequests.map((r) => r.count)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('a pending promotion is carried over and raises the severity in a later execution', async () => {
    const settings = testSettings({
      severities: {
        critical: { escalateAfter: '15m', repeatEvery: '30m' },
        high: { escalateAfter: '30m', repeatEvery: '1h' },
        medium: { notify: 'team', escalateAfter: '2h', repeatEvery: '4h' },
        low: {
          notify: 'lead',
          escalateAfter: '12h',
          repeatEvery: '1d',
          promoteAfter: '7d',
          promoteTo: 'medium',
        },
      },
    });
    const low = input('low', settings);
    const i = { ...low, continuation: { ...low.continuation, perPart: 2 } };
    const run = await runEscalation(definition, i, { states: ['ALARM'], maxPublishes: 7, settings });
    // daily reminders 1–6 at the top level, then at 7 days medium's first level is paged
    expect(run.publishes.map((p) => p.TopicArn)).toEqual([...Array(6).fill(TOPICS[2]), TOPICS[0]]);
    expect(run.executions.map((e) => e.name)).toEqual([NAME, `${NAME}-2`, `${NAME}-3`, `${NAME}-4`]);
    for (const execution of run.executions.slice(1)) {
      expect(execution.input.promotion).toEqual(low.promotion);
    }
  });
});

describe('parts and the rest of the system', () => {
  it('reminders per execution: 100, fewer for long repeat intervals (a part stays within 30 days)', () => {
    expect(remindersPerExecution([1_800])).toBe(100);
    expect(remindersPerExecution([300])).toBe(100);
    expect(remindersPerExecution([86_400])).toBe(30);
    expect(remindersPerExecution([1_800, 7 * 86_400])).toBe(4);
  });

  it('the longest first name plus the largest part still fits 80 characters', () => {
    const long = executionName(`shop-${'x'.repeat(300)}`, EPISODE);
    expect(continuationName(long, 99_999)).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(isExecutionOf(`${long}-7`, long)).toBe(true);
    expect(isExecutionOf(`${long}-x`, long)).toBe(false);
    expect(isExecutionOf(executionName('shop-api-down', new Date(EPISODE.getTime() + 1)), NAME)).toBe(false);
  });

  it('recovery stops the running part, whatever its number (the router matches the alarm prefix)', async () => {
    const sfn = mockClient(SFNClient);
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        { executionArn: `${STATE_MACHINE_ARN}:${NAME}-7`, name: `${NAME}-7`, ...running() },
        {
          executionArn: `${STATE_MACHINE_ARN}:other`,
          name: executionName('shop-db-down', EPISODE),
          ...running(),
        },
      ],
    });
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });
    const stopped = await sfnEscalations(new SFNClient({}), STATE_MACHINE_ARN, new MemoryLog()).stopAll(
      'shop-api-down',
      'alarm is OK',
    );
    expect(stopped).toBe(1);
    expect(sfn.commandCalls(StopExecutionCommand).map((c) => c.args[0].input.executionArn)).toEqual([
      `${STATE_MACHINE_ARN}:${NAME}-7`,
    ]);
    sfn.restore();
  });
});

function running() {
  return { stateMachineArn: STATE_MACHINE_ARN, status: 'RUNNING' as const, startDate: new Date() };
}
