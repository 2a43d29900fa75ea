/**
 * Reads the metric side of synthesized templates: the metrics alarms and dashboard widgets watch, the
 * functions with their environment, and the events their schedules send. CloudFormation intrinsics
 * are resolved to realistic local values (names, ARNs), so handlers can run with them.
 * Also the contract checks themselves, so their self-test runs the same code as the real test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type EmittedMetric, metricKey } from './emf';

export type Template = { readonly Resources?: Record<string, { Type: string; Properties?: unknown }> };
type Json = unknown;

export interface WatchedMetric {
  /** Alarm name or "dashboard: <widget title>". */
  readonly watcher: string;
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** The alarm's period for this metric (alarms only). */
  readonly periodSeconds?: number | undefined;
}

export interface Pseudo {
  readonly region: string;
  readonly account: string;
  /** Logical id → physical name for resources whose name matters (functions, buckets). */
  readonly names?: Readonly<Record<string, string>>;
  /** Logical id → resource type, so that Ref returns what CloudFormation returns for that type. */
  readonly types?: Readonly<Record<string, string>>;
}

/** Types whose Ref is their ARN (CloudFormation's "Return values" of each resource type). */
const REF_IS_ARN = new Set([
  'AWS::StepFunctions::StateMachine',
  'AWS::SNS::Topic',
  'AWS::IAM::ManagedPolicy',
]);

/** Logical id → type over templates, for Pseudo.types. */
export function resourceTypes(templates: readonly Template[]): Record<string, string> {
  return Object.fromEntries(
    templates.flatMap((t) => Object.entries(t.Resources ?? {}).map(([id, r]) => [id, String(r.Type)])),
  );
}

/** Resolves Ref, Fn::GetAtt, Fn::ImportValue, Fn::Join and Fn::Sub to plain local values. */
export function resolveIntrinsics(value: Json, pseudo: Pseudo): Json {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, pseudo));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first) {
    const [key, arg] = first;
    const ref = (id: string): string => {
      if (id === 'AWS::Region') return pseudo.region;
      if (id === 'AWS::AccountId') return pseudo.account;
      if (id === 'AWS::Partition') return 'aws';
      if (id === 'AWS::URLSuffix') return 'amazonaws.com';
      return pseudo.names?.[id] ?? `local-${id.toLowerCase()}`;
    };
    const arn = (id: string) => `arn:aws:local:${pseudo.region}:${pseudo.account}:${ref(id)}`;
    switch (key) {
      case 'Ref':
        return REF_IS_ARN.has(pseudo.types?.[String(arg)] ?? '') ? arn(String(arg)) : ref(String(arg));
      case 'Fn::GetAtt': {
        const [id, attribute] = arg as string[];
        // a Function URL is a URL, not an ARN (the router checks its ack-link base is https://…/)
        if (attribute === 'FunctionUrl')
          return `https://${ref(String(id)).slice(0, 32)}.lambda-url.${pseudo.region}.on.aws/`;
        return arn(String(id));
      }
      case 'Fn::ImportValue':
        return `arn:aws:local:${pseudo.region}:${pseudo.account}:${String(resolveIntrinsics(arg, pseudo))
          .replace(/^.*ExportsOutput(Ref|FnGetAtt)/, '')
          .toLowerCase()}`;
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, Json[]];
        return parts.map((p) => String(resolveIntrinsics(p, pseudo))).join(sep);
      }
      case 'Fn::Sub':
        return String(typeof arg === 'string' ? arg : (arg as [string])[0]).replace(
          /\$\{([^}]+)\}/g,
          (_, id) => ref(String(id)),
        );
      default:
        break;
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolveIntrinsics(v, pseudo)]));
}

function resources(template: Template, type: string): [string, Record<string, Json>][] {
  return Object.entries(template.Resources ?? {})
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, (r.Properties ?? {}) as Record<string, Json>]);
}

function dimensionMap(dimensions: Json): Record<string, string> {
  return Object.fromEntries(
    ((dimensions ?? []) as { Name: string; Value: Json }[]).map((d) => [d.Name, String(d.Value)]),
  );
}

