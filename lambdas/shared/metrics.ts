/**
 * Metrics go out as CloudWatch Embedded Metric Format through Powertools Metrics in Lambda
 * (namespace "Nightshift"), never through PutMetricData on the hot path. Job cores only see this sink.
 */
export const METRICS_NAMESPACE = 'Nightshift';

export type MetricUnit =
  | 'Count'
  | 'Milliseconds'
  | 'Seconds'
  | 'Bytes'
  | 'Percent'
  | 'None'
  | 'Count/Second'
  | 'Bytes/Second';

export interface MetricPoint {
  readonly name: string;
  readonly unit: MetricUnit;
  readonly value: number;
  readonly dimensions: Readonly<Record<string, string>>;
}

export interface MetricsSink {
  /** Records one value; dimensions identify the target, e.g. { Project: 'shop', Target: 'api' }. */
  put(name: string, unit: MetricUnit, value: number, dimensions: Record<string, string>): void;
}

/** Keeps every point, for tests and for CLI summaries. */
export class MemoryMetrics implements MetricsSink {
  readonly points: MetricPoint[] = [];
  put(name: string, unit: MetricUnit, value: number, dimensions: Record<string, string>): void {
    this.points.push({ name, unit, value, dimensions: { ...dimensions } });
  }
  /** Values of one metric, optionally filtered by dimensions. */
  values(name: string, dimensions: Record<string, string> = {}): number[] {
    return this.points
      .filter((p) => p.name === name && Object.entries(dimensions).every(([k, v]) => p.dimensions[k] === v))
      .map((p) => p.value);
  }
}

/** The subset of Powertools' Metrics class the adapter needs. */
export interface PowertoolsMetricsLike {
  singleMetric(): {
    clearDefaultDimensions(): void;
    addDimensions(dimensions: Record<string, string>): void;
    addMetric(name: string, unit: string, value: number): void;
  };
}

/**
 * Adapts Powertools Metrics: each point is one EMF document with exactly the dimension set it was given,
 * so that per-target dimensions do not mix. Powertools adds a `service` default dimension to every
 * document unless told otherwise; CloudWatch matches dimension sets exactly, so an alarm on
 * {Project, Target} would never see a {service, Project, Target} datapoint. The default dimensions are
 * therefore cleared on every single-metric document.
 */
export function powertoolsSink(metrics: PowertoolsMetricsLike): MetricsSink {
  return {
    put(name, unit, value, dimensions) {
      const single = metrics.singleMetric();
      single.clearDefaultDimensions();
      single.addDimensions(dimensions);
      // A single-metric instance publishes on addMetric; publishing again would only log a warning.
      single.addMetric(name, unit, value);
    },
  };
}
