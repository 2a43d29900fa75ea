/**
 * Where a prometheus target's previous scrape is kept between invocations (docs/health-check.md,
 * "Where the previous scrape is kept"): one small DynamoDB item per target in `<project>-nightshift-scrapes`,
 * holding only the counters its rate and quantile terms read, with a TTL so a removed target's item
 * goes away. Local runs (`nightshift check`, tests) keep it in memory for the life of the process.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { ScrapeState } from './rules';

export interface ScrapeStateStore {
  load(target: string): Promise<ScrapeState | undefined>;
  save(target: string, state: ScrapeState): Promise<void>;
}

export function scrapeTableName(project: string): string {
  return `${project}-nightshift-scrapes`;
}

/** Items expire this long after their scrape (DynamoDB TTL): longer than any rate looks back. */
export const SCRAPE_TTL_SECONDS = 3 * 24 * 3600;
/** DynamoDB's item limit is 400 KB; an item larger than this is not written (a warning says why). */
export const MAX_STATE_BYTES = 350_000;

/** The previous scrape would not fit in one DynamoDB item: too many series match the rules. */
export class ScrapeStateTooLarge extends Error {
  constructor(
    readonly bytes: number,
    readonly seriesCount: number,
  ) {
    super(
      `previous-scrape state of ${seriesCount} series is ${Math.round(bytes / 1024)} kB, above the ${Math.round(MAX_STATE_BYTES / 1024)} kB a DynamoDB item holds — narrow the rules' label selectors`,
    );
    this.name = 'ScrapeStateTooLarge';
  }
}

export function encodeSeries(state: ScrapeState): string {
  return JSON.stringify(state.series);
}

export class MemoryScrapeState implements ScrapeStateStore {
  private readonly states = new Map<string, ScrapeState>();
  async load(target: string): Promise<ScrapeState | undefined> {
    return this.states.get(target);
  }
  async save(target: string, state: ScrapeState): Promise<void> {
    this.states.set(target, { scrapedAtMs: state.scrapedAtMs, series: { ...state.series } });
  }
}

/**
 * GetItem (eventually consistent: half the price; a scrape a minute apart reads the write before it)
 * and a conditional PutItem that never replaces a newer scrape with an older one (two overlapping runs).
 */
export function dynamoScrapeState(dynamo: Pick<DynamoDBClient, 'send'>, table: string): ScrapeStateStore {
  return {
    async load(target) {
      const out = await dynamo.send(new GetItemCommand({ TableName: table, Key: { target: { S: target } } }));
      const item = out.Item;
      const at = Number(item?.scrapedAt?.N);
      const series = item?.series?.S;
      if (!item || !Number.isFinite(at) || series === undefined) return undefined;
      try {
        const parsed = JSON.parse(series) as unknown;
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
        return { scrapedAtMs: at, series: parsed as Record<string, number> };
      } catch {
        return undefined;
      }
    },
    async save(target, state) {
      const series = encodeSeries(state);
      const bytes = Buffer.byteLength(series) + target.length + 64;
      if (bytes > MAX_STATE_BYTES) throw new ScrapeStateTooLarge(bytes, Object.keys(state.series).length);
      try {
        await dynamo.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              target: { S: target },
              scrapedAt: { N: String(state.scrapedAtMs) },
              series: { S: series },
              expiresAt: { N: String(Math.floor(state.scrapedAtMs / 1000) + SCRAPE_TTL_SECONDS) },
            },
            ConditionExpression: 'attribute_not_exists(scrapedAt) OR scrapedAt < :at',
            ExpressionAttributeValues: { ':at': { N: String(state.scrapedAtMs) } },
          }),
        );
      } catch (error) {
        // a newer scrape is already stored: keeping it is right
        if (error instanceof ConditionalCheckFailedException) return;
        throw error;
      }
    },
  };
}
