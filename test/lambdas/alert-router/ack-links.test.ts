/**
 * The router mints the ack links of an episode (lambdas/alert-router/ack-links.ts): one per page and
 * channel, named after the recipient (a rotating level's member on call when the step is due), stored
 * before the escalation starts; if storing fails, the pages go out without links.
 */
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ackLinkTableName, fromItem } from '../../../lambdas/ack-link/links';
import { type RouterDeps, run, sfnEscalations } from '../../../lambdas/alert-router/alert-router';
import type { EscalationInput } from '../../../lambdas/alert-router/escalation-definition';
import { snsNotifier } from '../../../lambdas/alert-router/notifier';
import type { RouterSettings } from '../../../lambdas/alert-router/settings';
import { encodeAlarmDescription } from '../../../lambdas/shared/alarm-metadata';
import { MemoryLog } from '../../../lambdas/shared/log';
import { FakeDynamo } from '../../support/fake-dynamo';
import { testSettings, variant } from './support';

const LINKS = ackLinkTableName('shop');
const BASE = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/';
const sns = mockClient(SNSClient);
const sfn = mockClient(SFNClient);
const cloudwatch = mockClient(CloudWatchClient);
const logs = mockClient(CloudWatchLogsClient);

/** Every AWS call in order, across the fakes, to check links are stored before anything else. */
let order: string[] = [];

function deps(
  dynamo: FakeDynamo,
  settings: RouterSettings = testSettings(),
): RouterDeps & { log: MemoryLog } {
  const log = new MemoryLog();
  const recorded = {
    async send(command: unknown) {
      order.push((command as { constructor: { name: string } }).constructor.name);
      return dynamo.send(command);
    },
  };
  return {
    settings,
    notifier: snsNotifier(new SNSClient({})),
    escalations: sfnEscalations(new SFNClient({}), 'arn:aws:states:eu-west-1:1:stateMachine:x', log),
    cloudwatch: new CloudWatchClient({}),
    logs: new CloudWatchLogsClient({}),
    log,
    ackLinks: { baseUrl: BASE, table: LINKS, dynamo: recorded as never },
    now: () => new Date('2024-10-02T17:05:00Z'),
  };
}

const event = () =>
  variant('metric-alarm', {
    description: encodeAlarmDescription('api health check failing', {
      severity: 'critical',
      target: 'api',
      project: 'shop',
    }),
  });

function started(): EscalationInput {
  return JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}');
}

/** The stored links (not the deliveries' seed items). */
const linksIn = (dynamo: FakeDynamo) =>
  [...dynamo.table(LINKS).entries()]
    .filter(([id]) => !String(id).startsWith('delivery#'))
    .map(([, item]) => fromItem(item)!);

const urls = (text: string) => text.match(/https:\/\/\S+on\.aws\/[A-Za-z0-9_-]{22}/g) ?? [];

beforeEach(() => {
  order = [];
  for (const mock of [sns, sfn, cloudwatch, logs]) mock.reset();
  sns.on(PublishCommand).callsFake(async () => {
    order.push('Publish');
    return { MessageId: 'm' };
  });
  sfn.on(StartExecutionCommand).callsFake(async () => {
    order.push('StartExecution');
    return { executionArn: 'arn:x', startDate: new Date() };
  });
  cloudwatch.on(ListTagsForResourceCommand).resolves({ Tags: [] });
  cloudwatch.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
  logs.on(FilterLogEventsCommand).resolves({ events: [] });
});

