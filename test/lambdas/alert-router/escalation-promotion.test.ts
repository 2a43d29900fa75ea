/**
 * promoteAfter: an alarm still in ALARM and unacknowledged is raised to a more severe severity, whose first
 * level is paged again and whose timings apply from then on. Runs the real definition in
 * aws-local-stepfunctions with the router's real escalation input.
 */
import { describe, expect, it } from 'vitest';
import { escalationInput, escalationPlan } from '../../../lambdas/alert-router/alert-router';
import { STATE } from '../../../lambdas/alert-router/escalation-definition';
import { type AlarmFacts, renderAlarm } from '../../../lambdas/alert-router/format';
import type { Severity } from '../../../lib/config/primitives';
import { runEscalation, testDefinition, validateAsl } from './escalation-harness';
import { TOPICS, testSettings } from './support';

const definition = testDefinition();
const EPISODE = new Date('2024-10-02T17:04:40.989Z');
const settings = testSettings({
  severities: {
    aliases: { P0: 'critical', P1: 'high', P2: 'medium', P3: 'low' },
    critical: { escalateAfter: '15m', repeatEvery: '30m' },
    high: { escalateAfter: '30m', repeatEvery: '1h', promoteAfter: '45m' },
    medium: { notify: 'team', escalateAfter: '2h', repeatEvery: '4h', promoteAfter: '1h', promoteTo: 'P1' },
    low: { notify: 'lead', escalateAfter: '12h', repeatEvery: '24h' },
  },
});

function factsOf(severity: Severity): AlarmFacts {
  return {
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
    reason: 'Threshold Crossed',
  };
}

function input(severity: Severity) {
  const facts = factsOf(severity);
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
  );
}

const subjects = (run: { publishes: { Subject: string }[] }) => run.publishes.map((p) => p.Subject);
const topics = (run: { publishes: { TopicArn: string }[] }) => run.publishes.map((p) => p.TopicArn);
const waits = (run: { path: string[] }) =>
  run.path.filter((s) => s === STATE.waitEscalate || s === STATE.waitRepeat || s === STATE.waitPromote);

describe('promoteAfter (aws-local-stepfunctions)', () => {
  it('the definition with promotion states is valid ASL', () => {
    expect(validateAsl(definition)).toEqual([]);
  });

  it('P1 → P0 after 45 min: cuts the wait short, re-pages P0’s first level, continues with P0’s timings', async () => {
    const i = input('high');
    expect(i.promotion).toMatchObject({
      severity: 'critical',
      afterSeconds: 2700,
      at: '2024-10-02T17:49:40.989Z',
      escalateAfterSeconds: 900,
      repeatEverySeconds: 1800,
      count: 3,
    });
    expect(i.promotion?.steps[0]?.subject).toBe(
      '[P0] shop - api health check failing - raised from P1 after 45 min',
    );
    const run = await runEscalation(definition, i, { states: ['ALARM'], maxPublishes: 5 });
    expect(subjects(run)).toEqual([
      i.steps[1]?.subject, // P1's second level at 30 min
      i.promotion?.steps[0]?.subject, // raised at 45 min: P0's first level
      i.promotion?.steps[1]?.subject,
      i.promotion?.steps[2]?.subject,
      // the raised severity's reminder, rendered again by the router with the fresh value
      i.promotion?.reminder.subject.replace('(reminder every', '(reminder 1, every'),
    ]);
    expect(topics(run)).toEqual([TOPICS[1], TOPICS[0], TOPICS[1], TOPICS[2], TOPICS[2]]);
    // 30 min (P1 escalateAfter), then 15 min to the promotion instead of P1's next 30, then P0's 15 min steps.
    expect(waits(run)).toEqual([
      STATE.waitEscalate,
      STATE.waitPromote,
      STATE.waitEscalate,
      STATE.waitEscalate,
      STATE.waitRepeat,
    ]);
  });

  it('an acknowledgement before the promotion stops it: nobody is paged at the raised severity', async () => {
    const run = await runEscalation(definition, input('high'), {
      states: ['ALARM'],
      ack: { fromCheck: 2, at: '2024-10-02T17:40:00.000Z' },
    });
    expect(run.end).toBe(STATE.acknowledged);
    expect(topics(run)).toEqual([TOPICS[1]]);
    expect(run.path).not.toContain(STATE.promoteLast);
  });

  it('recovery before the promotion stops it', async () => {
    const run = await runEscalation(definition, input('high'), { states: ['ALARM', 'OK'] });
    expect(run.end).toBe(STATE.resolved);
    expect(topics(run)).toEqual([TOPICS[1]]);
  });

  it('chains: P2 → P1 after 1 h → P0 45 min later, each re-paging its first level', async () => {
    const i = input('medium');
    expect(i.promotion).toMatchObject({ severity: 'high', afterSeconds: 3600 });
    expect(i.promotion?.promotion).toMatchObject({
      severity: 'critical',
      afterSeconds: 6300,
      at: '2024-10-02T18:49:40.989Z',
    });
    const run = await runEscalation(definition, i, { states: ['ALARM'], maxPublishes: 4 });
    expect(subjects(run).map((s) => s.slice(0, 4))).toEqual(['[P1]', '[P1]', '[P0]', '[P0]']);
    expect(topics(run)).toEqual([TOPICS[0], TOPICS[1], TOPICS[0], TOPICS[1]]);
    expect(waits(run)).toEqual([
      STATE.waitPromote,
      STATE.waitEscalate,
      STATE.waitPromote,
      STATE.waitEscalate,
    ]);
    expect(run.path).toContain(STATE.promoteChained);
    expect(run.path).toContain(STATE.promoteLast);
  });

  it('the first e-mail lists the levels before the promotion, then the promotion, in the plan', () => {
    const plan = escalationPlan(settings, 'high', EPISODE);
    const facts = { ...factsOf('high') };
    const email = renderAlarm(facts, plan, { timeZone: 'UTC', aliases: settings.aliases }).email;
    expect(email).toContain(
      [
        'Escalation:',
        '  now      17:04  team (e-mail)',
        '  +30 min  17:34  oncall (SMS)',
        '  +45 min  17:49  raised to P0: its first level is paged again',
      ].join('\n'),
    );
    expect(email).not.toContain('lead (');
  });

  it('a severity without promoteAfter never raises', async () => {
    const i = input('low');
    expect(i.promotion).toBeUndefined();
    const run = await runEscalation(definition, i, { states: ['ALARM'], maxPublishes: 2 });
    expect(topics(run)).toEqual([TOPICS[2], TOPICS[2]]);
  });
});
