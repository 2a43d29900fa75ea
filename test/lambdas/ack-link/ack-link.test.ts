/**
 * The ack-link core and its link store, against the in-memory DynamoDB (conditional updates evaluated):
 * ids, episode checks on POST, races, a failed ack giving the link back, and the SMS with a link of a
 * real Function URL's length for long alarm names.
 */
import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { run } from '../../../lambdas/ack-link/ack-link';
import {
  type AckLink,
  ackLinkTableName,
  isLinkId,
  LINK_ID_BYTES,
  newLinkId,
  putLinks,
} from '../../../lambdas/ack-link/links';
import { ackTableName } from '../../../lambdas/alert-router/acks';
import { renderAlarm, renderEscalation } from '../../../lambdas/alert-router/format';
import { SMS_LIMITS, smsEncodingOf, smsLength } from '../../../lambdas/alert-router/sms';
import { MemoryLog } from '../../../lambdas/shared/log';
import { FakeDynamo } from '../../support/fake-dynamo';

const LINKS = ackLinkTableName('shop');
const ACKS = ackTableName('shop');
const EPISODE = new Date('2026-12-03T03:00:00.000Z');
const NOW = new Date('2026-12-03T03:07:00.000Z');
const ID = 'Q2hlY2sgdGhlIHJ1bmJvb2';

/** null: the alarm does not exist (deleted). */
type AlarmState = { StateValue: string; StateTransitionedTimestamp: Date } | null;

function setup(alarm: AlarmState = { StateValue: 'ALARM', StateTransitionedTimestamp: EPISODE }) {
  const dynamo = new FakeDynamo({ [LINKS]: 'id', [ACKS]: 'alarm' });
  const cloudwatch = {
    state: alarm,
    async send(command: unknown) {
      if (!(command instanceof DescribeAlarmsCommand)) throw new Error('unexpected CloudWatch call');
      return { MetricAlarms: this.state ? [{ AlarmName: 'shop-api-down', ...this.state }] : [] };
    },
  };
  const log = new MemoryLog();
  const deps = {
    dynamo,
    cloudwatch: cloudwatch as unknown as Pick<CloudWatchClient, 'send'>,
    linkTable: LINKS,
    ackTable: ACKS,
    timeZone: 'Europe/Berlin',
    now: () => NOW,
    log,
  };
  return { dynamo, cloudwatch, deps, log };
}

const link: AckLink = {
  id: ID,
  alarm: 'shop-api-down',
  episode: EPISODE.toISOString(),
  level: 'oncall',
  recipient: 'ana (+4…78)',
  title: '[CRITICAL] shop · api health check failing',
  createdAt: EPISODE.toISOString(),
  expiresAt: Math.floor(EPISODE.getTime() / 1000) + 86_400,
};

describe('link ids', () => {
  it('are 128 random bits in 22 base64url characters, never repeated', () => {
    expect(LINK_ID_BYTES * 8).toBeGreaterThanOrEqual(128);
    const ids = Array.from({ length: 2000 }, newLinkId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 50)) {
      expect(isLinkId(id)).toBe(true);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
    for (const bad of ['', 'short', `${ID}=`, `${ID}x`, 'Q2hlY2sgdGhlIHJ1bmJvb2/', '../../etc/passwd']) {
      expect(isLinkId(bad), bad).toBe(false);
    }
  });
});

