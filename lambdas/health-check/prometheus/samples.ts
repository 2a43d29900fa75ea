/**
 * A scraped page as flat samples, the way PromQL sees them: a histogram `x` becomes x_bucket{le=…},
 * x_sum and x_count; a summary becomes x{quantile=…}, x_sum and x_count. So a rule reads the same
 * series whether or not the endpoint wrote `# TYPE` lines. Parsing: parse-prometheus-text-format.
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import type { Selector } from '../../../lib/config/prometheus';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The page is not the Prometheus text format. */
export class NotPrometheusText extends Error {
  constructor(detail: string) {
    super(`not the Prometheus text format: ${detail}`);
    this.name = 'NotPrometheusText';
  }
}

/** Prometheus writes +Inf, -Inf and NaN; Number() reads Infinity but not "+Inf". */
export function sampleValue(text: string | undefined): number {
  if (text === undefined) return Number.NaN;
  const trimmed = text.trim();
  if (trimmed === '+Inf' || trimmed === 'Inf') return Number.POSITIVE_INFINITY;
  if (trimmed === '-Inf') return Number.NEGATIVE_INFINITY;
  return trimmed === '' ? Number.NaN : Number(trimmed);
}

/**
 * Parses a page into samples. Comment lines (# HELP, # TYPE) are dropped before the parser sees them:
 * given `# TYPE x histogram` or `summary`, parse-prometheus-text-format 1.1.1 merges every series of the
 * family into one and drops their labels and _sum/_count (flattenMetrics), while untyped lines come
 * back one sample each with all labels — the flat view rules need anyway. The page also gets a final
 * empty line: without one the parser drops the last sample line.
 */
export function parseSamples(text: string): Sample[] {
  let families: ReturnType<typeof parsePrometheusTextFormat>;
  try {
    families = parsePrometheusTextFormat(withoutComments(text));
  } catch (error) {
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    throw new NotPrometheusText(excerpt(message));
  }
  const samples: Sample[] = [];
  // the parser takes any first word for a name and any second for a value (an HTML page parses)
  const push = (name: string, labels: Record<string, string>, value: string | undefined) => {
    if (value === undefined) return;
    if (!METRIC_NAME.test(name) || !FLOAT.test(value.trim()))
      throw new NotPrometheusText(`"${excerpt(`${name} ${value}`)}" is not a sample line`);
    samples.push({ name, labels, value: sampleValue(value) });
  };
  for (const family of families) {
    for (const metric of family.metrics) {
      const labels = { ...(metric.labels ?? {}) };
      if ('buckets' in metric) {
        for (const [le, count] of Object.entries(metric.buckets))
          push(`${family.name}_bucket`, { ...labels, le }, count);
        push(`${family.name}_sum`, labels, metric.sum);
        push(`${family.name}_count`, labels, metric.count);
      } else if ('quantiles' in metric) {
        for (const [quantile, value] of Object.entries(metric.quantiles))
          push(family.name, { ...labels, quantile }, value);
        push(`${family.name}_sum`, labels, metric.sum);
        push(`${family.name}_count`, labels, metric.count);
      } else {
        push(family.name, labels, metric.value);
      }
    }
  }
  return samples;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** A Go ParseFloat literal as the format allows: decimal or exponent, ±Inf, NaN. */
const FLOAT = /^[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|Inf|NaN)$/;

function excerpt(text: string): string {
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

function withoutComments(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .concat('')
    .join('\n');
}

/** `name{a="1",b="2"}` with labels sorted: the identity of a series across scrapes. */
export function seriesKey(name: string, labels: Readonly<Record<string, string>>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((key) => `${key}=${JSON.stringify(labels[key])}`);
  return `${name}{${parts.join(',')}}`;
}

/** A selector compiled once: metric name and anchored label matchers (absent label = ""). */
export interface Matcher {
  readonly metric: string;
  matches(sample: Sample): boolean;
}

export function compileSelector(selector: Selector, suffix = ''): Matcher {
  const { metric, labels } =
    typeof selector === 'string'
      ? { metric: selector, labels: {} }
      : { ...selector, labels: selector.labels };
  const tests = Object.entries(labels ?? {}).map(([name, matcher]) => {
    const negate = typeof matcher !== 'string';
    const re = new RegExp(`^(?:${typeof matcher === 'string' ? matcher : matcher.not})$`);
    return (sample: Sample) => re.test(sample.labels[name] ?? '') !== negate;
  });
  const name = `${metric}${suffix}`;
  return {
    metric: name,
    matches: (sample) => sample.name === name && tests.every((test) => test(sample)),
  };
}

/** "http_requests_total{code=~"5.."}" — a selector as a person reads it, for details and summaries. */
export function describeSelector(selector: Selector): string {
  if (typeof selector === 'string') return selector;
  const parts = Object.entries(selector.labels ?? {}).map(([name, matcher]) =>
    typeof matcher === 'string'
      ? `${name}${/[\\^$.|?*+()[\]{}]/.test(matcher) ? '=~' : '='}"${matcher}"`
      : `${name}!~"${matcher.not}"`,
  );
  return parts.length ? `${selector.metric}{${parts.join(',')}}` : selector.metric;
}
