/**
 * Types for parse-prometheus-text-format 1.1.1 (the package ships none): it parses the Prometheus text
 * exposition format into metric families, with every number kept as the string it was written as.
 */
declare module 'parse-prometheus-text-format' {
  interface Labels {
    readonly [name: string]: string;
  }
  /** A counter, gauge or untyped sample. */
  interface ValueSample {
    readonly value: string;
    readonly labels?: Labels;
    readonly timestamp_ms?: string;
  }
  /** A histogram series (its labels without `le`): cumulative bucket counts by upper bound. */
  interface HistogramSample {
    readonly buckets: Readonly<Record<string, string>>;
    readonly count?: string;
    readonly sum?: string;
    readonly labels?: Labels;
  }
  /** A summary series (its labels without `quantile`). */
  interface SummarySample {
    readonly quantiles: Readonly<Record<string, string>>;
    readonly count?: string;
    readonly sum?: string;
    readonly labels?: Labels;
  }
  interface MetricFamily {
    readonly name: string;
    readonly help: string;
    readonly type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    readonly metrics: readonly (ValueSample | HistogramSample | SummarySample)[];
  }
  /** Throws an Error on input that is not the text format. */
  function parsePrometheusTextFormat(text: string): MetricFamily[];
  export = parsePrometheusTextFormat;
}