describe('POST: the ack is recorded only while the link’s episode lasts', () => {
  it('records the ack as `nightshift ack` does: by the recipient, for the episode', async () => {
    const { dynamo, deps } = setup();
    await putLinks(dynamo, LINKS, [link]);
    const result = await run(deps, { method: 'POST', path: `/${ID}` });
    expect(result.response.statusCode).toBe(200);
    expect(result.response.body).toContain('Acknowledged by ana (+4…78) after 7 min.');
    expect(dynamo.item(ACKS, 'shop-api-down')).toEqual({
      alarm: { S: 'shop-api-down' },
      by: { S: 'ana (+4…78)' },
      at: { S: NOW.toISOString() },
      episode: { S: EPISODE.toISOString() },
      note: { S: 'ack link (oncall)' },
      expiresAt: { N: String(Math.floor(NOW.getTime() / 1000) + 90 * 86_400) },
    });
    expect(dynamo.item(LINKS, ID)?.usedAt).toEqual({ S: NOW.toISOString() });
  });

  it.each([
    ['the alarm recovered', { StateValue: 'OK', StateTransitionedTimestamp: NOW }, /is OK now/],
    [
      'a newer episode began (the link must not acknowledge it)',
      { StateValue: 'ALARM', StateTransitionedTimestamp: new Date(EPISODE.getTime() + 60_000) },
      /fired again at .*this link belongs to the earlier episode/,
    ],
    ['the alarm was deleted', null, /no longer exists/],
  ] as const)('%s → 410, nothing recorded, link not used', async (_label, state, why) => {
    const { dynamo, deps } = setup(state);
    await putLinks(dynamo, LINKS, [link]);
    const result = await run(deps, { method: 'POST', path: `/${ID}` });
    expect(result.response.statusCode).toBe(410);
    expect(result.response.body).toMatch(why);
    expect(dynamo.item(ACKS, 'shop-api-down')).toBeUndefined();
    expect(dynamo.item(LINKS, ID)?.usedAt).toBeUndefined();
  });

  it('two taps at once: one acknowledges, the other is 410 used', async () => {
    const { dynamo, deps } = setup();
    await putLinks(dynamo, LINKS, [link]);
    const results = await Promise.all([
      run(deps, { method: 'POST', path: `/${ID}` }),
      run(deps, { method: 'POST', path: `/${ID}` }),
    ]);
    expect(results.map((r) => r.response.statusCode).sort()).toEqual([200, 410]);
    expect(dynamo.calls.filter((c) => c === 'PutItemCommand')).toHaveLength(1);
  });

  it('a failed ack write gives the link back (503), and the next tap acknowledges', async () => {
    const { dynamo, deps, log } = setup();
    await putLinks(dynamo, LINKS, [link]);
    dynamo.failNext('PutItemCommand', new Error('ProvisionedThroughputExceededException'));
    const failed = await run(deps, { method: 'POST', path: `/${ID}` });
    expect(failed.response.statusCode).toBe(503);
    expect(failed.response.body).toContain('Nothing was recorded');
    expect(dynamo.item(LINKS, ID)?.usedAt).toBeUndefined();
    expect(log.text()).toContain('could not record the acknowledgement');
    expect(log.text()).not.toContain(ID);
    const retried = await run(deps, { method: 'POST', path: `/${ID}` });
    expect(retried.response.statusCode).toBe(200);
  });

  it('an item past its TTL is expired even though DynamoDB has not deleted it yet', async () => {
    const { dynamo, deps } = setup();
    await putLinks(dynamo, LINKS, [{ ...link, expiresAt: Math.floor(NOW.getTime() / 1000) }]);
    for (const method of ['GET', 'POST']) {
      const result = await run(deps, { method, path: `/${ID}` });
      expect(result.response.statusCode, method).toBe(410);
      expect(result.response.body).toContain('This link has expired');
    }
    expect(dynamo.item(ACKS, 'shop-api-down')).toBeUndefined();
  });

  it('GET never writes an acknowledgement and escapes what it shows', async () => {
    const { dynamo, deps } = setup();
    await putLinks(dynamo, LINKS, [{ ...link, alarm: 'shop-<script>alert(1)</script>' }]);
    const result = await run(deps, { method: 'GET', path: `/${ID}` });
    expect(result.response.statusCode).toBe(200);
    expect(result.response.body).not.toContain('<script>');
    expect(result.response.body).toContain('shop-&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(result.response.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(result.response.headers['x-frame-options']).toBe('DENY');
    expect(dynamo.calls).not.toContain('PutItemCommand');
  });
});

describe('SMS pages with a link of a real Function URL', () => {
  // 32-character url id, the longest commercial region name: the longest base Lambda gives
  const base = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.ap-southeast-2.on.aws/';
  const url = `${base}${ID}`;
  const plan = {
    startsAt: EPISODE,
    repeatEveryMs: 3_600_000,
    steps: [
      { level: 'team', channels: 'e-mail', afterMs: 0 },
      { level: 'oncall', channels: 'SMS', afterMs: 900_000 },
    ],
  };
  const facts = (alarmName: string, target: string, summary: string) => ({
    project: 'shop',
    alarmName,
    alarmArn: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${alarmName}`,
    region: 'eu-west-1',
    kind: 'metric' as const,
    severity: 'critical' as const,
    target,
    summary,
    state: 'ALARM' as const,
    previousState: 'OK' as const,
    changedAt: EPISODE,
    reason: 'Threshold Crossed: 1 datapoint [99.5] was greater than the threshold (50.0).',
    value: 99.5,
    threshold: 50,
    comparison: '>',
  });

  it.each([
    ['short', facts('shop-api-down', 'api', 'api health check failing')],
    [
      'long alarm name and summary',
      facts(
        `shop-${'payments-reconciliation-'.repeat(8)}lag`,
        `payments/${'reconciliation-'.repeat(6)}worker`,
        'payments reconciliation worker has been lagging behind the ledger for longer than the configured budget',
      ),
    ],
    [
      'text with no GSM-7 spelling (emoji, Cyrillic)',
      facts('shop-поиск-down', 'поиск 🔍', 'поиск не отвечает 🔥 search is down'),
    ],
  ])('%s: one GSM-7 segment, link whole at the end', (_label, alarm) => {
    for (const message of [
      renderAlarm(alarm, plan, { timeZone: 'Europe/Berlin', ackLink: { sms: url, email: url } }),
      renderEscalation(alarm, plan, { timeZone: 'Europe/Berlin', ackLink: { sms: url } }, 1),
      renderEscalation(alarm, plan, { timeZone: 'Europe/Berlin', ackLink: { sms: url } }, 'reminder'),
    ]) {
      expect(smsEncodingOf(message.sms)).toBe('GSM-7');
      expect(smsLength(message.sms, 'GSM-7')).toBeLessThanOrEqual(SMS_LIMITS['GSM-7']);
      expect(message.sms.endsWith(` ${url}`)).toBe(true);
      expect(message.sms).toMatch(/^CRIT shop\//);
    }
  });

  it('the e-mail leads with the link and keeps the CLI command; the JSON and ackUrl carry it', () => {
    const message = renderAlarm(facts('shop-api-down', 'api', 'api health check failing'), plan, {
      timeZone: 'Europe/Berlin',
      ackLink: { email: url, sms: `${base}BBBBBBBBBBBBBBBBBBBBBB` },
    });
    expect(message.email).toContain(`Acknowledge in one tap: ${url}`);
    expect(message.email).toContain('Or from a terminal: nightshift ack shop-api-down');
    expect(message.ackUrl).toBe(url);
    expect(message.json.ackUrl).toBe(url);
    expect(message.sms).not.toContain(url);
    const without = renderAlarm(facts('shop-api-down', 'api', 'api health check failing'), plan, {
      timeZone: 'Europe/Berlin',
    });
    expect(without.ackUrl).toBeUndefined();
    expect(without.email).toContain('Acknowledge (stops escalation for this episode): nightshift ack');
  });
});
