/**
 * Reads CloudWatch Embedded Metric Format documents out of a Lambda's stdout, as CloudWatch Logs would:
 * every JSON line with an `_aws.CloudWatchMetrics` directive yields one metric per (metric, dimension set).
 * Format: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */

export interface EmittedMetric {
  readonly namespace: string;
  readonly name: string;
  /** Exactly the dimensions of one dimension set, with the values the document gives them. */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly value: unknown;
  /** The metric's StorageResolution: 1 (high resolution) or 60 (standard, also when absent). */
  readonly storageResolution: 1 | 60;
}

interface Directive {
  readonly Namespace?: unknown;
  readonly Dimensions?: unknown;
  readonly Metrics?: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every metric in the EMF documents of `stdout`; other lines (logs) are skipped. */
export function emfMetrics(stdout: string): EmittedMetric[] {
  const out: EmittedMetric[] = [];
  for (const line of stdout.split('\n')) {
    const text = line.trim();
    if (!text.startsWith('{') || !text.includes('"_aws"')) continue;
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      continue;
    }
    if (!isRecord(doc) || !isRecord(doc._aws) || !Array.isArray(doc._aws.CloudWatchMetrics)) continue;
    for (const directive of doc._aws.CloudWatchMetrics as Directive[]) {
      const namespace = String(directive.Namespace);
      const sets = Array.isArray(directive.Dimensions) ? (directive.Dimensions as unknown[]) : [];
      // A directive with no dimension set still publishes the metric, without dimensions.
      const dimensionSets = sets.length > 0 ? sets : [[]];
      const metrics = Array.isArray(directive.Metrics)
        ? (directive.Metrics as { Name?: unknown; StorageResolution?: unknown }[])
        : [];
      for (const metric of metrics) {
        const name = String(metric.Name);
        const storageResolution = metric.StorageResolution === 1 ? 1 : 60;
        for (const set of dimensionSets) {
          const keys = Array.isArray(set) ? set.map(String) : [];
          const dimensions = Object.fromEntries(keys.map((key) => [key, String(doc[key])]));
          out.push({ namespace, name, dimensions, value: doc[name], storageResolution });
        }
      }
    }
  }
  return out;
}

/** A stable key for (namespace, name, exact dimension set with values). */
export function metricKey(metric: {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
}): string {
  const dims = Object.entries(metric.dimensions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${metric.namespace}/${metric.name}{${dims}}`;
}
