/**
 * The ack link in a real browser (issue 12): the alert router mints the links of an episode (real
 * writer), the real ack-link Lambda handler serves them behind a local HTTP server shaped like a
 * Function URL (real reader), DynamoDB is an in-memory fake that evaluates the conditional updates,
 * and headless Chromium (Debian's chromium, driven by playwright-core) opens the pages.
 *
 * Covers: GET shows and never acknowledges, the click acknowledges (ack recorded as `nightshift ack`
 * records it, by the masked recipient), a second click is 410 used, an expired link (TTL passed, item
 * not yet deleted) is 410, and the page on a phone viewport (390×844), with screenshots.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  BatchWriteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ackLinkTableName, MAX_ATTEMPTS } from '../../../lambdas/ack-link/links';
import { ackTableName } from '../../../lambdas/alert-router/acks';
import { run, sfnEscalations } from '../../../lambdas/alert-router/alert-router';
import type { EscalationInput } from '../../../lambdas/alert-router/escalation-definition';
import { formatTime } from '../../../lambdas/alert-router/format';
import { snsNotifier } from '../../../lambdas/alert-router/notifier';
import { SMS_LIMITS, smsEncodingOf, smsLength } from '../../../lambdas/alert-router/sms';
import { encodeAlarmDescription } from '../../../lambdas/shared/alarm-metadata';
import { MemoryLog } from '../../../lambdas/shared/log';
import { REPO } from '../../support/cdk';
import { FakeDynamo } from '../../support/fake-dynamo';
import { testSettings, variant } from '../alert-router/support';
import { type Served, serve } from './serve';

const OUT = join(REPO, '.vitest', 'ack-link');
const LINKS = ackLinkTableName('shop');
const ACKS = ackTableName('shop');
/** The alarm fired 7 minutes ago (whole seconds, as CloudWatch reports them to the millisecond). */
const EPISODE = new Date(Math.floor(Date.now() / 1000) * 1000 - 7 * 60_000).toISOString();

const dynamo = new FakeDynamo({ [LINKS]: 'id', [ACKS]: 'alarm' });
const ddb = mockClient(DynamoDBClient);
const cloudwatch = mockClient(CloudWatchClient);
const logs = mockClient(CloudWatchLogsClient);
const sns = mockClient(SNSClient);
const sfn = mockClient(SFNClient);

let served: Served;
let browser: Browser;
/** The ack links of the episode's pages, by page and channel. */
const links: Record<string, string> = {};

function urlsIn(text: string): string[] {
  return text.match(/http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]+/g) ?? [];
}

beforeAll(async () => {
  for (const command of [GetItemCommand, PutItemCommand, UpdateItemCommand, BatchWriteItemCommand]) {
    // biome-ignore lint/suspicious/noExplicitAny: one fake behind every command type
    ddb.on(command as any).callsFake(async (input: any) => dynamo.send(new (command as any)(input)));
  }
  cloudwatch.on(ListTagsForResourceCommand).resolves({ Tags: [] });
  cloudwatch.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
  cloudwatch.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: [
      {
        AlarmName: 'shop-api-down',
        StateValue: 'ALARM',
        StateTransitionedTimestamp: new Date(EPISODE),
        StateUpdatedTimestamp: new Date(EPISODE),
      },
    ],
  });
  logs.on(FilterLogEventsCommand).resolves({ events: [] });
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: new Date() });

  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('NIGHTSHIFT_ACK_LINK_TABLE', LINKS);
  vi.stubEnv('NIGHTSHIFT_ACK_TABLE', ACKS);
  vi.stubEnv('NIGHTSHIFT_TIME_ZONE', 'Europe/London');
  const { handler } = await import('../../../lambdas/ack-link/handler');
  served = await serve(handler);

  // The router pages the first level of a critical alarm and preformats the escalation: every page
  // gets links minted for its recipients, stored before the execution starts.
  const log = new MemoryLog();
  const event = variant('metric-alarm', {
    stateTime: EPISODE,
    description: encodeAlarmDescription('api health check failing', {
      severity: 'critical',
      target: 'api',
      project: 'shop',
    }),
  });
  const result = await run(
    {
      settings: testSettings(),
      notifier: snsNotifier(new SNSClient({})),
      escalations: sfnEscalations(new SFNClient({}), 'arn:aws:states:eu-west-1:1:stateMachine:x', log),
      cloudwatch: new CloudWatchClient({}),
      logs: new CloudWatchLogsClient({}),
      log,
      ackLinks: { baseUrl: served.base, table: LINKS, dynamo: new DynamoDBClient({}) },
      now: () => new Date(),
    },
    { event, deliveryId: 'req-1' },
  );
  expect(result.action).toBe('notified');
  const first = JSON.parse(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message ?? '{}') as {
    email: string;
    sms: string;
  };
  const input = JSON.parse(
    sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input ?? '{}',
  ) as EscalationInput;
  const oncall = JSON.parse(input.steps[1]!.message) as { email: string; sms: string };
  const reminder = JSON.parse(input.reminder.message) as { email: string; sms: string };
  links.teamEmail = urlsIn(first.email)[0]!;
  links.oncallSms = urlsIn(oncall.sms)[0]!;
  links.leadEmail = urlsIn(reminder.email)[0]!;
  links.leadSms = urlsIn(reminder.sms)[0]!;

  mkdirSync(OUT, { recursive: true });
  // launch() gives the browser a fresh temporary profile (--user-data-dir) of its own and removes it
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
  vi.unstubAllEnvs();
});

