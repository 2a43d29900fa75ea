/**
 * Where log events come from. The core only sees `LogsSource`; in AWS it is CloudWatch Logs
 * (`cloudWatchLogsSource`), in the local demo an in-memory day of logs (`memoryLogsSource`).
 */
import {
  type CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-cloudwatch-logs';

export interface SourceEvent {
  /** epoch ms */
  readonly timestamp: number;
  readonly stream: string;
  readonly message: string;
}

export interface SourcePage {
  readonly events: readonly SourceEvent[];
  /** Absent on the last page. */
  readonly nextToken?: string | undefined;
}

export interface SourceGroup {
  readonly name: string;
  /** The log group ARN without the trailing ":*". */
  readonly arn?: string | undefined;
}

export interface FilterRequest {
  readonly group: string;
  /** inclusive, epoch ms */
  readonly startTime: number;
  /** inclusive, epoch ms */
  readonly endTime: number;
  readonly nextToken?: string | undefined;
}

export interface LogsSource {
  /** One page of log groups whose name starts with `prefix` (all groups without a prefix). */
  describeGroups(
    prefix: string | undefined,
    nextToken?: string,
  ): Promise<{
    groups: SourceGroup[];
    nextToken?: string | undefined;
  }>;
  /** Tags of one log group. */
  groupTags(group: SourceGroup): Promise<Record<string, string>>;
  /** One page of events of a group in a time range, interleaved across its streams. */
  filterEvents(request: FilterRequest): Promise<SourcePage>;
}

/** The log group does not exist (FilterLogEvents / DescribeLogGroups said so). */
export class LogGroupNotFoundError extends Error {
  constructor(readonly group: string) {
    super(
      `log group "${group}" does not exist in this account and region — check its name in logArchive.groups (names are case-sensitive) or remove it`,
    );
    this.name = 'LogGroupNotFoundError';
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

/** CloudWatch Logs. Build the client with `maxAttempts: 1`: the core's own backoff retries (and counts) throttles. */
export function cloudWatchLogsSource(client: CloudWatchLogsClient): LogsSource {
  return {
    async describeGroups(prefix, nextToken) {
      const out = await client.send(
        new DescribeLogGroupsCommand({ logGroupNamePrefix: prefix, nextToken, limit: 50 }),
      );
      return {
        groups: (out.logGroups ?? []).flatMap((g) =>
          g.logGroupName ? [{ name: g.logGroupName, arn: g.arn?.replace(/:\*$/, '') }] : [],
        ),
        nextToken: out.nextToken,
      };
    },
    async groupTags(group) {
      if (!group.arn) return {};
      const out = await client.send(new ListTagsForResourceCommand({ resourceArn: group.arn }));
      return out.tags ?? {};
    },
    async filterEvents(request) {
      try {
        const out = await client.send(
          new FilterLogEventsCommand({
            logGroupName: request.group,
            startTime: request.startTime,
            endTime: request.endTime,
            nextToken: request.nextToken,
          }),
        );
        return {
          events: (out.events ?? []).map((e) => ({
            timestamp: e.timestamp ?? 0,
            stream: e.logStreamName ?? '',
            message: e.message ?? '',
          })),
          nextToken: out.nextToken,
        };
      } catch (error) {
        if (errorName(error) === 'ResourceNotFoundException') throw new LogGroupNotFoundError(request.group);
        throw error;
      }
    },
  };
}

export interface MemoryLogGroup {
  readonly name: string;
  readonly tags?: Record<string, string>;
  /** Events in any order; they are served sorted by timestamp. */
  readonly events: readonly SourceEvent[];
}

/**
 * An in-memory LogsSource: the local demo's stand-in for CloudWatch Logs (there is none locally).
 * Pages hold `pageSize` events, interleaved across streams in timestamp order, like FilterLogEvents.
 */
export function memoryLogsSource(groups: readonly MemoryLogGroup[], pageSize = 1_000): LogsSource {
  const byName = new Map(groups.map((g) => [g.name, g]));
  return {
    async describeGroups(prefix) {
      return {
        groups: groups
          .filter((g) => prefix === undefined || g.name.startsWith(prefix))
          .map((g) => ({ name: g.name, arn: `arn:aws:logs:local:000000000000:log-group:${g.name}` })),
      };
    },
    async groupTags(group) {
      return { ...(byName.get(group.name)?.tags ?? {}) };
    },
    async filterEvents(request) {
      const group = byName.get(request.group);
      if (!group) throw new LogGroupNotFoundError(request.group);
      const matching = group.events
        .filter((e) => e.timestamp >= request.startTime && e.timestamp <= request.endTime)
        .sort((a, b) => a.timestamp - b.timestamp);
      const from = request.nextToken ? Number(request.nextToken) : 0;
      const to = from + pageSize;
      return { events: matching.slice(from, to), nextToken: to < matching.length ? String(to) : undefined };
    },
  };
}
