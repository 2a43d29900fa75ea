/**
 * The ack-link contract (ADR 006), shared by the writer (the alert router mints links when it preformats
 * a page) and the reader (the ack-link function behind the Lambda Function URL).
 *
 * One DynamoDB item per link in `<project>-nightshift-ack-links`, keyed by `id`:
 *   id          22 characters of base64url: 128 bits from crypto.randomBytes (the credential)
 *   alarm       alarm name                      episode   ISO start of the ALARM episode
 *   level       alert level paged               recipient who it went to, masked ("+1…23")
 *   title       the page's title (shown on the confirmation page)
 *   createdAt   ISO                             expiresAt epoch seconds (DynamoDB TTL attribute)
 *   attempts    requests made with the link (atomic counter, capped: rate limit)
 *   usedAt      ISO time of the acknowledgement made with it (a link acknowledges once)
 *
 * DynamoDB deletes expired items only eventually (typically within days), so every reader compares
 * `expiresAt` with its own clock too.
 */
import { createHmac, randomBytes } from 'node:crypto';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';

/** A link acknowledges for this long after the page that carries it is due. */
export const LINK_TTL_HOURS = 24;
/** Requests one link may make in its life (GET and POST together): a person needs two or three. */
export const MAX_ATTEMPTS = 20;
/** 16 random bytes = 128 bits; base64url without padding is 22 characters. */
export const LINK_ID_BYTES = 16;
export const LINK_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

export function ackLinkTableName(project: string): string {
  return `${project}-nightshift-ack-links`;
}

/** A fresh link id: 128 bits from the operating system's CSPRNG, base64url. */
export function newLinkId(): string {
  return randomBytes(LINK_ID_BYTES).toString('base64url');
}

/**
 * The n-th link id of a delivery: HMAC-SHA256 of `n` under the delivery's random 128-bit seed, cut to
 * 128 bits. A retried delivery (Lambda retries an alarm event with the same request id) reads the same
 * seed back (deliverySeed) and so mints the same ids: its escalation input is identical, which Step
 * Functions takes as the same execution instead of a duplicate that pages nobody.
 */
export function seededLinkId(seed: string, n: number): string {
  return createHmac('sha256', Buffer.from(seed, 'base64url'))
    .update(String(n))
    .digest()
    .subarray(0, LINK_ID_BYTES)
    .toString('base64url');
}

/**
 * The random seed of one alarm-event delivery, stored once (conditional put) under `delivery#<id>` —
 * never a valid link id — and read back by a retry of the same delivery. Expires with the links.
 */
export async function deliverySeed(
  dynamo: Pick<DynamoDBClient, 'send'>,
  table: string,
  deliveryId: string,
  now: Date,
): Promise<string> {
  const id = `delivery#${deliveryId}`;
  const seed = newLinkId();
  try {
    await dynamo.send(
      new PutItemCommand({
        TableName: table,
        Item: { id: { S: id }, seed: { S: seed }, expiresAt: { N: String(expiryFor(now)) } },
        ConditionExpression: 'attribute_not_exists(id)',
      }),
    );
    return seed;
  } catch (error) {
    if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
    const out = await dynamo.send(
      new GetItemCommand({ TableName: table, Key: { id: { S: id } }, ConsistentRead: true }),
    );
    const stored = out.Item?.seed?.S;
    if (!stored) throw new Error(`the seed of delivery ${deliveryId} is missing`);
    return stored;
  }
}

/** Whether `id` has the shape of a link id (checked before any DynamoDB call). */
export function isLinkId(id: string): boolean {
  return LINK_ID_PATTERN.test(id);
}

/** The link URL: the Function URL (or any base ending in "/") followed by the id. */
export function linkUrl(base: string, id: string): string {
  return `${base.endsWith('/') ? base : `${base}/`}${id}`;
}

export interface AckLink {
  readonly id: string;
  readonly alarm: string;
  readonly episode: string;
  readonly level: string;
  readonly recipient: string;
  readonly title: string;
  readonly createdAt: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
  readonly attempts?: number | undefined;
  readonly usedAt?: string | undefined;
}

type Item = Record<string, AttributeValue>;

export function toItem(link: AckLink): Item {
  return {
    id: { S: link.id },
    alarm: { S: link.alarm },
    episode: { S: link.episode },
    level: { S: link.level },
    recipient: { S: link.recipient },
    title: { S: link.title },
    createdAt: { S: link.createdAt },
    expiresAt: { N: String(link.expiresAt) },
  };
}

