/**
 * Ready-made alarms for the thresholds operations runbooks ask for, on metrics AWS already publishes
 * (RDS, ALB, ECS, API Gateway) or the CloudWatch agent publishes (EC2 disk/memory). A runbook line
 * becomes one line of config:
 *
 *   - { name: db-cpu, preset: rds-cpu, dimensions: { DBInstanceIdentifier: shop-prod } }
 *
 * Every field of alerts.alarms overrides the preset; `resolveMetricAlarm` merges them and says what is
 * missing.
 */
import { durationMs } from './primitives';
import type { MetricAlarmConfig } from './schema';

type Preset = typeof import('./schema').ALARM_PRESETS[number];
type Comparison = '>' | '>=' | '<' | '<=';
type MissingData = 'breaching' | 'notBreaching' | 'ignore' | 'missing';

export interface MetricRef {
  readonly namespace: string;
  readonly metric: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: string;
}

export interface ResolvedMetricAlarm {
  readonly name: string;
  /** What is wrong, in plain words (alarm summary). */
  readonly summary: string;
  readonly severity: MetricAlarmConfig['severity'];
  readonly runbook?: string | undefined;
  /** A single metric, or… */
  readonly metric?: MetricRef | undefined;
  /** …metric math over `metrics`. */
  readonly expression?: string | undefined;
  readonly metrics?: Readonly<Record<string, MetricRef>> | undefined;
  readonly threshold: number;
  readonly comparison: Comparison;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapoints: number;
  readonly missingData: MissingData;
}

interface PresetDefinition {
  /** Plain-words summary for a threshold. */
  readonly summary: (threshold: number) => string;
  readonly requiredDimensions: readonly string[];
  readonly metric?: Omit<MetricRef, 'dimensions'>;
  readonly expression?: string;
  readonly metrics?: Readonly<Record<string, Omit<MetricRef, 'dimensions'>>>;
  readonly threshold: number;
  readonly comparison: Comparison;
  readonly period: string;
  readonly evaluationPeriods: number;
  readonly datapoints: number;
  readonly missingData: MissingData;
}

const GIB = 1024 ** 3;

