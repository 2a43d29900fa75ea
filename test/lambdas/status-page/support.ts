/**
 * Fakes for the status-page tests: an in-memory incident table behind aws-sdk-client-mock that keeps
 * the DynamoDB semantics the code relies on (key condition and order, conditional puts and updates,
 * list_append), and a CloudWatch GetMetricData answer built from per-target Up series.
 */
import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type GetMetricDataCommandOutput,
} from '@aws-sdk/client-cloudwatch';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
  type PutItemCommandInput,
  QueryCommand,
  type QueryCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { StatusPageSettings } from '../../../lambdas/status-page/settings';

type Item = Record<string, AttributeValue>;

export const SETTINGS: StatusPageSettings = {
  project: 'shop',
  title: 'Shop status',
  public: true,
  cacheSeconds: 60,
  targets: [
    {
      target: 'api',
      display: 'Website',
      periodMs: 60_000,
      alarms: { 'shop-health-api-down': 'down', 'shop-health-api-latency': 'slow' },
    },
    { target: 'db', display: 'Database', periodMs: 300_000, alarms: { 'shop-health-db-down': 'down' } },
  ],
};

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

/** The incident table, in memory. */
export class FakeTable {
  readonly items = new Map<string, Item>();
  readonly mock = mockClient(DynamoDBClient);

  constructor() {
    this.install();
  }

  install(): void {
    this.mock.reset();
    this.mock.on(QueryCommand).callsFake((input: QueryCommandInput) => this.query(input));
    this.mock.on(PutItemCommand).callsFake((input: PutItemCommandInput) => this.put(input));
    this.mock.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => this.update(input));
  }

  private key(target: string, id: string): string {
    return `${target}\u0000${id}`;
  }

  all(): Item[] {
    return [...this.items.values()];
  }

  private query(input: QueryCommandInput) {
    const values = input.ExpressionAttributeValues ?? {};
    const target = values[':t']?.S;
    const since = values[':since']?.S;
    let found = this.all().filter((i) => i.target?.S === target && (!since || (i.id?.S ?? '') >= since));
    found.sort((a, b) => (a.id?.S ?? '').localeCompare(b.id?.S ?? ''));
    if (input.ScanIndexForward === false) found.reverse();
    if (input.Limit) found = found.slice(0, input.Limit);
    return { Items: structuredClone(found) };
  }

  private put(input: PutItemCommandInput) {
    const item = input.Item ?? {};
    const k = this.key(item.target?.S ?? '', item.id?.S ?? '');
    if (input.ConditionExpression?.includes('attribute_not_exists(#id)') && this.items.has(k))
      throw conditionFailed();
    this.items.set(k, structuredClone(item));
    return {};
  }

  private update(input: UpdateItemCommandInput) {
    const k = this.key(input.Key?.target?.S ?? '', input.Key?.id?.S ?? '');
    const item = this.items.get(k);
    const condition = input.ConditionExpression ?? '';
    if (condition.includes('attribute_exists(#id)') && !item) throw conditionFailed();
    if (condition.includes('attribute_not_exists(closedAt)') && item?.closedAt) throw conditionFailed();
    const next: Item = item ?? { ...input.Key };
    const values = input.ExpressionAttributeValues ?? {};
    if (input.UpdateExpression === 'SET closedAt = :at') next.closedAt = values[':at'] as AttributeValue;
    else if (input.UpdateExpression?.startsWith('SET notes = list_append')) {
      next.notes = { L: [...(next.notes?.L ?? []), ...(values[':note']?.L ?? [])] };
    } else throw new Error(`FakeTable: unsupported update ${input.UpdateExpression}`);
    this.items.set(k, next);
    return {};
  }
}

/** Up datapoints per target name: `daily` by UTC date, `recent` as [ISO time, value]. */
export interface UpSeries {
  readonly daily?: Record<string, number>;
  readonly recent?: [string, number][];
}

/** Answers GetMetricData from `series`, honouring StartTime/EndTime; records every request. */
export function fakeMetrics(series: () => Record<string, UpSeries>) {
  const mock = mockClient(CloudWatchClient);
  const requests: GetMetricDataCommandInput[] = [];
  mock
    .on(GetMetricDataCommand)
    .callsFake((input: GetMetricDataCommandInput): Partial<GetMetricDataCommandOutput> => {
      requests.push(input);
      const from = new Date(input.StartTime as Date).getTime();
      const to = new Date(input.EndTime as Date).getTime();
      return {
        MetricDataResults: (input.MetricDataQueries ?? []).map((q) => {
          const target = q.MetricStat?.Metric?.Dimensions?.find((d) => d.Name === 'Target')?.Value ?? '';
          const s = series()[target] ?? {};
          const points: [Date, number][] = q.Id?.startsWith('d')
            ? Object.entries(s.daily ?? {}).map(([date, v]) => [new Date(`${date}T00:00:00Z`), v])
            : (s.recent ?? []).map(([t, v]) => [new Date(t), v]);
          const inRange = points
            .filter(([t]) => t.getTime() >= from && t.getTime() <= to)
            .sort((a, b) => b[0].getTime() - a[0].getTime());
          return {
            Id: q.Id,
            StatusCode: 'Complete',
            Timestamps: inRange.map(([t]) => t),
            Values: inRange.map(([, v]) => v),
          };
        }),
      };
    });
  return { mock, requests };
}

/** `n` consecutive UTC dates ending `daysAgo` days before `now`, each with `value`. */
export function days(now: Date, n: number, value: number, daysAgo = 0): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = daysAgo; i < daysAgo + n; i++) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - i * 86_400_000);
    out[d.toISOString().slice(0, 10)] = value;
  }
  return out;
}

/** A Function URL event (payload format 2.0), as Lambda passes it. */
export function urlEvent(path: string, method = 'GET') {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'abc123.lambda-url.eu-west-1.on.aws' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.lambda-url.eu-west-1.on.aws',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'r-1',
      routeKey: '$default',
      stage: '$default',
      time: '03/Dec/2026:05:00:00 +0000',
      timeEpoch: 0,
    },
    isBase64Encoded: false,
  };
}

/** An EventBridge "CloudWatch Alarm State Change" event. */
export function alarmEvent(alarmName: string, state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA', at: string) {
  return {
    version: '0',
    id: `e-${alarmName}-${state}-${at}`,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: '123456789012',
    time: at,
    region: 'eu-west-1',
    resources: [`arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${alarmName}`],
    detail: {
      alarmName,
      state: { value: state, reason: 'Threshold Crossed: 2 out of the last 3 datapoints', timestamp: at },
      previousState: { value: state === 'OK' ? 'ALARM' : 'OK', timestamp: at },
      configuration: { description: 'api is down\nnightshift: {"severity":"critical","target":"api"}' },
    },
  };
}
