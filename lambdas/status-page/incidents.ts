/**
 * Incidents of the status page, one DynamoDB item each in `<project>-nightshift-status`
 * (settings.ts statusTableName): partition key `target` (a healthChecks target name), sort key `id`
 * (`<opened ISO time>#<kind>`), so a retried alarm event writes the same item twice at most once, and
 * a target's incidents come back newest first from one Query. The alarm hook opens an incident when a
 * target's alarm goes to ALARM and closes it when the alarm goes OK; `nightshift status note` appends
 * operator notes. Items expire (TTL) a year after they open.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { IncidentKind } from './settings';

/** Incidents (and their notes) leave the table this long after they open. */
export const INCIDENT_TTL_DAYS = 400;
/** Longest operator note, in characters. */
export const MAX_NOTE_LENGTH = 500;

/** `notice`: an operator note with no alarm behind it (opened and closed at once). */
export type StoredKind = IncidentKind | 'notice';

export interface Note {
  readonly at: string;
  readonly text: string;
}

export interface Incident {
  readonly target: string;
  readonly id: string;
  readonly kind: StoredKind;
  readonly openedAt: string;
  readonly closedAt?: string | undefined;
  readonly notes: readonly Note[];
}

type Item = Record<string, AttributeValue>;
export type Dynamo = Pick<DynamoDBClient, 'send'>;

const KINDS: readonly StoredKind[] = ['down', 'slow', 'notice'];

export function incidentId(openedAt: string, kind: StoredKind): string {
  return `${openedAt}#${kind}`;
}

function fromItem(item: Item): Incident | undefined {
  const target = item.target?.S;
  const id = item.id?.S;
  const openedAt = item.openedAt?.S;
  const kind = item.kind?.S as StoredKind | undefined;
  if (!target || !id || !openedAt || !kind || !KINDS.includes(kind)) return undefined;
  const notes = (item.notes?.L ?? []).flatMap((n): Note[] => {
    const at = n.M?.at?.S;
    const text = n.M?.text?.S;
    return at && text ? [{ at, text }] : [];
  });
  return { target, id, kind, openedAt, closedAt: item.closedAt?.S, notes };
}

function expiresAt(openedAt: string): string {
  return String(Math.floor(Date.parse(openedAt) / 1000) + INCIDENT_TTL_DAYS * 86_400);
}

/** A target's incidents, newest first; `since` (ISO) limits how far back. */
export async function listIncidents(
  dynamo: Dynamo,
  table: string,
  target: string,
  options: { since?: string; limit?: number } = {},
): Promise<Incident[]> {
  const out = await dynamo.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: options.since ? '#t = :t AND #id >= :since' : '#t = :t',
      ExpressionAttributeNames: { '#t': 'target', ...(options.since ? { '#id': 'id' } : {}) },
      ExpressionAttributeValues: {
        ':t': { S: target },
        ...(options.since ? { ':since': { S: options.since } } : {}),
      },
      ScanIndexForward: false,
      Limit: options.limit ?? 50,
    }),
  );
  return (out.Items ?? []).flatMap((item) => fromItem(item) ?? []);
}

/**
 * Opens an incident of `kind` for `target` at `at`, unless one of that kind is open already (an alarm
 * that goes ALARM → INSUFFICIENT_DATA → ALARM stays one incident). Idempotent for a retried event.
 */
export async function openIncident(
  dynamo: Dynamo,
  table: string,
  target: string,
  kind: IncidentKind,
  at: string,
): Promise<'opened' | 'already open'> {
  const recent = await listIncidents(dynamo, table, target, { limit: 20 });
  if (recent.some((i) => i.kind === kind && !i.closedAt)) return 'already open';
  try {
    await dynamo.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          target: { S: target },
          id: { S: incidentId(at, kind) },
          kind: { S: kind },
          openedAt: { S: at },
          notes: { L: [] },
          expiresAt: { N: expiresAt(at) },
        },
        ConditionExpression: 'attribute_not_exists(#id)',
        ExpressionAttributeNames: { '#id': 'id' },
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return 'already open';
    throw error;
  }
  return 'opened';
}

/** Closes every open incident of `kind` for `target` at `at`; returns how many it closed. */
export async function closeIncidents(
  dynamo: Dynamo,
  table: string,
  target: string,
  kind: IncidentKind,
  at: string,
): Promise<number> {
  const open = (await listIncidents(dynamo, table, target, { limit: 20 })).filter(
    (i) => i.kind === kind && !i.closedAt,
  );
  for (const incident of open) {
    try {
      await dynamo.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { target: { S: target }, id: { S: incident.id } },
          UpdateExpression: 'SET closedAt = :at',
          ConditionExpression: 'attribute_exists(#id) AND attribute_not_exists(closedAt)',
          ExpressionAttributeNames: { '#id': 'id' },
          ExpressionAttributeValues: { ':at': { S: at < incident.openedAt ? incident.openedAt : at } },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
  return open.length;
}

/**
 * Adds an operator note to the target's open incident (the newest one if several), else posts it as a
 * notice of its own. Returns the incident the note went to.
 */
export async function addNote(
  dynamo: Dynamo,
  table: string,
  target: string,
  text: string,
  at: string,
): Promise<{ incident: Incident; created: boolean }> {
  const note = text.trim();
  if (!note) throw new Error('the note is empty — write what users should know');
  if (note.length > MAX_NOTE_LENGTH)
    throw new Error(`the note has ${note.length} characters — keep it under ${MAX_NOTE_LENGTH}`);
  const open = (await listIncidents(dynamo, table, target, { limit: 20 })).find((i) => !i.closedAt);
  const entry: AttributeValue = { M: { at: { S: at }, text: { S: note } } };
  if (open) {
    await dynamo.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { target: { S: target }, id: { S: open.id } },
        UpdateExpression: 'SET notes = list_append(if_not_exists(notes, :none), :note)',
        ExpressionAttributeValues: { ':note': { L: [entry] }, ':none': { L: [] } },
      }),
    );
    return { incident: { ...open, notes: [...open.notes, { at, text: note }] }, created: false };
  }
  const incident: Incident = {
    target,
    id: incidentId(at, 'notice'),
    kind: 'notice',
    openedAt: at,
    closedAt: at,
    notes: [{ at, text: note }],
  };
  await dynamo.send(
    new PutItemCommand({
      TableName: table,
      Item: {
        target: { S: target },
        id: { S: incident.id },
        kind: { S: 'notice' },
        openedAt: { S: at },
        closedAt: { S: at },
        notes: { L: [entry] },
        expiresAt: { N: expiresAt(at) },
      },
    }),
  );
  return { incident, created: true };
}
