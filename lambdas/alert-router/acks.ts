/**
 * Acknowledgements (ADR 002): one DynamoDB item per alarm in `<project>-nightshift-acks`, holding the
 * latest acknowledgement. The escalation state machine reads it with GetItem and stops when `at` is at or
 * after the episode start, so an ack covers exactly the current episode and a new episode escalates again.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';

/** Acknowledgements expire from the table after this long (DynamoDB TTL). */
export const ACK_TTL_DAYS = 90;

export function ackTableName(project: string): string {
  return `${project}-nightshift-acks`;
}

export interface Acknowledgement {
  readonly alarm: string;
  /** Who acknowledged (CLI: the caller's IAM identity or --by). */
  readonly by: string;
  /** ISO time of the acknowledgement; compared with the episode start. */
  readonly at: string;
  /** ISO start of the episode that was acknowledged (informational). */
  readonly episode: string;
  readonly note?: string | undefined;
}

type Item = Record<string, AttributeValue>;

function toItem(ack: Acknowledgement): Item {
  return {
    alarm: { S: ack.alarm },
    by: { S: ack.by },
    at: { S: ack.at },
    episode: { S: ack.episode },
    ...(ack.note ? { note: { S: ack.note } } : {}),
    expiresAt: { N: String(Math.floor(Date.parse(ack.at) / 1000) + ACK_TTL_DAYS * 86_400) },
  };
}

/** The acknowledgement an item (or a stream record's image) holds. */
export function ackFromItem(item: Item | undefined): Acknowledgement | undefined {
  if (!item?.alarm?.S || !item.at?.S) return undefined;
  return {
    alarm: item.alarm.S,
    by: item.by?.S ?? 'unknown',
    at: item.at.S,
    episode: item.episode?.S ?? item.at.S,
    note: item.note?.S,
  };
}

export async function putAck(
  dynamo: Pick<DynamoDBClient, 'send'>,
  table: string,
  ack: Acknowledgement,
): Promise<void> {
  await dynamo.send(new PutItemCommand({ TableName: table, Item: toItem(ack) }));
}

export async function getAck(
  dynamo: Pick<DynamoDBClient, 'send'>,
  table: string,
  alarm: string,
): Promise<Acknowledgement | undefined> {
  const out = await dynamo.send(
    new GetItemCommand({ TableName: table, Key: { alarm: { S: alarm } }, ConsistentRead: true }),
  );
  return ackFromItem(out.Item);
}

/** Every acknowledgement (the table holds one small item per alarm). */
export async function listAcks(
  dynamo: Pick<DynamoDBClient, 'send'>,
  table: string,
): Promise<Map<string, Acknowledgement>> {
  const acks = new Map<string, Acknowledgement>();
  let start: Item | undefined;
  do {
    const page = await dynamo.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const ack = ackFromItem(item);
      if (ack) acks.set(ack.alarm, ack);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return acks;
}

/** Whether `ack` covers the episode that started at `episodeStart` (same rule as the state machine). */
export function coversEpisode(ack: Acknowledgement | undefined, episodeStart: Date | undefined): boolean {
  if (!ack || !episodeStart) return false;
  return Date.parse(ack.at) >= episodeStart.getTime();
}
