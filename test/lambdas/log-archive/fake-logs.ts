/**
 * A paginating CloudWatch Logs stand-in for tests: aws-sdk-client-mock answers DescribeLogGroups,
 * ListTagsForResource and FilterLogEvents from in-memory groups, interleaving streams by timestamp.
 */
import { createHash } from 'node:crypto';
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
  InvalidParameterException,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import type { SourceEvent } from '../../../lambdas/log-archive/source';

export interface FakeGroup {
  readonly name: string;
  readonly tags?: Record<string, string>;
  readonly events: SourceEvent[];
}

export interface FakeLogsOptions {
  /** events per FilterLogEvents page */
  readonly pageSize?: number;
  /** groups per DescribeLogGroups page */
  readonly groupPageSize?: number;
  /** Throws ThrottlingException when this returns true for the n-th FilterLogEvents call (1-based). */
  readonly throttle?: (call: number) => boolean;
  /** Tokens issued before this many FilterLogEvents calls are rejected as expired. */
  readonly expireTokensBefore?: () => number;
}

export function fakeLogs(groups: FakeGroup[], options: FakeLogsOptions = {}) {
  const pageSize = options.pageSize ?? 100;
  const groupPageSize = options.groupPageSize ?? 2;
  const mock = mockClient(CloudWatchLogsClient);
  const state = { filterCalls: 0, throttled: 0, pagesServed: 0 };
  const arn = (name: string) => `arn:aws:logs:us-east-1:123456789012:log-group:${name}`;

  mock
    .on(DescribeLogGroupsCommand)
    .callsFake((input: { logGroupNamePrefix?: string; nextToken?: string }) => {
      const all = groups.filter(
        (g) => !input.logGroupNamePrefix || g.name.startsWith(input.logGroupNamePrefix),
      );
      const from = input.nextToken ? Number(input.nextToken) : 0;
      const page = all.slice(from, from + groupPageSize);
      return {
        logGroups: page.map((g) => ({ logGroupName: g.name, arn: `${arn(g.name)}:*` })),
        nextToken: from + groupPageSize < all.length ? String(from + groupPageSize) : undefined,
      };
    });
  mock.on(ListTagsForResourceCommand).callsFake((input: { resourceArn: string }) => {
    const group = groups.find((g) => arn(g.name) === input.resourceArn);
    if (!group) throw new ResourceNotFoundException({ message: 'not found', $metadata: {} });
    return { tags: group.tags ?? {} };
  });
  mock
    .on(FilterLogEventsCommand)
    .callsFake((input: { logGroupName: string; startTime: number; endTime: number; nextToken?: string }) => {
      state.filterCalls++;
      if (options.throttle?.(state.filterCalls)) {
        state.throttled++;
        throw new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
      }
      const group = groups.find((g) => g.name === input.logGroupName);
      if (!group) {
        throw new ResourceNotFoundException({
          message: 'The specified log group does not exist.',
          $metadata: {},
        });
      }
      let from = 0;
      if (input.nextToken) {
        const [issuedAt, offset] = input.nextToken.split(':').map(Number);
        if ((issuedAt ?? 0) < (options.expireTokensBefore?.() ?? 0)) {
          throw new InvalidParameterException({
            message: 'The specified nextToken has expired.',
            $metadata: {},
          });
        }
        from = offset ?? 0;
      }
      const matching = group.events.filter(
        (e) => e.timestamp >= input.startTime && e.timestamp <= input.endTime,
      );
      const page = matching.slice(from, from + pageSize);
      state.pagesServed++;
      const next = from + pageSize < matching.length ? `${state.filterCalls}:${from + pageSize}` : undefined;
      return {
        events: page.map((e, i) => ({
          timestamp: e.timestamp,
          logStreamName: e.stream,
          message: e.message,
          eventId: `${from + i}`,
          ingestionTime: e.timestamp + 5,
        })),
        nextToken: next,
      };
    });
  return { mock, state, client: new CloudWatchLogsClient({ region: 'us-east-1', maxAttempts: 1 }) };
}

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` events spread over [startMs, endMs) across `streams` streams, sorted by timestamp, hard to compress. */
export function syntheticEvents(
  count: number,
  startMs: number,
  endMs: number,
  streams: number,
  seed = 1,
): SourceEvent[] {
  const random = prng(seed);
  const events: SourceEvent[] = [];
  for (let i = 0; i < count; i++) {
    const timestamp = startMs + Math.floor(((endMs - startMs) * i) / count);
    let noise = '';
    for (let n = 0; n < 5; n++) noise += Math.floor(random() * 2 ** 52).toString(36);
    events.push({
      timestamp,
      stream: `2025/03/14/[$LATEST]stream-${i % streams}`,
      message: `${i} GET /api/orders/${Math.floor(random() * 1e6)} 200 ${Math.floor(random() * 900)}ms req=${noise} "quoted"\n`,
    });
  }
  return events;
}

/** Sorted per-event hashes: equal arrays mean the same events, none lost, none duplicated. */
export function eventHashes(
  events: Iterable<{ timestamp: number | string; stream: string; message: string }>,
): string[] {
  const out: string[] = [];
  for (const e of events) {
    const ts = typeof e.timestamp === 'number' ? new Date(e.timestamp).toISOString() : e.timestamp;
    out.push(createHash('sha256').update(`${ts}\u0000${e.stream}\u0000${e.message}`).digest('hex'));
  }
  return out.sort();
}
