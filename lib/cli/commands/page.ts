/**
 * `nightshift page --test --level <name>` — sends a labelled test page to one level through the deployed
 * alert router (the function the alarm rule invokes, read from the synthesized app), so a team sees on
 * their phones what a page looks like. The router renders it with the same format and notifier code as a
 * real page (lambdas/alert-router/test-page.ts).
 */
import { userInfo } from 'node:os';
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import type { Command } from 'commander';
import { testPageEvent } from '../../../lambdas/alert-router/test-page';
import { reasonOf } from '../../../lambdas/shared/redact';
import type { NightshiftConfig } from '../../config/schema';
import { alarmRouterFunction, type SynthesizedStack } from '../../doctor/expected';
import { CliError, cliOptions, color, EXIT, loadConfigForCli, print, printJson, progress } from '../output';
import { assertCredentials } from './doctor';

export interface TestPageResult {
  /** The router function invoked. */
  readonly function: string;
  readonly level: string;
  /** What the router answered (its RouterResult summary). */
  readonly router: { readonly action?: string; readonly why?: string; readonly levels?: string[] };
}

/** Checks the level against the config's alerts.levels (a usage error, exit 2, before anything is sent). */
export function assertLevel(config: NightshiftConfig, level: string): void {
  const names = config.alerts.levels.map((l) => l.name);
  if (!names.includes(level)) {
    throw new CliError(
      `--level "${level}" is not an alert level of ${config.project} — use one of: ${names.join(', ')}`,
      EXIT.USAGE,
    );
  }
}

/** Invokes the deployed router with a test page event and returns its answer. */
export async function sendTestPage(
  lambda: Pick<LambdaClient, 'send'>,
  stacks: readonly SynthesizedStack[],
  request: { region: string; level: string; requestedBy: string; now: Date },
): Promise<TestPageResult> {
  const fn = alarmRouterFunction(stacks, request.region);
  const event = testPageEvent(request.level, request.requestedBy, request.now);
  let out: InvokeCommandOutput;
  try {
    out = await lambda.send(
      new InvokeCommand({
        FunctionName: fn,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      }),
    );
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') {
      throw new CliError(
        `the alert router ${fn} does not exist in ${request.region} — deploy the stacks first (cdk deploy --all)`,
      );
    }
    throw new CliError(
      `could not invoke ${fn}: ${reasonOf(error)} — check your credentials allow lambda:InvokeFunction on it`,
      EXIT.FAILED,
      { cause: error },
    );
  }
  const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
  let payload: Record<string, unknown> = {};
  try {
    payload = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    payload = {};
  }
  if (out.FunctionError) {
    const message = typeof payload.errorMessage === 'string' ? payload.errorMessage : out.FunctionError;
    throw new CliError(
      `${fn} could not send the test page: ${reasonOf(new Error(message))} — see its log group`,
    );
  }
  return {
    function: fn,
    level: request.level,
    router: {
      ...(typeof payload.action === 'string' ? { action: payload.action } : {}),
      ...(typeof payload.why === 'string' ? { why: payload.why } : {}),
      ...(Array.isArray(payload.levels) ? { levels: payload.levels.map(String) } : {}),
    },
  };
}

/** The `page` command's action (its definition: lib/cli/definitions/page.ts). */
export const pageAction = async (flags: { test?: boolean; level: string; by?: string }, command: Command) => {
  const options = cliOptions(command);
  if (!flags.test) {
    throw new CliError(
      'only test pages can be sent by hand — run "nightshift page --test --level <name>"',
      EXIT.USAGE,
    );
  }
  const { config } = loadConfigForCli(options);
  assertLevel(config, flags.level);
  const lambda = new LambdaClient({ region: config.region });
  await assertCredentials(() => lambda.config.credentials(), config.region);
  progress('synthesizing the CDK app…');
  const { synthesizeTemplates } = await import('../../doctor/synth');
  const stacks = await synthesizeTemplates(config);
  progress(`sending a test page to ${flags.level}…`);
  const result = await sendTestPage(lambda, stacks, {
    region: config.region,
    level: flags.level,
    requestedBy: flags.by ?? process.env.NIGHTSHIFT_USER ?? userInfo().username,
    now: new Date(),
  });
  if (options.json) {
    printJson(result);
    return;
  }
  print(
    `${color.green('✓')} test page sent to level ${result.level} through ${result.function}${result.router.why ? ` (${result.router.why})` : ''}.`,
    color.dim(
      'Check the inboxes, phones and chat channels of that level; e-mail subscribers must have confirmed their subscription ("nightshift doctor").',
    ),
  );
};