function linkId(url: string): string {
  return new URL(url).pathname.slice(1);
}

describe('ack link in Chromium', () => {
  it('every page carries its own link; the SMS with its link is one GSM-7 segment', () => {
    const all = Object.values(links);
    expect(all).toHaveLength(4);
    expect(new Set(all).size).toBe(4);
    for (const url of all) expect(linkId(url)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const stored = dynamo.item(LINKS, linkId(links.oncallSms!));
    expect(stored).toMatchObject({
      alarm: { S: 'shop-api-down' },
      episode: { S: EPISODE },
      level: { S: 'oncall' },
      recipient: { S: '+4…23' },
    });
    // due 15 min after the alarm (critical escalates after 15 min), expires 24 h after that
    const due = Date.parse(EPISODE) + 15 * 60_000;
    const expected = Math.floor(Math.max(due, Date.now()) / 1000) + 24 * 3600;
    expect(Number(stored?.expiresAt?.N)).toBeGreaterThanOrEqual(expected - 5);
    expect(Number(stored?.expiresAt?.N)).toBeLessThanOrEqual(expected + 5);
  });

  it('GET shows the confirmation page and records nothing; the click acknowledges; a second click is 410', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const stale = await context.newPage();

    const shown = await page.goto(links.teamEmail!);
    expect(shown?.status()).toBe(200);
    await expect(page.title()).resolves.toBe('Acknowledge · Nightshift');
    const text = await page.locator('main').textContent();
    expect(text).toContain('[CRITICAL] shop · api health check failing');
    expect(text).toContain('shop-api-down');
    expect(text).toContain(`${formatTime(new Date(EPISODE), 'Europe/London')} (7 min ago)`);
    expect(text).toContain('one of d…@example.com, o…@example.com');
    // a second tab (or a mail scanner) loads the same link: still nothing recorded
    expect((await stale.goto(links.teamEmail!))?.status()).toBe(200);
    expect(dynamo.item(ACKS, 'shop-api-down')).toBeUndefined();
    expect(shown?.headers()['cache-control']).toBe('no-store');
    expect(shown?.headers()['referrer-policy']).toBe('no-referrer');

    const [posted] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Acknowledge' }).click(),
    ]);
    expect(posted.status()).toBe(200);
    await page.waitForLoadState();
    expect(await page.locator('main').textContent()).toMatch(
      /Acknowledged by one of d…@example\.com, o…@example\.com after 7 min\./,
    );
    const ack = dynamo.item(ACKS, 'shop-api-down');
    expect(ack).toMatchObject({
      alarm: { S: 'shop-api-down' },
      by: { S: 'one of d…@example.com, o…@example.com' },
      episode: { S: EPISODE },
      note: { S: 'ack link (team)' },
    });
    expect(Date.parse(ack?.at?.S ?? '')).toBeGreaterThanOrEqual(Date.parse(EPISODE));

    // the stale tab still shows the button: pressing it is refused, the ack stays as it was
    const [again] = await Promise.all([
      stale.waitForResponse((r) => r.request().method() === 'POST'),
      stale.getByRole('button', { name: 'Acknowledge' }).click(),
    ]);
    expect(again.status()).toBe(410);
    await stale.waitForLoadState();
    expect(await stale.locator('h1').textContent()).toBe('Already acknowledged with this link');
    expect(dynamo.item(ACKS, 'shop-api-down')?.at).toEqual(ack?.at);
    // and opening it later says so too
    expect((await page.goto(links.teamEmail!))?.status()).toBe(410);
    await context.close();
  });

  it('an expired link (TTL passed, item not yet deleted by DynamoDB) is 410 and says so', async () => {
    const item = dynamo.item(LINKS, linkId(links.oncallSms!))!;
    item.expiresAt = { N: String(Math.floor(Date.now() / 1000) - 1) };
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(links.oncallSms!);
    expect(response?.status()).toBe(410);
    expect(await page.locator('h1').textContent()).toBe('This link has expired');
    expect(await page.locator('main').textContent()).toContain('nightshift ack shop-api-down');
    await context.close();
  });

  it('on a phone (390×844) the page fits without sideways scrolling and the button is in reach', async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    expect((await page.goto(links.leadSms!))?.status()).toBe(200);
    // runs in the page, where `document` exists (the test's tsconfig has no DOM types)
    const width = await page.evaluate('document.documentElement.scrollWidth');
    expect(typeof width).toBe('number');
    expect(width).toBeLessThanOrEqual(390);
    const button = page.getByRole('button', { name: 'Acknowledge' });
    const box = await button.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.y + box!.height).toBeLessThanOrEqual(844);
    expect(box!.height).toBeGreaterThanOrEqual(44); // a comfortable touch target
    expect(box!.width).toBeGreaterThan(300);
    await page.screenshot({ path: join(OUT, 'ack-page-390x844.png') });
    // the docs' picture is refreshed on request only, so a test run leaves the checkout unchanged
    if (process.env.NIGHTSHIFT_DOCS_SCREENSHOTS === '1')
      await page.screenshot({ path: join(REPO, 'docs', 'img', 'ack-page.png') });
    await context.close();
  });
});

