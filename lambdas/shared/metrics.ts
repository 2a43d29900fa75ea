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

export interface MetricOptions {
  /** EMF StorageResolution: 1 (high resolution, for alarms with 10/20/30 s periods) or 60. @default 60 */
  readonly resolution?: 1 | 60 | undefined;
  /** Epoch ms the value is for. @default when it is put */
  readonly timestamp?: number | undefined;
}

export interface MetricPoint extends MetricOptions {
  readonly name: string;
  readonly unit: MetricUnit;
  readonly value: number;
  readonly dimensions: Readonly<Record<string, string>>;
}

export interface MetricsSink {
  /** Records one value; dimensions identify the target, e.g. { Project: 'shop', Target: 'api' }. */
  put(
    name: string,
    unit: MetricUnit,
    value: number,
    dimensions: Record<string, string>,
    options?: MetricOptions,
  ): void;
}

/** Keeps every point, for tests and for CLI summaries. */
export class MemoryMetrics implements MetricsSink {
  readonly points: MetricPoint[] = [];
  put(
    name: string,
    unit: MetricUnit,
    value: number,
    dimensions: Record<string, string>,
    options: MetricOptions = {},
  ): void {
    this.points.push({
      name,
      unit,
      value,
      dimensions: { ...dimensions },
      ...(options.resolution !== undefined ? { resolution: options.resolution } : {}),
      ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}),
    });
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
    setTimestamp(timestamp: number): unknown;
    addMetric(name: string, unit: string, value: number, resolution?: 1 | 60): void;
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
    put(name, unit, value, dimensions, options = {}) {
      const single = metrics.singleMetric();
      single.clearDefaultDimensions();
      single.addDimensions(dimensions);
      if (options.timestamp !== undefined) single.setTimestamp(options.timestamp);
      // A single-metric instance publishes on addMetric; publishing again would only log a warning.
      // Without a resolution Powertools writes none: CloudWatch's default, 60 s (today's documents).
      if (options.resolution === 1) single.addMetric(name, unit, value, 1);
      else single.addMetric(name, unit, value);
    },
  };
}
