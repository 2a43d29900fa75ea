/**
 * `nightshift check` — runs the configured health checks once, locally, with the job's own core, and
 * prints target, kind, up/down, latency, detail and reason. Exit 1 when a target is down, 2 on a config
 * error or an unknown --target.
 */
import type { Command } from 'commander';
import type { TargetResult } from '../../../lambdas/health-check/health-check';
import type { SecretsReader } from '../../../lambdas/shared/connections';
import type { NightshiftConfig } from '../../config/schema';
import { formatLatency } from '../../local/health-check-job';
import {
  CliError,
  cliLog,
  cliOptions,
  color,
  EXIT,
  loadConfigForCli,
  mark,
  print,
  printJson,
  printTable,
  progress,
} from '../output';
import { awsCredentialsConfigured } from './run';

async function localSecrets(config: NightshiftConfig): Promise<SecretsReader> {
  const { noSecrets, awsSecretsReader } = await import('../../../lambdas/shared/connections');
  if (!awsCredentialsConfigured()) return noSecrets;
  return awsSecretsReader({ region: config.region });
}

/** The REASON column: why it is down, or what is worth a look while up. */
function reasonColumn(result: TargetResult): string {
  if (!result.up) return color.red(result.reason ?? 'down');
  return result.warnings.length ? color.yellow(result.warnings.join('; ')) : '';
}

/** The `check` command's action (its definition: lib/cli/definitions/check.ts). */
export const checkAction = async (flags: { target: string[] }, command: Command) => {
  const options = cliOptions(command);
  const { config, file } = loadConfigForCli(options);
  const count = config.healthChecks?.targets.length ?? 0;
  if (count === 0) {
    throw new CliError(
      `${file} has no health check targets — add some under healthChecks.targets`,
      EXIT.USAGE,
    );
  }
  const { UnknownTarget } = await import('../../../lambdas/health-check/health-check');
  const { runLocalChecks } = await import('../../local/health-check-job');
  const { MemoryMetrics } = await import('../../../lambdas/shared/metrics');
  progress(`checking ${flags.target.length || count} target(s)…`);
  let result: Awaited<ReturnType<typeof runLocalChecks>>;
  try {
    result = await runLocalChecks({
      config,
      secrets: await localSecrets(config),
      log: cliLog(options.verbose),
      metrics: new MemoryMetrics(),
      onlyTargets: flags.target.length ? flags.target : undefined,
    });
  } catch (error) {
    if (error instanceof UnknownTarget) throw new CliError(`--target: ${error.message}`, EXIT.USAGE);
    throw error;
  }

  if (options.json) {
    printJson({
      ok: result.down === 0,
      up: result.up,
      down: result.down,
      startedAt: result.startedAt,
      durationMs: result.durationMs,
      results: result.results,
    });
  } else {
    printTable(result.results, [
      { header: 'TARGET', value: 'target', shrink: false },
      { header: 'KIND', value: 'kind', shrink: false },
      { header: 'STATUS', value: (r) => `${mark(r.up)} ${r.up ? 'up' : 'down'}`, shrink: false },
      { header: 'LATENCY', value: (r) => formatLatency(r.latencyMs), align: 'right', shrink: false },
      { header: 'DETAIL', value: 'detail', shrink: true },
      { header: 'REASON', value: reasonColumn, shrink: true },
    ]);
    print(
      '',
      `${result.up} up, ${result.down} down in ${formatLatency(result.durationMs)}` +
        (result.down ? color.red(' — see REASON') : ''),
    );
  }
  process.exitCode = result.down > 0 ? EXIT.FAILED : EXIT.OK;
};
