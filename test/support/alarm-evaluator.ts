/**
 * A small, test-side model of how CloudWatch evaluates a metric alarm, so that tests can replay the
 * datapoints the real job cores emit over simulated minutes and days and see when each alarm of the
 * synthesized template would change state. It models, from the CloudWatch User Guide:
 *
 * 1. Period and statistic — each alarm datapoint is one statistic (Sum, Average, Minimum, Maximum,
 *    SampleCount, pNN) over the raw values published in one period; a period with no raw value is a
 *    missing datapoint. Periods are aligned to multiples of the period since the epoch.
 *    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Statistic
 *    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-evaluation.html
 * 2. EvaluationPeriods (N), DatapointsToAlarm (M), ComparisonOperator and Threshold — ALARM when M of
 *    the N datapoints evaluated breach the threshold, OK otherwise; the breaching points need not be
 *    consecutive. Only complete periods are evaluated; the model evaluates once a minute.
 *    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-evaluation.html#alarm-evaluation-settings
 * 3. Evaluation range and TreatMissingData ("How alarm state is evaluated when data is missing"):
 *    CloudWatch retrieves more datapoints than N — the evaluation range — and
 *    - if at least N of them are real, the most recent N real ones are evaluated and the missing-data
 *      setting is not used;
 *    - if fewer than N are real, every real one in the range is evaluated (however old) plus as few
 *      filled-in points as make N: `breaching` fills breach, `notBreaching` fills do not, `missing`
 *      and `ignore` fills count for nothing;
 *    - if none is real: missing → INSUFFICIENT_DATA, ignore → the current state is kept,
 *      breaching → ALARM, notBreaching → OK.
 *    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
 *    The guide gives the range only by example (N = 3 → 5 datapoints) and says it depends on the
 *    period; the model uses N + 2 (`evaluationRange` overrides it). This is the rule that makes a
 *    sparse metric alarm late: a real non-breaching point keeps the alarm OK until it leaves the range.
 * 4. Premature ALARM ("Avoiding premature transitions to alarm state"): with fewer real datapoints
 *    than M, the alarm still goes to ALARM when, within the last N periods, the oldest breaching
 *    datapoint is at least M periods old and every more recent one breaches or is missing. The guide's
 *    tables show `ignore` keeping the current state in that case. (Its prose says "at least as old as
 *    Evaluation Periods" for M of N; its table row "- - - X -", 2 of 3, goes to ALARM, so M is used.)
 *    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html#CloudWatch-alarms-avoiding-premature-transition
 * 5. Metric math: the alarm's series is the expression with ReturnData true, over the same periods.
 *    Supported: numbers, metric ids, + - * /, comparisons (< <= > >= == !=, 1 or 0), AND/&&, OR/||,
 *    NOT/!, IF(condition, a[, b]) and FILL(series, value). Arithmetic with a missing operand is
 *    missing. FILL replaces missing datapoints with the value within the retrieved range; a series
 *    with no datapoint at all in that range stays empty (then TreatMissingData applies to the
 *    expression, as for any alarm).
 *    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
 *    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create-alarm-on-metric-math-expression.html
 * 6. Limits the constructs must respect: Period × EvaluationPeriods at most one day for periods under
 *    an hour, at most seven days for periods of an hour or more; a period of 10, 20, 30 s or a multiple
 *    of 60 s (`assertWithinLimits`).
 *    https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
 * 7. High resolution. A value published with StorageResolution 1 keeps its timestamp to the second; a
 *    standard-resolution value (the default, 60) is stored at one-minute granularity, so the model
 *    files it under the start of its minute. An alarm with a 10, 20 or 30 s period (a high-resolution
 *    alarm) is evaluated every 10 s; other alarms once a minute. PutMetricAlarm: "If you specify a
 *    period of 10, 20, or 30 for a metric that does not have sub-minute resolution, the alarm still
 *    attempts to gather data at the period rate that you specify. In this case, it does not receive
 *    data for the attempts that do not correspond to a one-minute data resolution"; the User Guide
 *    (AlarmThatSendsEmail.html): "If the alarm period is 10 seconds or 30 seconds, the alarm is
 *    evaluated every 10 seconds."
 *    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Resolution_definition
 *    FILL(series, REPEAT) (rule 5) fills a missing datapoint with the most recent real one before it in
 *    the retrieved range; missing points before the first real one stay missing.
 *
 * Not modelled: anomaly detection, composite alarms, percentile low-sample handling, metric arrival
 * delays.
 */

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export type TreatMissingData = 'missing' | 'ignore' | 'breaching' | 'notBreaching';
export type Comparison =
  | 'GreaterThanThreshold'
  | 'GreaterThanOrEqualToThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';