/** Every metric an alarm watches: the single metric, or each MetricStat of a metric-math alarm. */
export function alarmMetrics(template: Template, pseudo: Pseudo): WatchedMetric[] {
  const out: WatchedMetric[] = [];
  for (const [, raw] of resources(template, 'AWS::CloudWatch::Alarm')) {
    const props = resolveIntrinsics(raw, pseudo) as Record<string, Json>;
    const watcher = String(props.AlarmName);
    if (typeof props.MetricName === 'string') {
      out.push({
        watcher,
        namespace: String(props.Namespace),
        name: props.MetricName,
        dimensions: dimensionMap(props.Dimensions),
        periodSeconds: Number(props.Period),
      });
    }
    for (const query of (props.Metrics ?? []) as {
      MetricStat?: { Metric: Record<string, Json>; Period?: number };
    }[]) {
      const metric = query.MetricStat?.Metric;
      if (!metric) continue;
      out.push({
        watcher,
        namespace: String(metric.Namespace),
        name: String(metric.MetricName),
        dimensions: dimensionMap(metric.Dimensions),
        periodSeconds: query.MetricStat?.Period,
      });
    }
  }
  return out;
}

/**
 * Every metric a dashboard widget graphs. Rows are `[namespace, name, key, value, …, {options}?]`;
 * "." repeats the previous row's entry (CloudWatch dashboard body syntax:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html).
 */
export function dashboardMetrics(template: Template, pseudo: Pseudo): WatchedMetric[] {
  const out: WatchedMetric[] = [];
  for (const [, raw] of resources(template, 'AWS::CloudWatch::Dashboard')) {
    const body = JSON.parse(String(resolveIntrinsics(raw.DashboardBody, pseudo))) as {
      widgets: { properties?: { title?: string; metrics?: Json[][] } }[];
    };
    for (const widget of body.widgets) {
      let previous: Json[] = [];
      for (const row of widget.properties?.metrics ?? []) {
        const plain = row.filter((cell) => typeof cell !== 'object');
        if (plain.length < 2) continue; // an expression row
        const cells = plain.map((cell, i) => (cell === '.' ? previous[i] : cell));
        previous = cells;
        const dimensions: Record<string, string> = {};
        for (let i = 2; i + 1 < cells.length; i += 2) dimensions[String(cells[i])] = String(cells[i + 1]);
        out.push({
          watcher: `dashboard: ${widget.properties?.title ?? '?'}`,
          namespace: String(cells[0]),
          name: String(cells[1]),
          dimensions,
        });
      }
    }
  }
  return out;
}

export interface TemplateFunction {
  readonly logicalId: string;
  readonly functionName: string;
  /** Environment.Variables with intrinsics resolved. */
  readonly env: Record<string, string>;
  /** ImageUri set: a container-image function (backup jobs). */
  readonly image: boolean;
  /** The inputs of the schedules that invoke it, parsed. */
  readonly scheduleInputs: Json[];
  /** The function's Timeout (Lambda's default is 3 s): what getRemainingTimeInMillis starts from. */
  readonly timeoutMs: number;
}

