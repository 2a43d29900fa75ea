/**
 * Telling the team (ADR 006). "The team" of an episode is every level it has paged so far
 * (alert-router.ts pagedLevels: the same levels the RESOLVED message goes to); a rotating level's
 * notice goes to the member on call now.
 *
 * Acknowledgements arrive here from the acks table's DynamoDB stream, whoever wrote them: the ack link
 * (lambdas/ack-link) or `nightshift ack`. One notice per new acknowledgement of the alarm's current
 * episode: "acknowledged by +1…23 after 7 min".
 */

import { DescribeAlarmsCommand, ListTagsForResourceCommand } from '@aws-sdk/client-cloudwatch';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { reasonOf } from '../shared/redact';
import { ackFromItem, coversEpisode } from './acks';
import { pagedLevels, type RouterDeps, type RouterResult, windowNames } from './alert-router';
import { type RenderedMessage, renderAcknowledged } from './format';
import { needsTags, routingDecision } from './routing';

interface StreamRecord {
  readonly eventName?: string;
  readonly eventSource?: string;
  readonly dynamodb?: {
    readonly NewImage?: Record<string, AttributeValue>;
    readonly OldImage?: Record<string, AttributeValue>;
  };
}

export interface AckStreamEvent {
  readonly Records: readonly StreamRecord[];
}

/** A batch from the acks table's stream (the event source mapping). */
export function isAckStreamEvent(event: unknown): event is AckStreamEvent {
  const records = (event as { Records?: unknown } | undefined)?.Records;
  return (
    Array.isArray(records) &&
    records.length > 0 &&
    records.every((r) => (r as StreamRecord | undefined)?.eventSource === 'aws:dynamodb')
  );
}

async function tagsOf(deps: RouterDeps, arn: string | undefined): Promise<Record<string, string>> {
  if (!arn) return {};
  try {
    const out = await deps.cloudwatch.send(new ListTagsForResourceCommand({ ResourceARN: arn }));
    return Object.fromEntries((out.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  } catch (error) {
    deps.log.warn('could not read alarm tags; routing by name only', { reason: reasonOf(error) });
    return {};
  }
}

/** One record: the notice sent, or why none was. */
async function tellAboutAck(deps: RouterDeps, record: StreamRecord): Promise<RouterResult | undefined> {
  const { settings, log } = deps;
  const ack = ackFromItem(record.dynamodb?.NewImage);
  if (!ack) return undefined;
  if (ackFromItem(record.dynamodb?.OldImage)?.at === ack.at) return undefined;
  const base = { alarmName: ack.alarm };
  const out = await deps.cloudwatch.send(
    new DescribeAlarmsCommand({ AlarmNames: [ack.alarm], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }),
  );
  const alarm = out.MetricAlarms?.[0] ?? out.CompositeAlarms?.[0];
  if (!alarm) return { ...base, action: 'ignored', why: 'acknowledged alarm no longer exists' };
  const since = alarm.StateTransitionedTimestamp ?? alarm.StateUpdatedTimestamp;
  if (alarm.StateValue !== 'ALARM' || !since || !coversEpisode(ack, since)) {
    return { ...base, action: 'ignored', why: 'acknowledgement of an episode that is over' };
  }
  const description = alarm.AlarmDescription;
  const decision = routingDecision(settings, {
    name: ack.alarm,
    description,
    tags: needsTags(description) ? await tagsOf(deps, alarm.AlarmArn) : undefined,
  });
  if (!decision.routed) return { ...base, action: 'ignored', why: decision.why };
  const at = new Date(ack.at);
  const names = windowNames({ alarmName: ack.alarm }, decision, settings.project);
  const levels = pagedLevels(settings, decision.severity, since, at, names);
  const message: RenderedMessage = renderAcknowledged(
    {
      project: settings.project,
      alarmName: ack.alarm,
      region: alarm.AlarmArn?.split(':')[3] ?? '',
      severity: decision.severity,
      target: decision.target,
      summary: decision.summary,
      by: ack.by,
      at,
      episodeStart: since,
      note: ack.note,
    },
    { timeZone: settings.timeZone, aliases: settings.aliases },
  );
  for (const level of levels) await deps.notifier.notify(level, message);
  log.info('acknowledgement told to the team', { ...base, levels: levels.map((l) => l.name) });
  return {
    ...base,
    action: 'acknowledged',
    why: message.title,
    severity: decision.severity,
    levels: levels.map((l) => l.name),
    messages: [message],
  };
}

/** Every record of a stream batch; a failure fails the batch (retried, bisected, then dead-lettered). */
export async function tellTeamAboutAcks(deps: RouterDeps, event: AckStreamEvent): Promise<RouterResult[]> {
  const results: RouterResult[] = [];
  for (const record of event.Records) {
    const result = await tellAboutAck(deps, record);
    if (result) results.push(result);
  }
  return results;
}
