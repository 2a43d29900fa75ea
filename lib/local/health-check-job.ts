/**
 * Health checks run locally: the same core as the Lambda, with the caller's secrets reader, log and
 * metrics. Used by `nightshift run` (as a LocalJob) and by `nightshift check`.
 */
import type { HealthRunResult, TargetResult } from '../../lambdas/health-check/health-check';
import type { SecretsReader } from '../../lambdas/shared/connections';
import type { Log } from '../../lambdas/shared/log';
import type { MetricsSink } from '../../lambdas/shared/metrics';
import { effectiveHealthTargets } from '../config/resolved';
import type { NightshiftConfig } from '../config/schema';
import type { LocalJob } from './jobs';

export interface LocalCheckOptions {
  readonly config: NightshiftConfig;
  readonly secrets: SecretsReader;
  readonly log: Log;
  readonly metrics: MetricsSink;
  readonly now?: () => Date;
  /** Only these target names (an unknown name throws UnknownTarget). */
  readonly onlyTargets?: readonly string[] | undefined;
}

/** Runs every configured health check (or the named ones) once. */
export async function runLocalChecks(options: LocalCheckOptions): Promise<HealthRunResult> {
  // the drivers load only when checks actually run
  const { run } = await import('../../lambdas/health-check/health-check');
  return run(
    {
      project: options.config.project,
      secrets: options.secrets,
      log: options.log,
      metrics: options.metrics,
      now: options.now ?? (() => new Date()),
    },
    {
      targets: effectiveHealthTargets(options.config),
      concurrency: options.config.healthChecks?.concurrency,
      onlyTargets: options.onlyTargets,
    },
  );
}

/** "42 ms", "1.3 s", "—" */
export function formatLatency(ms: number | undefined): string {
  if (ms === undefined) return '—';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** One line per target for `nightshift run`: "api  up  42 ms  200 OK". */
export function resultLine(result: TargetResult): string {
  const state = result.up ? 'up' : 'DOWN';
  const why = result.up ? result.warnings.join('; ') : (result.reason ?? '');
  return [result.target, result.kind, state, formatLatency(result.latencyMs), result.detail, why]
    .filter((part) => part !== '')
    .join('  ');
}

export const healthCheckJob: LocalJob = {
  name: 'health-check',
  enabled: (config) => (config.healthChecks?.targets.length ?? 0) > 0,
  async run(context) {
    context.progress(`checking ${context.config.healthChecks?.targets.length ?? 0} health check targets…`);
    const result = await runLocalChecks(context);
    return {
      job: 'health-check',
      ok: result.down === 0,
      lines: [
        `${result.up} up, ${result.down} down in ${formatLatency(result.durationMs)}`,
        ...result.results.map(resultLine),
      ],
      detail: result,
    };
  },
};
