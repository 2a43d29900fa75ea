/**
 * `nightshift alarms [--all] [--json]` — the project's alarms from CloudWatch: state, severity, since
 * when, and who acknowledged the current episode (from the acks table, ADR 002).
 */
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandOutput,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Command } from 'commander';
import {
  type Acknowledgement,
  ackTableName,
  coversEpisode,
  listAcks,
} from '../../../lambdas/alert-router/acks';
import { needsTags, routingDecision } from '../../../lambdas/alert-router/routing';
import { routerSettings } from '../../../lambdas/alert-router/settings';
import { reasonOf } from '../../../lambdas/shared/redact';
import { formatDuration, SEVERITIES, type Severity } from '../../config/primitives';
import type { NightshiftConfig } from '../../config/schema';
import { severityWithName } from '../../config/severity-names';
import {
  CliError,
  cliOptions,
  color,
  EXIT,
  loadConfigForCli,
  printError,
  printJson,
  printTable,
} from '../output';

export interface AlarmRow {
  readonly name: string;
  readonly kind: 'metric' | 'composite';
  readonly state: string;
  readonly severity: Severity | 'unrouted';
  /** How the table shows it: "P1 (high)" with an alias (alerts.severities.aliases). */
  readonly severityName: string;
  readonly target: string;
  /** When the alarm entered its current state. */
  readonly since?: string | undefined;
  readonly reason: string;
  /** The acknowledgement covering the current ALARM episode, if any. */
  readonly acknowledged?: Acknowledgement | undefined;
}

export interface AlarmsDeps {
  readonly cloudwatch: Pick<CloudWatchClient, 'send'>;
  readonly dynamo: Pick<DynamoDBClient, 'send'>;
}

interface AnyAlarm {
  AlarmName?: string | undefined;
  AlarmArn?: string | undefined;
  AlarmDescription?: string | undefined;
  StateValue?: string | undefined;
  StateReason?: string | undefined;
  StateUpdatedTimestamp?: Date | undefined;
  StateTransitionedTimestamp?: Date | undefined;
}

/** When the current state began (StateTransitionedTimestamp, else StateUpdatedTimestamp). */
export function stateSince(alarm: AnyAlarm): Date | undefined {
  return alarm.StateTransitionedTimestamp ?? alarm.StateUpdatedTimestamp;
}

async function describeAll(
  cloudwatch: AlarmsDeps['cloudwatch'],
  prefix: string | undefined,
): Promise<{ alarm: AnyAlarm; kind: 'metric' | 'composite' }[]> {
  const out: { alarm: AnyAlarm; kind: 'metric' | 'composite' }[] = [];
  let token: string | undefined;
  do {
    const page: DescribeAlarmsCommandOutput = await cloudwatch.send(
      new DescribeAlarmsCommand({
        AlarmNamePrefix: prefix,
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        NextToken: token,
        MaxRecords: 100,
      }),
    );
    for (const alarm of page.MetricAlarms ?? []) out.push({ alarm, kind: 'metric' });
    for (const alarm of page.CompositeAlarms ?? []) out.push({ alarm, kind: 'composite' });
    token = page.NextToken;
  } while (token);
  return out;
}

/** Alarms whose tags are fetched at once (ListTagsForResource has no batch form). */
const TAG_CONCURRENCY = 8;

/**
 * The alarms Nightshift pages for (routingDecision, shared with the alert router: its own alarms, the
 * `routeAlarms.namePrefix` ones and those opted in by tag), most urgent first; with `all`, every alarm
 * in the account and region, the others marked "unrouted".
 */