export function templateFunctions(template: Template, pseudo: Pseudo): TemplateFunction[] {
  const functions = resources(template, 'AWS::Lambda::Function');
  const schedules = resources(template, 'AWS::Scheduler::Schedule');
  return functions.map(([logicalId, raw]) => {
    const props = resolveIntrinsics(raw, pseudo) as {
      FunctionName?: string;
      Environment?: { Variables?: Record<string, string> };
      Code?: { ImageUri?: unknown };
      Timeout?: number;
    };
    const scheduleInputs = schedules
      .filter(([, s]) => {
        const arn = (s.Target as { Arn?: Json }).Arn as { 'Fn::GetAtt'?: string[] } | undefined;
        return arn?.['Fn::GetAtt']?.[0] === logicalId;
      })
      .map(([, s]) => JSON.parse(String((s.Target as { Input?: Json }).Input ?? '{}')) as Json);
    return {
      logicalId,
      functionName: props.FunctionName ?? logicalId,
      env: Object.fromEntries(
        Object.entries(props.Environment?.Variables ?? {}).map(([k, v]) => [k, String(v)]),
      ),
      image: props.Code?.ImageUri !== undefined,
      scheduleInputs,
      timeoutMs: (props.Timeout ?? 3) * 1000,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// The contract checks
// ---------------------------------------------------------------------------------------------

/** Watched metrics on `namespace` that no emitted metric matches exactly (name and full dimension set). */
export function unmatchedWatches(
  watched: readonly WatchedMetric[],
  emitted: readonly EmittedMetric[],
  namespace: string,
): WatchedMetric[] {
  const keys = new Set(emitted.map(metricKey));
  return watched.filter((w) => w.namespace === namespace && !keys.has(metricKey(w)));
}

/**
 * Alarm metrics on `namespace` read over a period under a minute (10, 20 or 30 s: a high-resolution
 * alarm) that are not emitted, every time, with StorageResolution 1. CloudWatch keeps a standard-resolution
 * metric at one datapoint a minute, so such an alarm sees most of its periods empty: it pages late, on
 * the wrong checks, or never (test/support/alarm-evaluator.ts rule 7).
 */
export function lowResolutionWatches(
  watched: readonly WatchedMetric[],
  emitted: readonly EmittedMetric[],
  namespace: string,
): WatchedMetric[] {
  return watched.filter((w) => {
    if (w.namespace !== namespace || w.periodSeconds === undefined || w.periodSeconds >= 60) return false;
    const same = emitted.filter((m) => metricKey(m) === metricKey(w));
    return same.length === 0 || same.some((m) => m.storageResolution !== 1);
  });
}

export interface InformationalMetric {
  readonly file: string;
  readonly name: string;
  /** Dimension names, sorted. */
  readonly dimensions: string[];
  readonly cost: string;
}

/**
 * The rows of every "Informational metrics" table in `docsDir`/*.md:
 * `| \`Name\` | Project, Target | … | $0.30 per target |` (first column the metric, second its dimensions,
 * last the monthly cost).
 */
export function informationalMetrics(docsDir: string): InformationalMetric[] {
  const out: InformationalMetric[] = [];
  for (const file of readdirSync(docsDir).filter((f) => f.endsWith('.md'))) {
    const lines = readFileSync(join(docsDir, file), 'utf8').split('\n');
    const start = lines.findIndex((l) => /^#+\s+Informational metrics\s*$/.test(l));
    if (start < 0) continue;
    let inTable = false;
    for (const line of lines.slice(start + 1)) {
      if (/^#/.test(line)) break;
      if (!line.startsWith('|')) {
        if (inTable) break;
        continue;
      }
      inTable = true;
      const cells = line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
      const name = /^`([A-Za-z]+)`$/.exec(cells[0] ?? '')?.[1];
      if (!name) continue; // header and separator rows
      out.push({
        file,
        name,
        dimensions: (cells[1] ?? '')
          .split(',')
          .map((d) => d.trim())
          .filter(Boolean)
          .sort(),
        cost: cells[cells.length - 1] ?? '',
      });
    }
  }
  return out;
}

/** Emitted metrics (distinct name + dimension names) that nothing watches and no docs table lists. */
export function unwatchedEmitted(
  emitted: readonly EmittedMetric[],
  watched: readonly WatchedMetric[],
  informational: readonly InformationalMetric[],
): string[] {
  const watchedKeys = new Set(watched.map(metricKey));
  const shape = (name: string, dims: readonly string[]) => `${name}{${[...dims].sort().join(',')}}`;
  const listed = new Set(informational.map((i) => shape(i.name, i.dimensions)));
  const out = new Set<string>();
  for (const metric of emitted) {
    if (watchedKeys.has(metricKey(metric))) continue;
    const key = shape(metric.name, Object.keys(metric.dimensions));
    if (!listed.has(key)) out.add(key);
  }
  return [...out].sort();
}
