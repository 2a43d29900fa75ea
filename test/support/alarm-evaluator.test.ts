/**
 * The alarm evaluator against the CloudWatch User Guide's own examples: the two tables of
 * "Configuring how CloudWatch alarms treat missing data" (3 of 3 and 2 of 3, evaluation range 5),
 * the premature-ALARM examples, statistics and the metric math the presets use.
 */
import { describe, expect, it } from 'vitest';
import {
  type AlarmSpec,
  type AlarmState,
  alarmFromTemplate,
  assertWithinLimits,
  decide,
  evaluateExpression,
  MetricStore,
  metricKey,
  simulate,
  statistic,
  type TreatMissingData,
} from './alarm-evaluator';

/** "0 - X - X": 0 not breaching, X breaching, - missing; most recent on the right. */
function window(row: string): (number | undefined)[] {
  return row.split(' ').map((c) => (c === '-' ? undefined : c === 'X' ? 1 : 0));
}

const base = { threshold: 0, comparison: 'GreaterThanThreshold' as const, evaluationPeriods: 3 };
const TREATMENTS: TreatMissingData[] = ['missing', 'ignore', 'breaching', 'notBreaching'];
const RETAIN = 'retain';

function outcomes(m: number, row: string, current: AlarmState): string[] {
  return TREATMENTS.map((treatMissingData) => {
    const state = decide({ ...base, datapointsToAlarm: m, treatMissingData }, window(row), current).state;
    return treatMissingData === 'ignore' && state === current ? RETAIN : state;
  });
}

describe('missing data: the guide tables (MISSING, IGNORE, BREACHING, NOT BREACHING)', () => {
  // current state ALARM so that "retain" is told apart from OK, INSUFFICIENT_DATA for the ALARM rows
  it.each([
    ['0 - X - X', ['OK', 'OK', 'OK', 'OK'], 'ALARM'],
    ['0 - - - -', ['OK', 'OK', 'OK', 'OK'], 'ALARM'],
    ['- - - - -', ['INSUFFICIENT_DATA', RETAIN, 'ALARM', 'OK'], 'ALARM'],
    ['0 X X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM'], 'OK'],
    ['- - X - -', ['ALARM', RETAIN, 'ALARM', 'OK'], 'OK'],
  ] as const)('3 of 3: %s', (row, expected, current) => {
    const got = outcomes(3, row, current);
    // "ignore" rows that are OK either way are stated as OK in the guide
    expect(got.map((s, i) => (expected[i] === 'OK' && s === RETAIN && current === 'OK' ? 'OK' : s))).toEqual(
      expected,
    );
  });

  it.each([
    ['0 - X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM'], 'OK'],
    ['0 0 X 0 X', ['ALARM', 'ALARM', 'ALARM', 'ALARM'], 'OK'],
    ['0 - X - -', ['OK', 'OK', 'ALARM', 'OK'], 'ALARM'],
    ['- - - - 0', ['OK', 'OK', 'ALARM', 'OK'], 'ALARM'],
    ['- - - X -', ['ALARM', RETAIN, 'ALARM', 'OK'], 'OK'],
  ] as const)('2 of 3: %s', (row, expected, current) => {
    expect(outcomes(2, row, current)).toEqual(expected);
  });

  it('does not go to ALARM prematurely on "- - - - X" or "- - - X -" (3 of 3, missing)', () => {
    for (const row of ['- - - - X', '- - - X -']) {
      expect(
        decide({ ...base, datapointsToAlarm: 3, treatMissingData: 'missing' }, window(row), 'OK').state,
      ).toBe('OK');
    }
  });

  it("the guide's second row goes to ALARM one evaluation later, when the 0 has left the range", () => {
    const spec = { ...base, datapointsToAlarm: 3, treatMissingData: 'breaching' as const };
    expect(decide(spec, window('0 - - - -'), 'OK').state).toBe('OK');
    expect(decide(spec, window('- - - - -'), 'OK').state).toBe('ALARM');
  });
});

describe('statistics', () => {
  it.each([
    ['Sum', 10],
    ['Average', 2.5],
    ['Minimum', 1],
    ['Maximum', 4],
    ['SampleCount', 4],
    ['p50', 2],
    ['p95', 4],
  ])('%s of 1 2 3 4 is %d', (stat, expected) => {
    expect(statistic(stat, [3, 1, 4, 2])).toBe(expected);
  });

  it('is missing for a period without values, and refuses a statistic it does not model', () => {
    expect(statistic('Sum', [])).toBeUndefined();
    expect(() => statistic('TM(10%:90%)', [1])).toThrow(/not modelled/);
  });
});