describe('ack link refusals over HTTP', () => {
  it('unknown 404, malformed 400, other methods 405 — each a human page', async () => {
    const unknown = await fetch(`${served.base}AAAAAAAAAAAAAAAAAAAAAA`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('This link does not exist');
    for (const path of ['abc', `${linkId(links.leadEmail!)}x`, 'a%3Cscript%3E']) {
      const malformed = await fetch(`${served.base}${path}`);
      expect(malformed.status, path).toBe(400);
      expect(await malformed.text()).toContain('This link is damaged');
    }
    const put = await fetch(links.leadEmail!, { method: 'PUT' });
    expect(put.status).toBe(405);
  });

  it('rate-limits attempts per link: after the cap, 429 even for GET, and POST cannot acknowledge', async () => {
    const url = links.leadEmail!;
    const before = Number(dynamo.item(LINKS, linkId(url))?.attempts?.N ?? 0);
    const statuses: number[] = [];
    for (let i = before; i < MAX_ATTEMPTS + 2; i++) statuses.push((await fetch(url)).status);
    expect(statuses.slice(0, MAX_ATTEMPTS - before).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(MAX_ATTEMPTS - before)).toEqual([429, 429]);
    const post = await fetch(url, { method: 'POST' });
    expect(post.status).toBe(429);
    expect(await post.text()).toContain('Too many attempts');
    expect(Number(dynamo.item(LINKS, linkId(url))?.attempts?.N)).toBe(MAX_ATTEMPTS);
  });
});

describe('the SMS page with its link', () => {
  it('is one GSM-7 segment with the link whole at the end', async () => {
    const sms = JSON.parse(
      JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input ?? '{}').steps[1].message,
    ).sms as string;
    expect(smsEncodingOf(sms)).toBe('GSM-7');
    expect(smsLength(sms, 'GSM-7')).toBeLessThanOrEqual(SMS_LIMITS['GSM-7']);
    expect(sms.endsWith(links.oncallSms!)).toBe(true);
  });
});