describe('ack links minted by the router', () => {
  it('one link per page and channel, stored before the escalation starts and anyone is paged', async () => {
    const dynamo = new FakeDynamo({ [LINKS]: 'id' });
    await run(deps(dynamo), { event: event(), deliveryId: 'req-1' });
    expect(order).toEqual(['PutItemCommand', 'BatchWriteItemCommand', 'StartExecution', 'Publish']);
    const stored = linksIn(dynamo);
    // team (e-mail), oncall (SMS), lead (e-mail + SMS), reminder to lead (e-mail + SMS)
    expect(stored.map((l) => `${l.level}: ${l.recipient}`).sort()).toEqual([
      'lead: +4…56',
      'lead: +4…56',
      'lead: l…@example.com',
      'lead: l…@example.com',
      'oncall: +4…23',
      'team: one of d…@example.com, o…@example.com',
    ]);
    // each page's body carries its own links, and only those
    const input = started();
    const pages = [...input.steps, input.reminder].map(
      (n) => JSON.parse(n.message) as Record<string, string>,
    );
    const inPages = pages.flatMap((p) => [...urls(p.email ?? ''), ...urls(p.sms ?? '')]);
    expect(new Set(inPages)).toEqual(new Set(stored.map((l) => `${BASE}${l.id}`)));
    expect(inPages).toHaveLength(6);
    const sent = JSON.parse(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '{}');
    expect(JSON.parse(sent.default).ackUrl).toBe(urls(sent.email)[0]);
  });

  it('a retried delivery (same request id) mints the same links: the same escalation input, not a duplicate', async () => {
    const dynamo = new FakeDynamo({ [LINKS]: 'id' });
    await run(deps(dynamo), { event: event(), deliveryId: 'req-retried' });
    const first = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    await run(deps(dynamo), { event: event(), deliveryId: 'req-retried' });
    const second = sfn.commandCalls(StartExecutionCommand)[1]?.args[0].input;
    expect(second?.name).toBe(first?.name);
    expect(JSON.parse(second?.input ?? '{}')).toEqual(JSON.parse(first?.input ?? '{}'));
    // another delivery of the alarm gets other links
    await run(deps(dynamo), { event: event(), deliveryId: 'req-other' });
    const other = sfn.commandCalls(StartExecutionCommand)[2]?.args[0].input;
    const ids = (input?: string) => new Set(urls(input ?? ''));
    expect([...ids(other?.input)].some((u) => ids(first?.input).has(u))).toBe(false);
    expect(ids(first?.input).size).toBeGreaterThan(0);
  });

  it('a rotating level: the link names the member on call when the step is due', async () => {
    const dynamo = new FakeDynamo({ [LINKS]: 'id' });
    const settings = testSettings({
      levels: [
        { name: 'team', email: ['dev@example.com'] },
        {
          name: 'oncall',
          rotation: {
            members: [
              { name: 'ana', sms: '+447700900111' },
              { name: 'ben', email: 'ben@example.com', sms: '+447700900222' },
            ],
            handoff: { time: '18:10' },
            every: '1d',
            start: '2024-10-01',
          },
        },
        { name: 'lead', email: ['lead@example.com'] },
      ],
    });
    await run(deps(dynamo, settings), { event: event(), deliveryId: 'req-1' });
    const oncall = linksIn(dynamo)
      .filter((l) => l.level === 'oncall')
      .map((l) => l.recipient);
    // the step is due 15 min after 17:04:40Z (18:19 London), after the 18:10 hand-off: ben's turn
    expect(oncall).toContain('ben (+4…22)');
    expect(oncall).toContain('ben');
    expect(oncall.some((r) => r.startsWith('ana'))).toBe(false);
  });

  it('if the links cannot be stored, the pages go out without them and say how to acknowledge', async () => {
    const dynamo = new FakeDynamo({ [LINKS]: 'id' });
    dynamo.failNext('BatchWriteItemCommand', new Error('AccessDeniedException'));
    const d = deps(dynamo);
    const result = await run(d, { event: event(), deliveryId: 'req-1' });
    expect(result.action).toBe('notified');
    const sent = JSON.parse(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '{}');
    expect(urls(sent.email)).toEqual([]);
    expect(sent.email).toContain(
      'Acknowledge (stops escalation for this episode): nightshift ack shop-api-down',
    );
    expect(JSON.stringify(started())).not.toContain('lambda-url');
    expect(d.log.text()).toContain('could not store the acknowledge links; paging without them');
  });
});