export async function listAlarms(
  deps: AlarmsDeps,
  config: NightshiftConfig,
  options: { all?: boolean } = {},
): Promise<AlarmRow[]> {
  const { project } = config;
  // The router's own settings; topic ARNs play no part in the decision.
  const settings = routerSettings(
    config,
    config.alerts.levels.map(() => ''),
  );
  // Opted-in alarms can have any name: the router sees every alarm, so the listing reads every alarm.
  const alarms = await describeAll(deps.cloudwatch, undefined);
  const tags = new Map<string, Record<string, string>>();
  const untagged = alarms.filter(({ alarm }) => needsTags(alarm.AlarmDescription) && alarm.AlarmArn);
  for (let i = 0; i < untagged.length; i += TAG_CONCURRENCY) {
    const batch = untagged.slice(i, i + TAG_CONCURRENCY);
    const found = await Promise.all(batch.map(({ alarm }) => tagsOf(deps.cloudwatch, alarm.AlarmArn)));
    for (const [j, { alarm }] of batch.entries()) tags.set(alarm.AlarmName ?? '', found[j] ?? {});
  }
  let acks = new Map<string, Acknowledgement>();
  try {
    acks = await listAcks(deps.dynamo, ackTableName(project));
  } catch (error) {
    printError(color.dim(`acknowledgements unavailable (${reasonOf(error)}) — is the stack deployed?`));
  }
  const rows: AlarmRow[] = [];
  for (const { alarm, kind } of alarms) {
    const name = alarm.AlarmName ?? '';
    const decision = routingDecision(settings, {
      name,
      description: alarm.AlarmDescription,
      tags: tags.get(name),
    });
    if (!decision.routed && !options.all) continue;
    const since = stateSince(alarm);
    const ack = acks.get(name);
    rows.push({
      name,
      kind,
      state: alarm.StateValue ?? 'UNKNOWN',
      severity: decision.routed ? decision.severity : 'unrouted',
      severityName: decision.routed ? severityWithName(settings.aliases, decision.severity) : 'unrouted',
      target: decision.routed ? decision.target : name,
      since: since?.toISOString(),
      reason: alarm.StateReason ?? '',
      acknowledged: alarm.StateValue === 'ALARM' && coversEpisode(ack, since) ? ack : undefined,
    });
  }
  const stateOrder = ['ALARM', 'INSUFFICIENT_DATA', 'OK'];
  const severityOrder = [...SEVERITIES, 'unrouted'];
  return rows.sort(
    (a, b) =>
      stateOrder.indexOf(a.state) - stateOrder.indexOf(b.state) ||
      severityOrder.indexOf(a.severity) - severityOrder.indexOf(b.severity) ||
      a.name.localeCompare(b.name),
  );
}

async function tagsOf(
  cloudwatch: AlarmsDeps['cloudwatch'],
  arn: string | undefined,
): Promise<Record<string, string>> {
  if (!arn) return {};
  try {
    const out = await cloudwatch.send(new ListTagsForResourceCommand({ ResourceARN: arn }));
    return Object.fromEntries((out.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  } catch {
    return {};
  }
}

/** "23 min ago (18:04)" relative to now, in the configured time zone. */
export function sinceText(iso: string | undefined, now: Date, timeZone: string): string {
  if (!iso) return '';
  const at = new Date(iso);
  const clock = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(at);
  return `${formatDuration(Math.max(0, now.getTime() - at.getTime()))} ago (${clock})`;
}

export function clientsFor(region: string): AlarmsDeps {
  return { cloudwatch: new CloudWatchClient({ region }), dynamo: new DynamoDBClient({ region }) };
}

/** The `alarms` command's action (its definition: lib/cli/definitions/alarms.ts). */
export const alarmsAction = async (flags: { all?: boolean }, command: Command) => {
  const options = cliOptions(command);
  const { config } = loadConfigForCli(options);
  const deps = clientsFor(config.region);
  let rows: AlarmRow[];
  try {
    rows = await listAlarms(deps, config, flags);
  } catch (error) {
    throw new CliError(
      `could not list alarms in ${config.region}: ${reasonOf(error)} — check your AWS credentials and region`,
      EXIT.FAILED,
      { cause: error },
    );
  }
  if (options.json) {
    printJson(rows);
    return;
  }
  if (rows.length === 0) {
    printError(`no alarms Nightshift pages for in ${config.region} — is the stack deployed?`);
    return;
  }
  const now = new Date();
  const stateText = (state: string) =>
    state === 'ALARM' ? color.red(state) : state === 'OK' ? color.green(state) : color.yellow(state);
  printTable(rows, [
    { header: 'ALARM', value: 'name' },
    { header: 'STATE', value: (r) => stateText(r.state) },
    { header: 'SEVERITY', value: 'severityName' },
    { header: 'SINCE', value: (r) => sinceText(r.since, now, config.timezone) },
    {
      header: 'ACKNOWLEDGED BY',
      value: (r) =>
        r.acknowledged ? `${r.acknowledged.by}${r.acknowledged.note ? `: ${r.acknowledged.note}` : ''}` : '',
    },
  ]);
};
