/**
 * `nightshift ack <alarm> [--note TEXT] [--by NAME]` — acknowledges the current ALARM episode of an alarm:
 * the escalation stops at its next check; recovery is still notified; a new episode escalates again.
 * The same item the ack link writes (ADR 006): the acks table's stream makes the router tell the team.
 */
import { userInfo } from 'node:os';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { Command } from 'commander';
import { type Acknowledgement, ackTableName, putAck } from '../../../lambdas/alert-router/acks';
import { reasonOf } from '../../../lambdas/shared/redact';
import { formatDuration } from '../../config/primitives';
import type { NightshiftConfig } from '../../config/schema';
import { CliError, cliOptions, color, EXIT, loadConfigForCli, print, printJson } from '../output';
import { type AlarmsDeps, clientsFor, stateSince } from './alarms';

export interface AckRequest {
  readonly alarm: string;
  readonly by: string;
  readonly note?: string | undefined;
  readonly now: Date;
}

export interface AckResult extends Acknowledgement {
  /** How long the alarm has been in ALARM. */
  readonly inAlarmMs: number;
}

/** Finds the alarm (exact name, else `<project>-<name>`), checks it is in ALARM and records the ack. */
export async function acknowledge(
  deps: AlarmsDeps,
  config: NightshiftConfig,
  request: AckRequest,
): Promise<AckResult> {
  const candidates = [request.alarm, `${config.project}-${request.alarm}`];
  for (const name of candidates) {
    const out = await deps.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }),
    );
    const alarm = out.MetricAlarms?.[0] ?? out.CompositeAlarms?.[0];
    if (!alarm) continue;
    const since = stateSince(alarm);
    if (alarm.StateValue !== 'ALARM' || !since) {
      throw new CliError(
        `${name} is ${alarm.StateValue ?? 'in an unknown state'}, not ALARM — there is nothing to acknowledge`,
      );
    }
    const ack: Acknowledgement = {
      alarm: name,
      by: request.by,
      at: request.now.toISOString(),
      episode: since.toISOString(),
      note: request.note,
    };
    await putAck(deps.dynamo, ackTableName(config.project), ack);
    return { ...ack, inAlarmMs: request.now.getTime() - since.getTime() };
  }
  throw new CliError(
    `no alarm named ${candidates.join(' or ')} in ${config.region} — run "nightshift alarms" to see the names`,
    EXIT.USAGE,
  );
}

/** The `ack` command's action (its definition: lib/cli/definitions/ack.ts). */
export const ackAction = async (alarm: string, flags: { note?: string; by?: string }, command: Command) => {
  const options = cliOptions(command);
  const { config } = loadConfigForCli(options);
  const by = flags.by ?? process.env.NIGHTSHIFT_USER ?? userInfo().username;
  let result: AckResult;
  try {
    result = await acknowledge(clientsFor(config.region), config, {
      alarm,
      by,
      note: flags.note,
      now: new Date(),
    });
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(
      `could not acknowledge ${alarm}: ${reasonOf(error)} — check your AWS credentials`,
      EXIT.FAILED,
      {
        cause: error,
      },
    );
  }
  if (options.json) {
    printJson(result);
    return;
  }
  print(
    `${color.green('✓')} ${result.alarm} acknowledged by ${result.by} (in ALARM for ${formatDuration(result.inAlarmMs)}).`,
    color.dim(
      'Escalation stops at its next check and the team is told; the RESOLVED message still goes out.',
    ),
  );
};
