/**
 * Output helpers shared by every `nightshift` command: the terminal output and exit codes of
 * lib/cli/terminal.ts, plus the global options and the loading of the config they point at.
 */
import type { Command } from 'commander';
import type { Log } from '../../lambdas/shared/log';
import { loadConfig, resolveConfigPath } from '../config/load';
import { type UrlKind, urlProblem } from '../config/primitives';
import type { NightshiftConfig } from '../config/schema';
import { CliError, color, colorAllowed, EXIT, printError } from './terminal';

export * from './terminal';

/** A URL given on the command line, checked against the schemes its flag accepts; throws CliError (exit 2). */
export function checkUrlFlag(flag: string, value: string, kinds: readonly UrlKind[]): string {
  const problem = urlProblem(value, kinds);
  if (problem) throw new CliError(`${flag}: ${problem}`, EXIT.USAGE);
  return value;
}

/**
 * The Log a job's core writes to when it runs locally: debug and info only with --verbose, warnings and
 * errors always, dimmed on stderr. `errors: false` for a job whose report lists its errors already
 * (archive-logs, verify, restore), so that they are not printed twice.
 */
export function cliLog(verbose: boolean, options: { readonly errors?: boolean } = {}): Log {
  const write = (level: string, message: string, extra?: Record<string, unknown>) =>
    printError(color.dim(`  [${level}] ${message}${extra ? ` ${JSON.stringify(extra)}` : ''}`));
  return {
    debug: (m, e) => verbose && write('debug', m, e),
    info: (m, e) => verbose && write('info', m, e),
    warn: (m, e) => write('warn', m, e),
    error: (m, e) => options.errors !== false && write('error', m, e),
  };
}

// ---------------------------------------------------------------------------------------------
// Global options
// ---------------------------------------------------------------------------------------------

/** The options every command has (defined once on the program, see main.ts). */
export interface CliOptions {
  /** --config FILE */
  readonly config?: string | undefined;
  /** --json: one JSON document on stdout. */
  readonly json: boolean;
  /** false with --no-color or NO_COLOR. */
  readonly color: boolean;
  /** --verbose: stack traces and debug logs on stderr. */
  readonly verbose: boolean;
}

/** Global and command options of `command` (use in an action: `cliOptions(this)` or the last arg). */
export function cliOptions(command: Command): CliOptions {
  const all = command.optsWithGlobals<{
    config?: string;
    json?: boolean;
    color?: boolean;
    verbose?: boolean;
  }>();
  return {
    config: all.config,
    json: all.json === true,
    color: all.color !== false && colorAllowed(),
    verbose: all.verbose === true || process.env.NIGHTSHIFT_DEBUG === '1',
  };
}

/** The config file these options point at: --config, then NIGHTSHIFT_CONFIG, then ./nightshift.config.yaml. */
export function configPathFor(options: Pick<CliOptions, 'config'>): string {
  return resolveConfigPath({ flag: options.config });
}

/** Loads and validates the config the options point at. Throws ConfigError (exit 2) when it is invalid. */
export function loadConfigForCli(options: Pick<CliOptions, 'config'>): {
  config: NightshiftConfig;
  file: string;
} {
  const file = configPathFor(options);
  return { config: loadConfig(file), file };
}
