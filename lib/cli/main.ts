/**
 * The `nightshift` program: global options, command registration (lib/cli/commands/index.ts) and the
 * mapping of every outcome to an exit code — 0 ok, 1 job failure, 2 usage or config error.
 * Commands import heavy modules (aws-cdk-lib, AWS SDK, database drivers) inside their actions so that
 * `nightshift --help` and `nightshift validate` start fast.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { reasonOf, redact } from '../../lambdas/shared/redact';
import { ConfigError } from '../config/error';
import { formatPath } from '../config/path';
import { COMMANDS } from './commands/index';
import {
  CliError,
  credentialsProblem,
  EXIT,
  MissingCredentials,
  printError,
  printJson,
  setColor,
} from './terminal';

const PROGRAM_EXAMPLES = `
Examples:
  $ nightshift run --demo                      try everything against disposable local databases
  $ nightshift validate                        check ./nightshift.config.yaml
  $ nightshift plan --config examples/inventory.yaml
                                               what would be deployed, with the next run times
  $ nightshift run --config examples/local.yaml  run every configured job once, locally
  $ nightshift <command> --help                options and examples of one command

Config file: --config FILE, else $NIGHTSHIFT_CONFIG, else ./nightshift.config.yaml.
Exit codes: 0 ok, 1 a job failed (or an unexpected error), 2 usage or config error.
Set NIGHTSHIFT_DEBUG=1 (or pass --verbose) for stack traces.`;

function packageVersion(): string {
  try {
    const text = readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8');
    return (JSON.parse(text) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Builds the program with every registered command. Exits are turned into CommanderErrors. */
export function buildProgram(): Command {
  const program = new Command('nightshift')
    .description(
      'The night shift of your production stack: health checks, database backups to S3, log archiving and escalating alerts — deployed with AWS CDK, runnable locally.',
    )
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('-c, --config <file>', 'config file (default: $NIGHTSHIFT_CONFIG, else ./nightshift.config.yaml)')
    .option('--json', 'print one JSON document on stdout instead of text')
    .option('--no-color', 'no colors (also when NO_COLOR is set or stdout is not a terminal)')
    .option('--verbose', 'stack traces and debug logs on stderr (also NIGHTSHIFT_DEBUG=1)')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .exitOverride()
    .addHelpText('after', PROGRAM_EXAMPLES);

  program.hook('preAction', (_program, action) => {
    const options = action.optsWithGlobals<{ color?: boolean }>();
    setColor(options.color !== false);
  });

  for (const register of COMMANDS) register(program);

  // Commands created with `new Command()` + addCommand() do not inherit settings: apply them everywhere.
  const inherit = (command: Command) => {
    for (const sub of command.commands) {
      sub.exitOverride();
      sub.showSuggestionAfterError(true);
      inherit(sub);
    }
  };
  inherit(program);
  return program;
}

function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

function wantsStack(argv: readonly string[]): boolean {
  return argv.includes('--verbose') || process.env.NIGHTSHIFT_DEBUG === '1';
}

/**
 * Runs the CLI with `argv` (as process.argv: node, script, ...args) and returns the exit code.
 * Never throws; errors are printed (redacted) to stderr, and as `{ "error": … }` on stdout with --json.
 */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  const args = argv.slice(2);
  let program: Command;
  try {
    program = buildProgram();
  } catch (error) {
    printError(`nightshift: internal error while registering commands: ${reasonOf(error)}`);
    if (wantsStack(args)) printError(redact(String((error as Error).stack ?? error)));
    return EXIT.FAILED;
  }
  try {
    await program.parseAsync([...argv]);
    const code = typeof process.exitCode === 'number' ? process.exitCode : Number(process.exitCode ?? 0);
    return Number.isFinite(code) ? code : EXIT.FAILED;
  } catch (error) {
    return handleError(error, args);
  }
}

function handleError(error: unknown, args: readonly string[]): number {
  const json = wantsJson(args);
  if (error instanceof CommanderError) {
    // commander has already printed the message (or the help / version)
    if (
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      error.exitCode === 0
    ) {
      return EXIT.OK;
    }
    return EXIT.USAGE;
  }
  if (error instanceof ConfigError) {
    printError(error.message);
    if (json) {
      printJson({
        error: {
          kind: 'config',
          message: `${error.file ?? 'config'} is not valid`,
          exitCode: EXIT.USAGE,
          issues: error.issues.map((issue) => ({
            path: formatPath(issue.path),
            line: issue.line ?? null,
            message: issue.message,
          })),
        },
      });
    }
    return EXIT.USAGE;
  }
  const noCredentials = credentialsProblem(error);
  if (noCredentials) error = new MissingCredentials(undefined, reasonOf(noCredentials));
  const exitCode = error instanceof CliError ? error.exitCode : EXIT.FAILED;
  const message = reasonOf(error);
  printError(`nightshift: ${message}`);
  if (!(error instanceof CliError)) {
    if (wantsStack(args) && error instanceof Error) printError(redact(error.stack ?? ''));
    else printError('(run again with --verbose or NIGHTSHIFT_DEBUG=1 for a stack trace)');
  }
  if (json) printJson({ error: { kind: 'failure', message, exitCode } });
  return exitCode;
}