export function fromItem(item: Item | undefined): AckLink | undefined {
  if (!item?.id?.S || !item.alarm?.S || !item.episode?.S || !item.expiresAt?.N) return undefined;
  return {
    id: item.id.S,
    alarm: item.alarm.S,
    episode: item.episode.S,
    level: item.level?.S ?? '',
    recipient: item.recipient?.S ?? 'unknown',
    title: item.title?.S ?? item.alarm.S,
    createdAt: item.createdAt?.S ?? '',
    expiresAt: Number(item.expiresAt.N),
    attempts: item.attempts?.N ? Number(item.attempts.N) : undefined,
    usedAt: item.usedAt?.S,
  };
}

/** Epoch seconds when a link for a page due at `dueAt` stops working. */
export function expiryFor(dueAt: Date): number {
  return Math.floor(dueAt.getTime() / 1000) + LINK_TTL_HOURS * 3600;
}

export function isExpired(link: Pick<AckLink, 'expiresAt'>, now: Date): boolean {
  return link.expiresAt * 1000 <= now.getTime();
}

const BATCH = 25;

/** Stores minted links (BatchWriteItem, 25 a call, unprocessed items retried). */
export async function putLinks(
  dynamo: Pick<DynamoDBClient, 'send'>,
  table: string,
  links: readonly AckLink[],
): Promise<void> {
  for (let i = 0; i < links.length; i += BATCH) {
    let requests = links.slice(i, i + BATCH).map((link) => ({ PutRequest: { Item: toItem(link) } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt === 5)
        throw new Error(`DynamoDB left ${requests.length} ack links unwritten after 5 tries`);
      if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      const out = await dynamo.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
      requests = (out.UnprocessedItems?.[table] ?? []) as typeof requests;
    }
  }
}

export type Attempt =
  | { readonly outcome: 'ok'; readonly link: AckLink }
  | { readonly outcome: 'unknown' }
  | { readonly outcome: 'rate-limited'; readonly link: AckLink };

/**
 * Counts one request against the link (atomic ADD with a conditional cap) and returns the link as
 * stored. Unknown ids and links over the cap are told apart by the item DynamoDB returns on failure.
 */
export async function countAttempt(
  dynamo: Pick<DynamoDBClient, 'send'>,
  table: string,
  id: string,
): Promise<Attempt> {
  try {
    const out = await dynamo.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { id: { S: id } },
        UpdateExpression: 'ADD attempts :one',
        ConditionExpression: 'attribute_exists(id) AND (attribute_not_exists(attempts) OR attempts < :max)',
        ExpressionAttributeValues: { ':one': { N: '1' }, ':max': { N: String(MAX_ATTEMPTS) } },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    const link = fromItem(out.Attributes);
    return link ? { outcome: 'ok', link } : { outcome: 'unknown' };
  } catch (error) {
    if (
      error instanceof ConditionalCheckFailedException ||
      (error as Error).name === 'ConditionalCheckFailedException'
    ) {
      const link = fromItem((error as ConditionalCheckFailedException).Item);
      return link ? { outcome: 'rate-limited', link } : { outcome: 'unknown' };
    }
    throw error;
  }
}

/**
 * Marks the link used, once: false when another request used it first or it expired meanwhile.
 */
export async function consumeLink(
  dynamo: Pick<DynamoDBClient, 'send'>,
  table: string,
  id: string,
  now: Date,
): Promise<boolean> {
  try {
    await dynamo.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { id: { S: id } },
        UpdateExpression: 'SET usedAt = :now',
        ConditionExpression: 'attribute_exists(id) AND attribute_not_exists(usedAt) AND expiresAt > :epoch',
        ExpressionAttributeValues: {
          ':now': { S: now.toISOString() },
          ':epoch': { N: String(Math.floor(now.getTime() / 1000)) },
        },
      }),
    );
    return true;
  } catch (error) {
    if (
      error instanceof ConditionalCheckFailedException ||
      (error as Error).name === 'ConditionalCheckFailedException'
    ) {
      return false;
    }
    throw error;
  }
}

/** Gives a consumed link back when recording the acknowledgement failed (so the person can retry). */
export async function releaseLink(
  dynamo: Pick<DynamoDBClient, 'send'>,
  table: string,
  id: string,
  usedAt: Date,
): Promise<void> {
  await dynamo.send(
    new UpdateItemCommand({
      TableName: table,
      Key: { id: { S: id } },
      UpdateExpression: 'REMOVE usedAt',
      ConditionExpression: 'usedAt = :at',
      ExpressionAttributeValues: { ':at': { S: usedAt.toISOString() } },
    }),
  );
}

/** The link as stored (tests and `nightshift` tooling; the handler reads through countAttempt). */
export async function getLink(
  dynamo: Pick<DynamoDBClient, 'send'>,
  table: string,
  id: string,
): Promise<AckLink | undefined> {
  const out = await dynamo.send(
    new GetItemCommand({ TableName: table, Key: { id: { S: id } }, ConsistentRead: true }),
  );
  return fromItem(out.Item);
}