/** One metric an alarm reads: its identity and the statistic over each period. */
export interface MetricStat {
  readonly key: string;
  readonly stat: string;
}

export interface MetricQuery {
  readonly id: string;
  readonly metric?: MetricStat | undefined;
  readonly expression?: string | undefined;
  readonly returnData: boolean;
}

export interface AlarmSpec {
  readonly name: string;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparison: Comparison;
  readonly treatMissingData: TreatMissingData;
  readonly queries: readonly MetricQuery[];
  /** Datapoints retrieved per evaluation. @default evaluationPeriods + 2 */
  readonly evaluationRange?: number;
}

const MINUTE = 60_000;

/** The identity CloudWatch matches exactly: namespace, name and the whole dimension set. */
export function metricKey(
  namespace: string,
  name: string,
  dimensions: Readonly<Record<string, string>>,
): string {
  const dims = Object.entries(dimensions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${namespace}/${name}{${dims}}`;
}

/** Raw published values per metric key. */
export class MetricStore {
  private readonly series = new Map<string, { time: number; value: number }[]>();

  /**
   * One published value. `resolution` is its StorageResolution: 60 (standard, the default) files it
   * under the start of its minute, 1 keeps the second it was stamped with (rule 7).
   */
  put(key: string, time: number, value: number, resolution: 1 | 60 = 60): void {
    const list = this.series.get(key) ?? [];
    const stored = resolution === 1 ? Math.floor(time / 1000) * 1000 : Math.floor(time / MINUTE) * MINUTE;
    list.push({ time: stored, value });
    this.series.set(key, list);
  }

  valuesIn(key: string, from: number, to: number): number[] {
    return (this.series.get(key) ?? []).filter((p) => p.time >= from && p.time < to).map((p) => p.value);
  }

  keys(): string[] {
    return [...this.series.keys()];
  }
}

/** One statistic over the raw values of a period; undefined when the period has none. */
export function statistic(stat: string, values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sum = values.reduce((a, b) => a + b, 0);
  switch (stat) {
    case 'Sum':
      return sum;
    case 'Average':
      return sum / values.length;
    case 'Minimum':
      return Math.min(...values);
    case 'Maximum':
      return Math.max(...values);
    case 'SampleCount':
      return values.length;
  }
  const percentile = /^p(\d+(?:\.\d+)?)$/.exec(stat);
  if (!percentile) throw new Error(`statistic ${stat} is not modelled`);
  // nearest rank
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((Number(percentile[1]) / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)];
}

export function breaches(spec: Pick<AlarmSpec, 'comparison' | 'threshold'>, value: number): boolean {
  switch (spec.comparison) {
    case 'GreaterThanThreshold':
      return value > spec.threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= spec.threshold;
    case 'LessThanThreshold':
      return value < spec.threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= spec.threshold;
  }
}

export function evaluationRange(spec: AlarmSpec): number {
  return spec.evaluationRange ?? spec.evaluationPeriods + 2;
}

export interface Decision {
  readonly state: AlarmState;
  readonly reason: string;
}

/**
 * The state after one evaluation of `window` (the evaluation range, oldest first; undefined =
 * missing), following rules 2–4 of the header.
 */
export function decide(
  spec: Omit<AlarmSpec, 'queries' | 'name' | 'periodSeconds'>,
  window: readonly (number | undefined)[],
  current: AlarmState,
): Decision {
  const n = spec.evaluationPeriods;
  const m = spec.datapointsToAlarm;
  const real = window.filter((v): v is number => v !== undefined);
  const breach = (v: number) => breaches(spec, v);
  if (real.length === 0) {
    switch (spec.treatMissingData) {
      case 'missing':
        return { state: 'INSUFFICIENT_DATA', reason: 'no datapoint in the evaluation range' };
      case 'ignore':
        return { state: current, reason: 'no datapoint; missing data ignored' };
      case 'breaching':
        return { state: 'ALARM', reason: `${n} missing datapoints treated as breaching` };
      case 'notBreaching':
        return { state: 'OK', reason: `${n} missing datapoints treated as not breaching` };
    }
  }
  if (real.length >= n) {
    const count = real.slice(-n).filter(breach).length;
    return {
      state: count >= m ? 'ALARM' : 'OK',
      reason: `${count} of the last ${n} datapoints breach (${m} needed)`,
    };
  }
  const fills = n - real.length;
  const realBreaching = real.filter(breach).length;
  if (spec.treatMissingData === 'breaching' || spec.treatMissingData === 'notBreaching') {
    const count = realBreaching + (spec.treatMissingData === 'breaching' ? fills : 0);
    return {
      state: count >= m ? 'ALARM' : 'OK',
      reason: `${realBreaching} of ${real.length} real datapoints breach, ${fills} filled as ${spec.treatMissingData} (${m} needed)`,
    };
  }
  if (realBreaching >= m) {
    return { state: 'ALARM', reason: `${realBreaching} of ${real.length} real datapoints breach` };
  }
  if (real.length < m && prematureAlarm(window.slice(-n), m, breach)) {
    return spec.treatMissingData === 'missing'
      ? { state: 'ALARM', reason: 'breaching datapoint followed only by missing ones (premature ALARM rule)' }
      : { state: current, reason: 'breaching datapoint followed only by missing ones; missing data ignored' };
  }
  return { state: 'OK', reason: `${realBreaching} of ${real.length} real datapoints breach (${m} needed)` };
}

function prematureAlarm(
  lastN: readonly (number | undefined)[],
  m: number,
  breach: (v: number) => boolean,
): boolean {
  const oldest = lastN.findIndex((v) => v !== undefined && breach(v));
  if (oldest < 0) return false;
  const age = lastN.length - oldest;
  return age >= m && lastN.slice(oldest + 1).every((v) => v === undefined || breach(v));
}

/** The alarm's datapoints for `count` complete periods ending at `end` (oldest first). */
export function alarmSeries(
  spec: AlarmSpec,
  store: MetricStore,
  end: number,
  count: number,
): (number | undefined)[] {
  const periodMs = spec.periodSeconds * 1000;
  const starts = Array.from({ length: count }, (_, i) => end - (count - i) * periodMs);
  const series = new Map<string, (number | undefined)[]>();
  for (const query of spec.queries) {
    if (query.metric) {
      const { key, stat } = query.metric;
      series.set(
        query.id,
        starts.map((s) => statistic(stat, store.valuesIn(key, s, s + periodMs))),
      );
    }
  }
  const returned = spec.queries.filter((q) => q.returnData);
  if (returned.length !== 1) throw new Error(`${spec.name}: exactly one query must return data`);
  const [result] = returned as [MetricQuery];
  if (result.metric) return series.get(result.id) ?? [];
  return evaluateExpression(result.expression ?? '', series, count);
}

export interface Transition {
  readonly time: number;
  readonly from: AlarmState;
  readonly to: AlarmState;
  readonly reason: string;
}

/** How often CloudWatch evaluates the alarm: every 10 s for a 10/20/30 s period, else every minute. */
export function evaluationEveryMs(spec: Pick<AlarmSpec, 'periodSeconds'>): number {
  return spec.periodSeconds < 60 ? 10_000 : MINUTE;
}

/**
 * Evaluates the alarm every evaluationEveryMs from `from` to `to` (epoch ms) and returns its state
 * changes. Alarms start in INSUFFICIENT_DATA, as CloudWatch creates them.
 */
export function simulate(
  spec: AlarmSpec,
  store: MetricStore,
  from: number,
  to: number,
  initial: AlarmState = 'INSUFFICIENT_DATA',
): Transition[] {
  const periodMs = spec.periodSeconds * 1000;
  const range = evaluationRange(spec);
  const transitions: Transition[] = [];
  let state = initial;
  let lastEnd = Number.NaN;
  const every = evaluationEveryMs(spec);
  for (let t = Math.ceil(from / every) * every; t <= to; t += every) {
    const end = Math.floor(t / periodMs) * periodMs;
    // a new evaluation only changes anything once another period is complete
    if (end === lastEnd) continue;
    lastEnd = end;
    const decision = decide(spec, alarmSeries(spec, store, end, range), state);
    if (decision.state !== state) {
      transitions.push({ time: t, from: state, to: decision.state, reason: decision.reason });
      state = decision.state;
    }
  }
  return transitions;
}

/** Throws when the alarm asks CloudWatch for more history than PutMetricAlarm accepts (rule 6). */
export function assertWithinLimits(spec: AlarmSpec): void {
  const total = spec.periodSeconds * spec.evaluationPeriods;
  const max = spec.periodSeconds >= 3600 ? 7 * 86_400 : 86_400;
  if (total > max) {
    throw new Error(`${spec.name}: ${spec.evaluationPeriods} × ${spec.periodSeconds} s exceeds ${max} s`);
  }
  if (spec.datapointsToAlarm > spec.evaluationPeriods) {
    throw new Error(`${spec.name}: DatapointsToAlarm exceeds EvaluationPeriods`);
  }
  if (![10, 20, 30].includes(spec.periodSeconds) && spec.periodSeconds % 60 !== 0) {
    throw new Error(
      `${spec.name}: a period of ${spec.periodSeconds} s is not 10, 20, 30 or a multiple of 60`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Metric math (rule 5)
// ---------------------------------------------------------------------------------------------

type Value = number | (number | undefined)[];

type Token = { kind: 'num'; value: number } | { kind: 'id'; value: string } | { kind: 'op'; value: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(&&|\|\||<=|>=|==|!=|[-+*/(),<>!]))/y;
  let index = 0;
  while (index < expression.length) {
    if (/^\s*$/.test(expression.slice(index))) break;
    re.lastIndex = index;
    const match = re.exec(expression);
    if (!match) throw new Error(`metric math: cannot read "${expression.slice(index)}"`);
    index = re.lastIndex;
    if (match[1] !== undefined) tokens.push({ kind: 'num', value: Number(match[1]) });
    else if (match[2] !== undefined) tokens.push({ kind: 'id', value: match[2] });
    else tokens.push({ kind: 'op', value: match[3] ?? '' });
  }
  return tokens;
}

export function evaluateExpression(
  expression: string,
  series: ReadonlyMap<string, (number | undefined)[]>,
  length: number,
): (number | undefined)[] {
  const tokens = tokenize(expression);
  let pos = 0;
  const peek = () => tokens[pos];
  const isOp = (value: string) => {
    const token = peek();
    return token !== undefined && token.kind !== 'num' && token.value.toUpperCase() === value;
  };
  const expect = (value: string) => {
    if (!isOp(value)) throw new Error(`metric math: expected "${value}" in "${expression}"`);
    pos++;
  };
  const lift = (v: Value): (number | undefined)[] => (typeof v === 'number' ? Array(length).fill(v) : v);
  const zip = (a: Value, b: Value, f: (x: number, y: number) => number): Value => {
    if (typeof a === 'number' && typeof b === 'number') return f(a, b);
    const la = lift(a);
    const lb = lift(b);
    return la.map((x, i) => {
      const y = lb[i];
      return x === undefined || y === undefined ? undefined : f(x, y);
    });
  };
  const bool = (x: boolean) => (x ? 1 : 0);
  const binary: Record<string, (x: number, y: number) => number> = {
    '+': (x, y) => x + y,
    '-': (x, y) => x - y,
    '*': (x, y) => x * y,
    '/': (x, y) => x / y,
    '<': (x, y) => bool(x < y),
    '<=': (x, y) => bool(x <= y),
    '>': (x, y) => bool(x > y),
    '>=': (x, y) => bool(x >= y),
    '==': (x, y) => bool(x === y),
    '!=': (x, y) => bool(x !== y),
    AND: (x, y) => bool(x !== 0 && y !== 0),
    '&&': (x, y) => bool(x !== 0 && y !== 0),
    OR: (x, y) => bool(x !== 0 || y !== 0),
    '||': (x, y) => bool(x !== 0 || y !== 0),
  };
  const levels = [
    ['OR', '||'],
    ['AND', '&&'],
    ['==', '!=', '<', '<=', '>', '>='],
    ['+', '-'],
    ['*', '/'],
  ];

  const level = (i: number): Value => {
    if (i === levels.length) return unary();
    let left = level(i + 1);
    for (;;) {
      const op = (levels[i] ?? []).find(isOp);
      if (!op) return left;
      pos++;
      const fn = binary[op];
      if (!fn) throw new Error(`metric math: operator ${op}`);
      left = zip(left, level(i + 1), fn);
    }
  };
  const unary = (): Value => {
    if (isOp('-')) {
      pos++;
      return zip(0, unary(), (x, y) => x - y);
    }
    if (isOp('!') || isOp('NOT')) {
      pos++;
      return zip(0, unary(), (_x, y) => bool(y === 0));
    }
    return primary();
  };
  const args = (): Value[] => {
    expect('(');
    const out = [level(0)];
    while (isOp(',')) {
      pos++;
      out.push(level(0));
    }
    expect(')');
    return out;
  };
  const primary = (): Value => {
    const token = peek();
    if (!token) throw new Error(`metric math: "${expression}" ends early`);
    pos++;
    if (token.kind === 'num') return token.value;
    if (token.kind === 'op') {
      if (token.value !== '(') throw new Error(`metric math: unexpected "${token.value}"`);
      const inner = level(0);
      expect(')');
      return inner;
    }
    const name = token.value.toUpperCase();
    if (name === 'FILL') {
      expect('(');
      const target = level(0);
      expect(',');
      const fill = peek();
      if (fill?.kind === 'id' && fill.value.toUpperCase() === 'REPEAT') {
        pos++;
        expect(')');
        let previous: number | undefined;
        return lift(target).map((v) => {
          if (v !== undefined) previous = v;
          return v ?? previous;
        });
      }
      const value = level(0);
      expect(')');
      if (typeof value !== 'number') {
        throw new Error('metric math: FILL(series, number) and FILL(series, REPEAT) are the forms modelled');
      }
      const values = lift(target);
      // no datapoint at all in the retrieved range: nothing to fill between
      if (values.every((v) => v === undefined)) return values;
      return values.map((v) => v ?? value);
    }
    if (name === 'IF') {
      const [condition, whenTrue, whenFalse] = args();
      if (condition === undefined || whenTrue === undefined)
        throw new Error('metric math: IF needs two arguments');
      const c = lift(condition);
      const t = lift(whenTrue);
      const f = whenFalse === undefined ? undefined : lift(whenFalse);
      return c.map((x, i) => (x === undefined ? undefined : x !== 0 ? t[i] : f?.[i]));
    }
    const values = series.get(token.value);
    if (!values) throw new Error(`metric math: unknown id "${token.value}" in "${expression}"`);
    return values;
  };

  const result = level(0);
  if (pos !== tokens.length) throw new Error(`metric math: trailing input in "${expression}"`);
  return lift(result);
}

// ---------------------------------------------------------------------------------------------
// From a synthesized template
// ---------------------------------------------------------------------------------------------

/** Dimension values as the template has them: strings, { Ref } or { Fn::GetAtt }. */
export function dimensionValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const ref = (value as { Ref?: unknown }).Ref;
    if (typeof ref === 'string') return ref;
    const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return getAtt.join('.');
  }
  throw new Error(`dimension value ${JSON.stringify(value)} is not modelled`);
}

interface TemplateDimension {
  readonly Name: string;
  readonly Value: unknown;
}

function dimensionsOf(list: readonly TemplateDimension[] | undefined): Record<string, string> {
  return Object.fromEntries((list ?? []).map((d) => [d.Name, dimensionValue(d.Value)]));
}

interface TemplateMetricQuery {
  readonly Id: string;
  readonly Expression?: string;
  readonly ReturnData?: boolean;
  readonly MetricStat?: {
    readonly Metric: {
      readonly Namespace: string;
      readonly MetricName: string;
      readonly Dimensions?: TemplateDimension[];
    };
    readonly Period: number;
    readonly Stat: string;
  };
  readonly Period?: number;
}

/** The properties of an AWS::CloudWatch::Alarm resource, as synthesized. */
export interface TemplateAlarm {
  readonly AlarmName: string;
  readonly ComparisonOperator: Comparison;
  readonly Threshold: number;
  readonly EvaluationPeriods: number;
  readonly DatapointsToAlarm?: number;
  readonly TreatMissingData?: TreatMissingData;
  readonly Namespace?: string;
  readonly MetricName?: string;
  readonly Dimensions?: TemplateDimension[];
  readonly Statistic?: string;
  readonly ExtendedStatistic?: string;
  readonly Period?: number;
  readonly Metrics?: TemplateMetricQuery[];
}

export function alarmFromTemplate(props: TemplateAlarm): AlarmSpec {
  const common = {
    name: props.AlarmName,
    evaluationPeriods: props.EvaluationPeriods,
    datapointsToAlarm: props.DatapointsToAlarm ?? props.EvaluationPeriods,
    threshold: props.Threshold,
    comparison: props.ComparisonOperator,
    treatMissingData: props.TreatMissingData ?? 'missing',
  };
  if (props.Metrics) {
    const periods = props.Metrics.map((q) => q.MetricStat?.Period ?? q.Period).filter(
      (p): p is number => p !== undefined,
    );
    const [period] = periods;
    if (period === undefined || periods.some((p) => p !== period)) {
      throw new Error(`${props.AlarmName}: every metric of a math alarm must use the same period`);
    }
    return {
      ...common,
      periodSeconds: period,
      queries: props.Metrics.map((q) => ({
        id: q.Id,
        returnData: q.ReturnData ?? true,
        expression: q.Expression,
        metric: q.MetricStat
          ? {
              key: metricKey(
                q.MetricStat.Metric.Namespace,
                q.MetricStat.Metric.MetricName,
                dimensionsOf(q.MetricStat.Metric.Dimensions),
              ),
              stat: q.MetricStat.Stat,
            }
          : undefined,
      })),
    };
  }
  const stat = props.Statistic ?? props.ExtendedStatistic;
  if (!props.Namespace || !props.MetricName || !stat || props.Period === undefined) {
    throw new Error(`${props.AlarmName}: neither a metric nor metric math`);
  }
  return {
    ...common,
    periodSeconds: props.Period,
    queries: [
      {
        id: 'm',
        returnData: true,
        metric: { key: metricKey(props.Namespace, props.MetricName, dimensionsOf(props.Dimensions)), stat },
      },
    ],
  };
}
