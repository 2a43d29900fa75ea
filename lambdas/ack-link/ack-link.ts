/**
 * The ack-link core (ADR 006): one HTTP request on `/<id>` in, one HTML page out.
 *
 * GET  counts the attempt and shows what would be acknowledged, with a form. It never acknowledges:
 *      mail scanners and link previews fetch URLs on their own.
 * POST counts the attempt, checks the alarm is still in the episode the link was sent for, marks the
 *      link used (conditional update: once), and records the acknowledgement exactly as
 *      `nightshift ack` does (acks.ts). The escalation stops at its next check; the acks table's
 *      stream makes the router tell the team (alert-router/team.ts).
 *
 * Refusals: 400 malformed id, 404 unknown, 410 expired / used / episode over, 429 over the attempt cap.
 */
import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { formatDuration } from '../../lib/config/primitives';
import { putAck } from '../alert-router/acks';
import { formatTime } from '../alert-router/format';
import type { Log } from '../shared/log';
import { reasonOf } from '../shared/redact';
import { type AckLink, consumeLink, countAttempt, isExpired, isLinkId, releaseLink } from './links';
import {
  acknowledgedPage,
  confirmPage,
  type HttpResponse,
  type LinkView,
  type Refusal,
  refusalPage,
} from './page';

/** Two state changes of one alarm are further apart than this: a later start is a new episode. */
const SAME_EPISODE_MS = 5_000;

export interface AckLinkDeps {
  readonly dynamo: Pick<DynamoDBClient, 'send'>;
  readonly cloudwatch: Pick<CloudWatchClient, 'send'>;
  readonly linkTable: string;
  readonly ackTable: string;
  readonly timeZone: string;
  readonly now: () => Date;
  readonly log: Log;
}

export interface AckLinkRequest {
  readonly method: string;
  /** The URL path, e.g. "/Q2hlY2sgdGhlIHJ1bmJvb2sh". */
  readonly path: string;
}

export interface AckLinkResult {
  readonly response: HttpResponse;
  /** For the log line: what happened, never the id. */
  readonly outcome: string;
  readonly alarm?: string | undefined;
}

function view(link: AckLink, deps: AckLinkDeps, now: Date): LinkView {
  const start = new Date(link.episode);
  return {
    title: link.title,
    alarm: link.alarm,
    since: `${formatTime(start, deps.timeZone)} (${formatDuration(Math.max(0, now.getTime() - start.getTime()))} ago)`,
    level: link.level,
    recipient: link.recipient,
  };
}

function refuse(refusal: Refusal, outcome: string, alarm?: string): AckLinkResult {
  return { response: refusalPage(refusal), outcome, alarm };
}

/** Why the link's episode is over, or undefined while the alarm is still in it. */
async function episodeOver(deps: AckLinkDeps, link: AckLink): Promise<string | undefined> {
  const out = await deps.cloudwatch.send(
    new DescribeAlarmsCommand({ AlarmNames: [link.alarm], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }),
  );
  const alarm = out.MetricAlarms?.[0] ?? out.CompositeAlarms?.[0];
  if (!alarm) return 'the alarm no longer exists, so its escalation has stopped.';
  if (alarm.StateValue !== 'ALARM') {
    return `the alarm is ${alarm.StateValue ?? 'not in ALARM'} now: this episode is over and its escalation has stopped.`;
  }
  const since = alarm.StateTransitionedTimestamp;
  if (since && since.getTime() - Date.parse(link.episode) > SAME_EPISODE_MS) {
    return `the alarm recovered and fired again at ${formatTime(since, deps.timeZone)}; this link belongs to the earlier episode. Use the link of the newer page.`;
  }
  return undefined;
}

export async function run(deps: AckLinkDeps, request: AckLinkRequest): Promise<AckLinkResult> {
  const method = request.method.toUpperCase();
  if (method !== 'GET' && method !== 'POST') return refuse({ kind: 'method' }, 'method');
  const id = request.path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (!isLinkId(id)) return refuse({ kind: id ? 'malformed' : 'unknown' }, id ? 'malformed' : 'no-id');

  const attempt = await countAttempt(deps.dynamo, deps.linkTable, id);
  if (attempt.outcome === 'unknown') return refuse({ kind: 'unknown' }, 'unknown');
  const { link } = attempt;
  const now = deps.now();
  // Expired before rate-limited: an old link should say so, whoever hammered it.
  if (isExpired(link, now)) return refuse({ kind: 'expired', alarm: link.alarm }, 'expired', link.alarm);
  if (link.usedAt) {
    return refuse(
      { kind: 'used', alarm: link.alarm, usedAt: formatTime(new Date(link.usedAt), deps.timeZone) },
      'used',
      link.alarm,
    );
  }
  if (attempt.outcome === 'rate-limited') {
    return refuse({ kind: 'rate-limited', alarm: link.alarm }, 'rate-limited', link.alarm);
  }
  if (method === 'GET')
    return { response: confirmPage(view(link, deps, now)), outcome: 'shown', alarm: link.alarm };

  const over = await episodeOver(deps, link);
  if (over) return refuse({ kind: 'over', alarm: link.alarm, why: over }, 'episode-over', link.alarm);
  if (!(await consumeLink(deps.dynamo, deps.linkTable, id, now))) {
    // Another request used it a moment ago, or it expired in between.
    return refuse(
      { kind: 'used', alarm: link.alarm, usedAt: formatTime(now, deps.timeZone) },
      'used',
      link.alarm,
    );
  }
  try {
    await putAck(deps.dynamo, deps.ackTable, {
      alarm: link.alarm,
      by: link.recipient,
      at: now.toISOString(),
      episode: link.episode,
      note: `ack link (${link.level})`,
    });
  } catch (error) {
    deps.log.error('could not record the acknowledgement; link released for a retry', {
      alarm: link.alarm,
      reason: reasonOf(error),
    });
    await releaseLink(deps.dynamo, deps.linkTable, id, now).catch(() => undefined);
    return refuse({ kind: 'unavailable', alarm: link.alarm }, 'ack-failed', link.alarm);
  }
  const after = formatDuration(Math.max(0, now.getTime() - Date.parse(link.episode)));
  return {
    response: acknowledgedPage(view(link, deps, now), after),
    outcome: 'acknowledged',
    alarm: link.alarm,
  };
}
