/**
 * The `prometheus` health check kind's config: an endpoint in the Prometheus text exposition format and
 * alert rules over it, in a small YAML language (not PromQL). Each rule's expression is one of
 *
 *   gauge: <selector>                     current value, summed over the matching series
 *   rate: <selector>                      per-second increase of counters since the previous scrape
 *   quantile: { q, histogram: <selector> } histogram_quantile over the buckets' increase since then
 *   sum: [<expr>, …]                      sum of gauge/rate/quantile terms
 *   ratio: { numerator, denominator }     one term or sum divided by another
 *
 * where a selector is a metric name or { metric, labels: { name: regex | { not: regex } } }. Kept out of
 * recursion on purpose: two levels cover sums and ratios and keep the JSON schema and reference finite.
 * Evaluated by lambdas/health-check/prometheus/rules.ts; alarmed by lib/constructs/prometheus-rules.ts.
 */
import { z } from 'zod';
import { duration, headerValue, httpUrl, severity } from './primitives';

const obj = z.strictObject;

/** Prometheus metric and label names (the data model's grammar). */
export const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** A rule name: a dimension value and part of an alarm name, so letters, digits, _ and - only. */
export const RULE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

const regex = (what: string) =>
  z
    .string()
    .describe(what)
    .refine(
      (value) => {
        try {
          new RegExp(`^(?:${value})$`);
          return true;
        } catch {
          return false;
        }
      },
      {
        message:
          'not a valid regular expression — check its brackets and escape special characters, e.g. 5\\d\\d or /api/v1\\.0',
      },
    );

const metricName = z
  .string()
  .regex(METRIC_NAME, {
    message: 'not a Prometheus metric name — letters, digits, _ and :, e.g. http_requests_total',
  })
  .describe('metric name as the endpoint exposes it, e.g. http_requests_total');

const labelMatcher = z.union([
  regex(
    'regular expression the whole label value must match (like PromQL =~); a plain value such as 200 matches exactly',
  ),
  obj({ not: regex('regular expression the label value must not match (like PromQL !~)') }),
]);

export const selectorSchema = z
  .union([
    metricName,
    obj({
      metric: metricName,
      labels: z
        .record(
          z.string().regex(LABEL_NAME, {
            message: 'not a Prometheus label name — letters, digits and _, e.g. code',
          }),
          labelMatcher,
        )
        .default({})
        .describe('label matchers, e.g. { code: "5.." }; every one must match. @default every series'),
    }),
  ])
  .describe(
    'the series to read: a metric name (every series of it), or { metric, labels } — matching series are summed',
  );

const quantileSchema = obj({
  q: z.number().min(0).max(1).describe('the quantile, 0-1: 0.95 for p95'),
  histogram: selectorSchema.describe(
    'the histogram by its base name (the endpoint exposes <name>_bucket with an le label), with label matchers',
  ),
}).describe(
  'histogram_quantile over the increase of the buckets since the previous scrape, with linear interpolation in the bucket',
);

const TERM_KEYS = ['gauge', 'rate', 'quantile'] as const;

/** Exactly one of `keys` is set; the error names the fields. */
function exactlyOne(keys: readonly string[]) {
  return (value: Record<string, unknown>, ctx: z.RefinementCtx) => {
    const set = keys.filter((key) => value[key] !== undefined);
    if (set.length === 1) return;
    ctx.addIssue({
      code: 'custom',
      message:
        set.length === 0
          ? `give one of ${keys.join(', ')}`
          : `give only one of ${keys.join(', ')} — found ${set.join(' and ')}`,
    });
  };
}

const termFields = {
  gauge: selectorSchema.optional().describe('current value of a gauge (summed over the matching series)'),
  rate: selectorSchema
    .optional()
    .describe(
      'per-second rate of a counter between the previous scrape and this one; a counter that went down was reset and its new value is the increase',
    ),
  quantile: quantileSchema.optional(),
};

