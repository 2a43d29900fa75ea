/**
 * Effective settings: the config with its section defaults applied, computed in one place so that the
 * stacks, the jobs and the CLI agree.
 */
import { durationMs, SEVERITIES, type Severity } from './primitives';
import {
  BACKUP_ENGINES,
  type BackupEngine,
  type BackupTarget,
  defaultDownForMs,
  HEALTH_KINDS,
  type HealthKind,
  type HealthTarget,
  type NightshiftConfig,
  SEVERITY_DEFAULTS,
} from './schema';

export interface EffectiveSeverity {
  readonly severity: Severity;
  /** Index into alerts.levels of the level notified first. */
  readonly firstLevel: number;
  readonly escalateAfterMs: number;
  readonly repeatEveryMs: number;
  readonly runbook?: string | undefined;
  /** Raise an unacknowledged alarm to `promoteTo` after this long (alerts.severities.<s>.promoteAfter). */
  readonly promoteAfterMs?: number | undefined;
  readonly promoteTo?: Severity | undefined;
}

/** The severity promoteAfter raises to by default: the next more severe one (none above critical). */
export function nextMoreSevere(severity: Severity): Severity | undefined {
  const index = SEVERITIES.indexOf(severity);
  return index > 0 ? SEVERITIES[index - 1] : undefined;
}

export function severityPolicy(config: NightshiftConfig, severity: Severity): EffectiveSeverity {
  const policy = config.alerts.severities[severity];
  const defaults = SEVERITY_DEFAULTS[severity];
  const firstLevel = policy.notify
    ? config.alerts.levels.findIndex((level) => level.name === policy.notify)
    : 0;
  return {
    severity,
    firstLevel: Math.max(0, firstLevel),
    escalateAfterMs: durationMs(policy.escalateAfter ?? defaults.escalateAfter),
    repeatEveryMs: durationMs(policy.repeatEvery ?? defaults.repeatEvery),
    runbook: policy.runbook,
    ...(policy.promoteAfter
      ? {
          promoteAfterMs: durationMs(policy.promoteAfter),
          promoteTo: policy.promoteTo ?? nextMoreSevere(severity),
        }
      : {}),
  };
}

export function healthKind(target: HealthTarget): HealthKind {
  const kind = HEALTH_KINDS.find((k) => target[k] !== undefined);
  if (!kind) throw new Error(`health check target ${target.name} has no kind`);
  return kind;
}

export interface EffectiveHealthTarget {
  readonly target: HealthTarget;
  readonly kind: HealthKind;
  readonly severity: Severity;
  readonly timeoutMs: number;
  /** Latency alarm threshold; undefined: no latency alarm and no LatencyMs metric (opt-in, for cost). */
  readonly maxLatencyMs?: number | undefined;
  readonly down: { readonly datapoints: number; readonly evaluationPeriods: number };
  /** Check interval; undefined means every run of healthChecks.schedule. */
  readonly intervalMs?: number | undefined;
  /**
   * Sub-minute targets only (interval under 1m): how long the target fails before its down alarm fires
   * (downFor, @default defaultDownForMs). Undefined for every other target.
   */
  readonly downForMs?: number | undefined;
  readonly runbook?: string | undefined;
}

function optionalMs(value: string | undefined): number | undefined {
  return value === undefined ? undefined : durationMs(value);
}

export function effectiveHealthTargets(config: NightshiftConfig): EffectiveHealthTarget[] {
  const section = config.healthChecks;
  if (!section) return [];
  return section.targets.map((target) => ({
    target,
    kind: healthKind(target),
    severity: target.severity ?? section.defaults.severity,
    timeoutMs: durationMs(target.timeout ?? section.defaults.timeout),
    maxLatencyMs: optionalMs(target.maxLatency ?? section.defaults.maxLatency),
    down: target.down ?? section.defaults.down,
    intervalMs: target.interval ? durationMs(target.interval) : undefined,
    downForMs:
      target.interval && durationMs(target.interval) < 60_000
        ? target.downFor
          ? durationMs(target.downFor)
          : defaultDownForMs(durationMs(target.interval))
        : undefined,
    runbook: target.runbook ?? config.alerts.severities[target.severity ?? section.defaults.severity].runbook,
  }));
}

export function backupEngine(target: BackupTarget): BackupEngine {
  const engine = BACKUP_ENGINES.find((e) => target[e] !== undefined);
  if (!engine) throw new Error(`backup target ${target.name} has no engine`);
  return engine;
}

export interface EffectiveBackupTarget {
  readonly target: BackupTarget;
  readonly engine: BackupEngine;
  readonly schedule: string;
  readonly severity: Severity;
  readonly compressionLevel: number;
  readonly timeoutMs: number;
  readonly runbook?: string | undefined;
}

export function effectiveBackupTargets(config: NightshiftConfig): EffectiveBackupTarget[] {
  const section = config.backups;
  if (!section) return [];
  return section.targets.map((target) => {
    const severity = target.severity ?? 'high';
    return {
      target,
      engine: backupEngine(target),
      schedule: target.schedule ?? section.schedule,
      severity,
      compressionLevel: target.compressionLevel ?? section.compressionLevel,
      timeoutMs: durationMs(target.timeout ?? (target.runtime === 'fargate' ? '6h' : '15m')),
      runbook: target.runbook ?? config.alerts.severities[severity].runbook,
    };
  });
}

/** Whether a section's jobs run inside config.network. */
export function usesVpc(
  config: NightshiftConfig,
  section: 'healthChecks' | 'backups' | 'maintenance',
): boolean {
  if (!config.network) return false;
  return config[section]?.vpc ?? true;
}