describe('metric math', () => {
  const series = new Map([
    ['errors', [undefined, 2, undefined, 5]],
    ['requests', [10, 20, undefined, 50]],
    ['none', [undefined, undefined, undefined, undefined]],
  ]);

  it('100 * FILL(errors, 0) / requests: FILL supplies zeros, a missing divisor stays missing', () => {
    expect(evaluateExpression('100 * FILL(errors, 0) / requests', series, 4)).toEqual([0, 10, undefined, 10]);
  });

  it('FILL of a series without any datapoint in the range stays empty', () => {
    expect(evaluateExpression('FILL(none, 0)', series, 4)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('IF, comparisons and logical operators give 1/0', () => {
    expect(evaluateExpression('IF(requests > 15 AND requests < 40, 1, 0)', series, 4)).toEqual([
      0,
      1,
      undefined,
      0,
    ]);
    expect(evaluateExpression('!(requests >= 20) || requests == 50', series, 4)).toEqual([
      1,
      0,
      undefined,
      1,
    ]);
  });

  it('FILL(series, REPEAT) carries the most recent real value forward; leading gaps stay missing', () => {
    expect(evaluateExpression('FILL(errors, REPEAT)', series, 4)).toEqual([undefined, 2, 2, 5]);
    expect(evaluateExpression('FILL(requests, repeat) / 10', series, 4)).toEqual([1, 2, 2, 5]);
    expect(evaluateExpression('FILL(none, REPEAT)', series, 4)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('names an unknown id and unreadable input', () => {
    expect(() => evaluateExpression('FILL(m2, 0)', series, 4)).toThrow(/unknown id "m2"/);
    expect(() => evaluateExpression('errors $ 2', series, 4)).toThrow(/cannot read/);
  });
});

describe('simulation over a template alarm', () => {
  const spec: AlarmSpec = alarmFromTemplate({
    AlarmName: 'shop-health-api-down',
    ComparisonOperator: 'LessThanThreshold',
    Threshold: 1,
    EvaluationPeriods: 3,
    DatapointsToAlarm: 2,
    TreatMissingData: 'notBreaching',
    Namespace: 'Nightshift',
    MetricName: 'Up',
    Dimensions: [
      { Name: 'Project', Value: 'shop' },
      { Name: 'Target', Value: 'api' },
    ],
    Statistic: 'Minimum',
    Period: 60,
  });
  const key = metricKey('Nightshift', 'Up', { Target: 'api', Project: 'shop' });

  it('goes to ALARM at the second failed minute of 2 of 3 and back to OK once two of three are up', () => {
    const store = new MetricStore();
    for (let minute = 0; minute < 20; minute++) {
      store.put(key, minute * 60_000 + 5_000, minute >= 10 && minute < 13 ? 0 : 1);
    }
    const transitions = simulate(spec, store, 0, 20 * 60_000).map((t) => [t.time / 60_000, t.to]);
    expect(transitions).toEqual([
      [0, 'OK'],
      [12, 'ALARM'],
      [15, 'OK'],
    ]);
  });

  it('does not see a datapoint with one dimension too many', () => {
    const store = new MetricStore();
    const extra = metricKey('Nightshift', 'Up', { Project: 'shop', Target: 'api', service: 'health' });
    for (let minute = 0; minute < 10; minute++) store.put(extra, minute * 60_000, 0);
    expect(simulate(spec, store, 0, 10 * 60_000).map((t) => t.to)).toEqual(['OK']);
  });

  it('rejects more history than PutMetricAlarm allows', () => {
    expect(() => assertWithinLimits({ ...spec, periodSeconds: 3600, evaluationPeriods: 169 })).toThrow(
      /exceeds/,
    );
    expect(() => assertWithinLimits({ ...spec, periodSeconds: 3600, evaluationPeriods: 168 })).not.toThrow();
  });
});

describe('high resolution (rule 7)', () => {
  const key = metricKey('Nightshift', 'Up', { Project: 'shop', Target: 'api' });
  const tenSeconds = (metrics: object[], m: number): AlarmSpec =>
    alarmFromTemplate({
      AlarmName: 'shop-health-api-down',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      EvaluationPeriods: m,
      DatapointsToAlarm: m,
      TreatMissingData: 'notBreaching',
      Metrics: metrics as never,
    });
  const stat = (id: string, returnData: boolean) => ({
    Id: id,
    ReturnData: returnData,
    MetricStat: {
      Metric: {
        Namespace: 'Nightshift',
        MetricName: 'Up',
        Dimensions: [
          { Name: 'Project', Value: 'shop' },
          { Name: 'Target', Value: 'api' },
        ],
      },
      Period: 10,
      Stat: 'Minimum',
    },
  });
  // a check every 10 s, down from 62 s to 102 s: the checks at 70, 80, 90 and 100 s fail
  const checks = (resolution: 1 | 60) => {
    const store = new MetricStore();
    for (let t = 0; t < 180_000; t += 10_000)
      store.put(key, t, t >= 62_000 && t < 102_000 ? 0 : 1, resolution);
    return store;
  };

  it('evaluates a 10 s alarm every 10 s: 3 of 3 fires when the third failed period completes', () => {
    const spec = tenSeconds([stat('up', true)], 3);
    expect(simulate(spec, checks(1), 0, 180_000).map((t) => [t.time / 1000, t.to])).toEqual([
      [0, 'OK'],
      [100, 'ALARM'],
      [120, 'OK'],
    ]);
  });

  it('never fires the same alarm on the same checks sent at standard resolution (one point a minute)', () => {
    const spec = tenSeconds([stat('up', true)], 3);
    expect(simulate(spec, checks(60), 0, 180_000).map((t) => t.to)).toEqual(['OK']);
  });

  it("FILL(up, REPEAT) over sparse checks: every 30 s, 1 of 1 fires when the failed check's period ends", () => {
    const spec = tenSeconds(
      [{ Id: 'e', Expression: 'FILL(up, REPEAT)', ReturnData: true }, stat('up', false)],
      1,
    );
    const store = new MetricStore();
    // down from 31 s to 75 s: the check at 60 s fails, the one at 90 s passes
    for (let t = 0; t < 180_000; t += 30_000) store.put(key, t, t >= 31_000 && t < 75_000 ? 0 : 1, 1);
    expect(simulate(spec, store, 0, 180_000).map((t) => [t.time / 1000, t.to])).toEqual([
      [0, 'OK'],
      [70, 'ALARM'],
      [100, 'OK'],
    ]);
  });

  it('rejects a period CloudWatch does not take', () => {
    const spec = tenSeconds([stat('up', true)], 3);
    expect(() => assertWithinLimits({ ...spec, periodSeconds: 15 })).toThrow(/not 10, 20, 30/);
    for (const periodSeconds of [10, 20, 30, 60, 300])
      expect(() => assertWithinLimits({ ...spec, periodSeconds })).not.toThrow();
  });
});
