/**
 * `nightshift validate` — checks the config file against the schema and the cross-field rules.
 * Prints a one-line summary, or every problem with its path, line and fix (exit 2).
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load';
import { formatPath } from '../../config/path';
import type { NightshiftConfig } from '../../config/schema';
import { ConfigError } from '../../config/validate';
import { cliOptions, configPathFor, EXIT, mark, print, printError, printJson } from '../output';

export interface ValidationSummary {
  readonly healthChecks: number;
  readonly backupTargets: number;
  readonly logGroups: number;
  readonly escalationLevels: number;
}

export function summarize(config: NightshiftConfig): ValidationSummary {
  return {
    healthChecks: config.healthChecks?.targets.length ?? 0,
    backupTargets: config.backups?.targets.length ?? 0,
    logGroups: config.logArchive?.groups.length ?? 0,
    escalationLevels: config.alerts.levels.length,
  };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The `validate` command's action (its definition: lib/cli/definitions/validate.ts). */
export const validateAction = (_options: unknown, command: Command) => {
  const options = cliOptions(command);
  const file = configPathFor(options);
  try {
    const config = loadConfig(file);
    const summary = summarize(config);
    if (options.json) {
      printJson({ valid: true, file, issues: [], summary });
    } else {
      print(
        `${mark(true)} ${file} is valid: ${plural(summary.healthChecks, 'health check')}, ` +
          `${plural(summary.backupTargets, 'backup target')}, ${plural(summary.logGroups, 'log group')}, ` +
          `${plural(summary.escalationLevels, 'escalation level')}`,
      );
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (options.json) {
      printJson({
        valid: false,
        file,
        issues: error.issues.map((issue) => ({
          path: formatPath(issue.path),
          line: issue.line ?? null,
          message: issue.message,
        })),
      });
    } else {
      printError(`${mark(false)} ${error.message}`);
    }
    process.exitCode = EXIT.USAGE;
  }
};
