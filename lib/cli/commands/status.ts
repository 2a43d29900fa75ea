/**
 * `nightshift status note <target> <text>` — posts an operator note on the status page: on the target's
 * open incident if it has one, else as a notice of its own. The target is a statusPage target, by its
 * healthChecks name or its display name. Writes to `<project>-nightshift-status` (docs/status-page.md).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Command } from 'commander';
import { reasonOf } from '../../../lambdas/shared/redact';
import { addNote, type Dynamo, type Incident, MAX_NOTE_LENGTH } from '../../../lambdas/status-page/incidents';
import { statusTableName } from '../../../lambdas/status-page/settings';
import type { NightshiftConfig } from '../../config/schema';
import { CliError, cliOptions, color, EXIT, loadConfigForCli, print, printJson } from '../output';

export interface NoteRequest {
  readonly target: string;
  readonly text: string;
  readonly now: Date;
}

export interface NoteResult {
  readonly target: string;
  readonly display: string;
  readonly incident: Incident;
  /** true: no open incident, the note was posted as a notice of its own. */
  readonly created: boolean;
}

/** The statusPage target named `name` (healthChecks name or display name), or a usage error listing them. */
export function statusTarget(config: NightshiftConfig, name: string): { target: string; display: string } {
  const section = config.statusPage;
  if (!section) {
    throw new CliError('this config has no statusPage section — add one (docs/status-page.md)', EXIT.USAGE);
  }
  const targets = section.targets.map((entry) =>
    typeof entry === 'string'
      ? { target: entry, display: entry }
      : { target: entry.target, display: entry.name },
  );
  const found = targets.find((t) => t.target === name) ?? targets.find((t) => t.display === name);
  if (!found) {
    throw new CliError(
      `"${name}" is not on the status page — use one of ${targets.map((t) => t.target).join(', ')} (statusPage.targets)`,
      EXIT.USAGE,
    );
  }
  return found;
}

export async function postNote(
  dynamo: Dynamo,
  config: NightshiftConfig,
  request: NoteRequest,
): Promise<NoteResult> {
  const { target, display } = statusTarget(config, request.target);
  const text = request.text.trim();
  if (!text) throw new CliError('the note is empty — write what users should know', EXIT.USAGE);
  if (text.length > MAX_NOTE_LENGTH) {
    throw new CliError(
      `the note has ${text.length} characters — keep it under ${MAX_NOTE_LENGTH}`,
      EXIT.USAGE,
    );
  }
  const { incident, created } = await addNote(
    dynamo,
    statusTableName(config.project),
    target,
    text,
    request.now.toISOString(),
  );
  return { target, display, incident, created };
}

/** The `status` command's action (its definition: lib/cli/definitions/status.ts). */
export const statusAction = async (target: string, text: string, _flags: unknown, command: Command) => {
  const options = cliOptions(command);
  const { config } = loadConfigForCli(options);
  let result: NoteResult;
  try {
    result = await postNote(new DynamoDBClient({ region: config.region }), config, {
      target,
      text,
      now: new Date(),
    });
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`could not post the note: ${reasonOf(error)} — check your AWS credentials`);
  }
  if (options.json) {
    printJson(result);
    return;
  }
  print(
    result.created
      ? `${color.green('✓')} Posted as a notice for ${result.display} (no open incident).`
      : `${color.green('✓')} Added to the open ${result.incident.kind} incident of ${result.display} (since ${result.incident.openedAt}).`,
    color.dim('The page shows it within a minute (its cache time).'),
  );
};