const termSchema = obj(termFields)
  .superRefine(exactlyOne(TERM_KEYS))
  .describe('one of gauge, rate or quantile');

const sumSchema = obj({
  ...termFields,
  sum: z.array(termSchema).min(2).optional().describe('the sum of these terms; no value if one has none'),
})
  .superRefine(exactlyOne([...TERM_KEYS, 'sum']))
  .describe('a term (gauge, rate, quantile) or a sum of terms');

export const ruleExprSchema = obj({
  ...termFields,
  sum: sumSchema.shape.sum,
  ratio: obj({
    numerator: sumSchema,
    denominator: sumSchema,
  })
    .optional()
    .describe('numerator / denominator; no value while the denominator is 0 or either has no value'),
})
  .superRefine(exactlyOne([...TERM_KEYS, 'sum', 'ratio']))
  .describe(
    'what the rule computes: one of gauge, rate, quantile, sum or ratio; a selector is a metric name or { metric, labels } @details docs/health-check.md#prometheus',
  );

export const WHEN_MISSING = ['ok', 'alarm', 'keep'] as const;

export const prometheusRuleSchema = obj({
  name: z
    .string()
    .regex(RULE_NAME, {
      message: 'a rule name is 1-64 letters, digits, _ or -, starting with a letter, e.g. HighErrorRate',
    })
    .describe('rule name, e.g. HighErrorRate: the metric dimension Rule and part of the alarm name'),
  expr: ruleExprSchema,
  above: z.number().optional().describe('alarm while the value is above this'),
  below: z.number().optional().describe('alarm while the value is below this'),
  for: duration('how long the condition must hold before the alarm fires (0s: at the first value)', {
    max: '1d',
  })
    .optional()
    .describe(
      'how long the condition must hold: that many consecutive check periods must breach (for: 2m on a 1-minute schedule = 2 of 2). @default one period',
    ),
  severity: severity.optional().describe("the alarm's severity. @default the target's severity"),
  whenMissing: z
    .enum(WHEN_MISSING)
    .default('ok')
    .describe(
      'when the rule has no value (first scrape, series gone, denominator 0): ok (the alarm treats it as not breaching, like Prometheus resolving an alert), alarm (breaching) or keep (the alarm keeps its state). @default ok',
    ),
})
  .superRefine((rule, ctx) => {
    if ((rule.above === undefined) === (rule.below === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['above'],
        message:
          rule.above === undefined
            ? 'required — give the threshold as above: <number> or below: <number>'
            : 'give either above or below, not both — write a second rule for the other side',
      });
    }
  })
  .describe('an alert rule: its value is sent as a metric, and an alarm compares it with above/below');

export const prometheusCheckSchema = obj({
  url: httpUrl.describe('the metrics endpoint, e.g. https://app.example.com/metrics'),
  headers: z
    .record(z.string(), headerValue)
    .default({})
    .describe('request headers, e.g. Authorization; secret values come from Secrets Manager or SSM'),
  rules: z
    .array(prometheusRuleSchema)
    .min(1)
    .max(50)
    .describe('alert rules over the scraped metrics; each adds one metric and one alarm'),
})
  .superRefine((check, ctx) => {
    const seen = new Set<string>();
    check.rules.forEach((rule, index) => {
      if (seen.has(rule.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', index, 'name'],
          message: `rule ${rule.name} is defined twice — rule names are unique within a target`,
        });
      }
      seen.add(rule.name);
    });
  })
  .describe(
    'scrape a Prometheus /metrics endpoint and evaluate alert rules over it; only the rule values are sent as metrics',
  );

export type PrometheusCheck = z.output<typeof prometheusCheckSchema>;
export type PrometheusRule = z.output<typeof prometheusRuleSchema>;
export type RuleExpr = z.output<typeof ruleExprSchema>;
export type SumExpr = z.output<typeof sumSchema>;
export type TermExpr = z.output<typeof termSchema>;
export type Selector = z.output<typeof selectorSchema>;
export type WhenMissing = (typeof WHEN_MISSING)[number];