function formatBytes(bytes: number): string {
  return bytes >= GIB ? `${Number((bytes / GIB).toFixed(1))} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}

export const PRESETS: Readonly<Record<Preset, PresetDefinition>> = {
  'rds-cpu': {
    summary: (t) => `RDS CPU above ${t}%`,
    requiredDimensions: ['DBInstanceIdentifier'],
    metric: { namespace: 'AWS/RDS', metric: 'CPUUtilization', statistic: 'Average' },
    threshold: 80,
    comparison: '>',
    period: '1m',
    evaluationPeriods: 5,
    datapoints: 5,
    missingData: 'missing',
  },
  'rds-free-storage': {
    summary: (t) => `RDS free storage below ${formatBytes(t)}`,
    requiredDimensions: ['DBInstanceIdentifier'],
    metric: { namespace: 'AWS/RDS', metric: 'FreeStorageSpace', statistic: 'Minimum' },
    threshold: 5 * GIB,
    comparison: '<',
    period: '5m',
    evaluationPeriods: 1,
    datapoints: 1,
    missingData: 'missing',
  },
  'rds-connections': {
    summary: (t) => `RDS connections above ${t}`,
    requiredDimensions: ['DBInstanceIdentifier'],
    metric: { namespace: 'AWS/RDS', metric: 'DatabaseConnections', statistic: 'Maximum' },
    threshold: 100,
    comparison: '>',
    period: '5m',
    evaluationPeriods: 1,
    datapoints: 1,
    missingData: 'missing',
  },
  'alb-5xx-rate': {
    summary: (t) => `ALB 5xx responses above ${t}% of requests`,
    requiredDimensions: ['LoadBalancer'],
    expression: '100 * FILL(errors, 0) / requests',
    metrics: {
      errors: { namespace: 'AWS/ApplicationELB', metric: 'HTTPCode_Target_5XX_Count', statistic: 'Sum' },
      requests: { namespace: 'AWS/ApplicationELB', metric: 'RequestCount', statistic: 'Sum' },
    },
    threshold: 5,
    comparison: '>',
    period: '5m',
    evaluationPeriods: 1,
    datapoints: 1,
    missingData: 'notBreaching',
  },
  'alb-p95-latency': {
    summary: (t) => `ALB p95 response time above ${t} s`,
    requiredDimensions: ['LoadBalancer'],
    metric: { namespace: 'AWS/ApplicationELB', metric: 'TargetResponseTime', statistic: 'p95' },
    threshold: 2,
    comparison: '>',
    period: '5m',
    evaluationPeriods: 1,
    datapoints: 1,
    missingData: 'notBreaching',
  },
  'ecs-cpu': {
    summary: (t) => `ECS service CPU above ${t}%`,
    requiredDimensions: ['ClusterName', 'ServiceName'],
    metric: { namespace: 'AWS/ECS', metric: 'CPUUtilization', statistic: 'Average' },
    threshold: 80,
    comparison: '>',
    period: '1m',
    evaluationPeriods: 5,
    datapoints: 5,
    missingData: 'missing',
  },
  'ecs-memory': {
    summary: (t) => `ECS service memory above ${t}%`,
    requiredDimensions: ['ClusterName', 'ServiceName'],
    metric: { namespace: 'AWS/ECS', metric: 'MemoryUtilization', statistic: 'Average' },
    threshold: 85,
    comparison: '>',
    period: '1m',
    evaluationPeriods: 5,
    datapoints: 5,
    missingData: 'missing',
  },
  'ec2-disk': {
    summary: (t) => `EC2 disk above ${t}% full`,
    requiredDimensions: ['InstanceId', 'path'],
    metric: { namespace: 'CWAgent', metric: 'disk_used_percent', statistic: 'Maximum' },
    threshold: 90,
    comparison: '>',
    period: '5m',
    evaluationPeriods: 1,
    datapoints: 1,
    missingData: 'missing',
  },
  'ec2-memory': {
    summary: (t) => `EC2 memory above ${t}%`,
    requiredDimensions: ['InstanceId'],
    metric: { namespace: 'CWAgent', metric: 'mem_used_percent', statistic: 'Average' },
    threshold: 85,
    comparison: '>',
    period: '1m',
    evaluationPeriods: 5,
    datapoints: 5,
    missingData: 'missing',
  },
  'apigw-5xx-rate': {
    summary: (t) => `API Gateway 5xx responses above ${t}% of requests`,
    requiredDimensions: ['ApiName'],
    expression: '100 * FILL(errors, 0) / requests',
    metrics: {
      errors: { namespace: 'AWS/ApiGateway', metric: '5XXError', statistic: 'Sum' },
      requests: { namespace: 'AWS/ApiGateway', metric: 'Count', statistic: 'Sum' },
    },
    threshold: 5,
    comparison: '>',
    period: '5m',
    evaluationPeriods: 1,
    datapoints: 1,
    missingData: 'notBreaching',
  },
  'apigw-p95-latency': {
    summary: (t) => `API Gateway p95 latency above ${t} ms`,
    requiredDimensions: ['ApiName'],
    metric: { namespace: 'AWS/ApiGateway', metric: 'Latency', statistic: 'p95' },
    threshold: 2000,
    comparison: '>',
    period: '5m',
    evaluationPeriods: 1,
    datapoints: 1,
    missingData: 'notBreaching',
  },
};

export class InvalidAlarmConfig extends Error {
  constructor(
    index: number,
    name: string,
    /** What is wrong and what to do, without the path. */
    readonly reason: string,
    /** The field of the alarm entry to change. */
    readonly field: string,
  ) {
    super(`alerts.alarms[${index}] (${name}): ${reason}`);
    this.name = 'InvalidAlarmConfig';
  }
}

/** Merges an alerts.alarms entry with its preset; throws InvalidAlarmConfig naming what is missing. */
export function resolveMetricAlarm(alarm: MetricAlarmConfig, index = 0): ResolvedMetricAlarm {
  const preset = alarm.preset ? PRESETS[alarm.preset] : undefined;
  const fail = (message: string, field: string) => new InvalidAlarmConfig(index, alarm.name, message, field);
  const dimensions = alarm.dimensions ?? {};
  if (preset) {
    const missing = preset.requiredDimensions.filter((d) => !dimensions[d]);
    if (missing.length) {
      throw fail(
        `preset ${alarm.preset} needs dimensions ${missing.map((d) => `${d}`).join(', ')} — e.g. dimensions: { ${missing.map((d) => `${d}: ...`).join(', ')} }`,
        'dimensions',
      );
    }
  }

  let metric: MetricRef | undefined;
  let expression: string | undefined;
  let metrics: Record<string, MetricRef> | undefined;
  if (alarm.expression || (!alarm.metric && preset?.expression)) {
    expression = alarm.expression ?? preset?.expression;
    const source = alarm.metrics ?? preset?.metrics;
    if (!source || Object.keys(source).length === 0) {
      throw fail('metric math needs `metrics`, e.g. metrics: { errors: {...}, requests: {...} }', 'metrics');
    }
    metrics = Object.fromEntries(
      Object.entries(source).map(([id, m]) => [
        id,
        {
          namespace: m.namespace,
          metric: m.metric,
          statistic: m.statistic,
          // Preset inner metrics take the alarm's dimensions (e.g. the load balancer).
          dimensions: {
            ...dimensions,
            ...('dimensions' in m ? (m.dimensions as Record<string, string>) : {}),
          },
        },
      ]),
    );
    for (const id of Object.keys(metrics)) {
      if (!new RegExp(`\\b${id}\\b`).test(expression ?? '')) {
        throw fail(
          `metrics.${id} is not used in expression "${expression}" — use it there or remove it`,
          'expression',
        );
      }
    }
  } else {
    const namespace = alarm.namespace ?? preset?.metric?.namespace;
    const name = alarm.metric ?? preset?.metric?.metric;
    if (!namespace || !name) {
      throw fail('give a preset, or namespace and metric, or expression and metrics', 'metric');
    }
    metric = {
      namespace,
      metric: name,
      dimensions,
      statistic: alarm.statistic ?? preset?.metric?.statistic ?? 'Average',
    };
  }

  const threshold = alarm.threshold ?? preset?.threshold;
  if (threshold === undefined) throw fail('threshold is required without a preset', 'threshold');
  const comparison = alarm.comparison ?? preset?.comparison ?? '>';
  const evaluationPeriods = alarm.evaluationPeriods ?? preset?.evaluationPeriods ?? alarm.datapoints ?? 1;
  const datapoints = alarm.datapoints ?? Math.min(preset?.datapoints ?? evaluationPeriods, evaluationPeriods);
  if (datapoints > evaluationPeriods) {
    throw fail(
      `datapoints (${datapoints}) cannot exceed evaluationPeriods (${evaluationPeriods}) — lower datapoints or raise evaluationPeriods`,
      'datapoints',
    );
  }
  const periodMs = durationMs(alarm.period ?? preset?.period ?? '5m');
  const periodSeconds = Math.round(periodMs / 1000);
  if (periodSeconds >= 60 ? periodSeconds % 60 !== 0 : ![10, 20, 30].includes(periodSeconds)) {
    throw fail('period must be 10s, 20s, 30s or a whole number of minutes — use one of those', 'period');
  }
  return {
    name: alarm.name,
    summary: alarm.description ?? preset?.summary(threshold) ?? `${alarm.name} ${comparison} ${threshold}`,
    severity: alarm.severity,
    runbook: alarm.runbook,
    metric,
    expression,
    metrics,
    threshold,
    comparison,
    periodSeconds,
    evaluationPeriods,
    datapoints,
    missingData: alarm.missingData ?? preset?.missingData ?? 'missing',
  };
}
