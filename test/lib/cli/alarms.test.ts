import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../../lambdas/alert-router/alert-router';
import { consoleNotifier } from '../../../lambdas/alert-router/notifier';
import { routerSettings } from '../../../lambdas/alert-router/settings';
import { encodeAlarmDescription } from '../../../lambdas/shared/alarm-metadata';
import { silentLog } from '../../../lambdas/shared/log';
import { acknowledge } from '../../../lib/cli/commands/ack';
import { listAlarms, sinceText } from '../../../lib/cli/commands/alarms';
import { CliError } from '../../../lib/cli/output';
import { variant } from '../../lambdas/alert-router/support';
import { testConfig } from '../../support/cdk';

const cloudwatch = mockClient(CloudWatchClient);
const dynamo = mockClient(DynamoDBClient);
const deps = () => ({ cloudwatch: new CloudWatchClient({}), dynamo: new DynamoDBClient({}) });
const config = testConfig({
  alerts: {
    levels: [{ name: 'team', email: ['t@example.com'] }],
    routeAlarms: { namePrefix: 'RDS-', severity: 'medium' },
  },
});

const since = new Date('2024-10-02T17:04:40Z');
const apiDown = {
  AlarmName: 'shop-api-down',
  AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:shop-api-down',
  AlarmDescription: encodeAlarmDescription('api health check failing', {
    severity: 'critical',
    target: 'api',
    project: 'shop',
  }),
  StateValue: 'ALARM' as const,
  StateReason: 'Threshold Crossed',
  StateTransitionedTimestamp: since,
  StateUpdatedTimestamp: new Date('2024-10-02T17:30:00Z'),
};
const backupOk = {
  AlarmName: 'shop-backup-failed',
  AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:shop-backup-failed',
  AlarmDescription: encodeAlarmDescription('backup failed', {
    severity: 'high',
    target: 'backup/db',
    project: 'shop',
  }),
  StateValue: 'OK' as const,
  StateTransitionedTimestamp: since,
};
const userAlarm = {
  AlarmName: 'RDS-CPU-High',
  AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:RDS-CPU-High',
  StateValue: 'ALARM' as const,
  StateTransitionedTimestamp: since,
};
/** Any name, opted in by the nightshift:severity tag. */
const taggedAlarm = {
  AlarmName: 'queue-depth',
  AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:queue-depth',
  AlarmDescription: 'orders queue backing up',
  StateValue: 'OK' as const,
  StateTransitionedTimestamp: since,
};
const otherAlarm = {
  AlarmName: 'someone-elses-alarm',
  AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:someone-elses-alarm',
  StateValue: 'ALARM' as const,
  StateTransitionedTimestamp: since,
};
const scalingAlarm = {
  AlarmName: 'TargetTracking-table-AlarmHigh-1',
  AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:TargetTracking-table-AlarmHigh-1',
  StateValue: 'ALARM' as const,
  StateTransitionedTimestamp: since,
};
const otherProject = {
  AlarmName: 'shop-api-down-copy',
  AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:shop-api-down-copy',
  AlarmDescription: encodeAlarmDescription('down', { severity: 'high', project: 'blog' }),
  StateValue: 'ALARM' as const,
  StateTransitionedTimestamp: since,
};
const TAGS: Record<string, { Key: string; Value: string }[]> = {
  [userAlarm.AlarmArn]: [],
  [taggedAlarm.AlarmArn]: [{ Key: 'nightshift:severity', Value: 'low' }],
  [scalingAlarm.AlarmArn]: [{ Key: 'nightshift:severity', Value: 'high' }],
  [otherAlarm.AlarmArn]: [{ Key: 'team', Value: 'payments' }],
};
const ACCOUNT = [apiDown, backupOk, userAlarm, taggedAlarm, otherAlarm, scalingAlarm, otherProject];

beforeEach(() => {
  cloudwatch.reset();
  dynamo.reset();
  // DescribeAlarms as CloudWatch answers it: AlarmNamePrefix filters, 4 alarms per page with NextToken
  cloudwatch
    .on(DescribeAlarmsCommand)
    .callsFake((input: { AlarmNamePrefix?: string; NextToken?: string }) => {
      const matching = ACCOUNT.filter((a) => a.AlarmName.startsWith(input.AlarmNamePrefix ?? ''));
      const start = Number(input.NextToken ?? 0);
      const next = start + 4 < matching.length ? String(start + 4) : undefined;
      return { MetricAlarms: matching.slice(start, start + 4), CompositeAlarms: [], NextToken: next };
    });
  for (const [arn, tags] of Object.entries(TAGS))
    cloudwatch.on(ListTagsForResourceCommand, { ResourceARN: arn }).resolves({ Tags: tags });
  dynamo.on(ScanCommand).resolves({ Items: [] });
});

describe('nightshift alarms', () => {
  it('lists state, severity and since, alarms in ALARM and most severe first', async () => {
    const rows = await listAlarms(deps(), config);
    expect(rows.map((r) => [r.name, r.state, r.severity])).toEqual([
      ['shop-api-down', 'ALARM', 'critical'],
      ['RDS-CPU-High', 'ALARM', 'medium'], // routeAlarms.namePrefix, routeAlarms.severity
      ['shop-backup-failed', 'OK', 'high'],
      ['queue-depth', 'OK', 'low'], // opted in by tag, whatever its name
    ]);
    expect(rows[0]?.since).toBe('2024-10-02T17:04:40.000Z'); // the transition, not the last update
    // tags are read only for alarms without Nightshift metadata in their description
    const tagged = cloudwatch
      .commandCalls(ListTagsForResourceCommand)
      .map((c) => c.args[0].input.ResourceARN);
    expect(tagged.sort()).toEqual(Object.keys(TAGS).sort());
  });

  it('--all adds every other alarm as unrouted', async () => {
    const rows = await listAlarms(deps(), config, { all: true });
    expect(rows.filter((r) => r.severity === 'unrouted').map((r) => r.name)).toEqual([
      'shop-api-down-copy',
      'someone-elses-alarm',
      'TargetTracking-table-AlarmHigh-1',
    ]);
    expect(rows).toHaveLength(ACCOUNT.length);
  });

  it('lists an alarm exactly when the alert router pages for it, with the severity it pages with', async () => {
    const rows = new Map((await listAlarms(deps(), config)).map((r) => [r.name, r]));
    const settings = routerSettings(config, ['arn:aws:sns:eu-west-1:123456789012:shop-alerts-team']);
    for (const alarm of ACCOUNT) {
      const sent: string[] = [];
      const event = variant('metric-alarm', {
        alarmName: alarm.AlarmName,
        description: 'AlarmDescription' in alarm ? alarm.AlarmDescription : null,
      });
      event.resources = [alarm.AlarmArn];
      const result = await run(
        {
          settings,
          notifier: consoleNotifier((text) => sent.push(text)),
          cloudwatch: new CloudWatchClient({}),
          logs: new CloudWatchLogsClient({}),
          log: silentLog,
        },
        { event, deliveryId: 'x' },
      );
      const listed = rows.get(alarm.AlarmName);
      expect(result.action === 'notified', `${alarm.AlarmName}: ${result.why}`).toBe(listed !== undefined);
      expect(sent.length > 0).toBe(listed !== undefined);
      if (listed) expect(result.severity, alarm.AlarmName).toBe(listed.severity);
    }
  });

  it('reads tag values written as aliases and shows the runbook names', async () => {
    const aliased = testConfig({
      alerts: {
        levels: [{ name: 'team', email: ['t@example.com'] }],
        severities: { aliases: { SEV1: 'critical', SEV2: 'high', SEV3: 'medium', SEV4: 'low' } },
        routeAlarms: { namePrefix: 'RDS-', severity: 'SEV3' },
      },
    });
    cloudwatch
      .on(ListTagsForResourceCommand, { ResourceARN: taggedAlarm.AlarmArn })
      .resolves({ Tags: [{ Key: 'nightshift:severity', Value: 'SEV2' }] });
    const rows = await listAlarms(deps(), aliased);
    expect(rows.map((r) => [r.name, r.severity, r.severityName])).toEqual([
      ['shop-api-down', 'critical', 'SEV1 (critical)'],
      ['RDS-CPU-High', 'medium', 'SEV3 (medium)'],
      ['queue-depth', 'high', 'SEV2 (high)'], // tag nightshift:severity=SEV2
      ['shop-backup-failed', 'high', 'SEV2 (high)'],
    ]);
  });

  it('shows who acknowledged the current episode, not an older one', async () => {
    dynamo.on(ScanCommand).resolves({
      Items: [
        {
          alarm: { S: 'shop-api-down' },
          by: { S: 'alice' },
          at: { S: '2024-10-02T17:10:00.000Z' },
          note: { S: 'restarting' },
        },
        { alarm: { S: 'RDS-CPU-High' }, by: { S: 'bob' }, at: { S: '2024-09-30T08:00:00.000Z' } },
      ],
    });
    const rows = await listAlarms(deps(), config);
    expect(rows[0]?.acknowledged).toMatchObject({ by: 'alice', note: 'restarting' });
    expect(rows[1]?.acknowledged).toBeUndefined();
  });

  it('formats "since" relative to now in the config time zone', () => {
    expect(sinceText('2024-10-02T17:04:40.000Z', new Date('2024-10-02T17:27:40Z'), 'Europe/Berlin')).toBe(
      '23 min ago (2 Oct, 19:04)',
    );
  });
});

describe('nightshift ack', () => {
  it('records who, when and the episode for an alarm in ALARM (name with or without the project prefix)', async () => {
    cloudwatch.on(DescribeAlarmsCommand, { AlarmNames: ['api-down'] }).resolves({ MetricAlarms: [] });
    cloudwatch
      .on(DescribeAlarmsCommand, { AlarmNames: ['shop-api-down'] })
      .resolves({ MetricAlarms: [apiDown] });
    dynamo.on(PutItemCommand).resolves({});
    const now = new Date('2024-10-02T17:27:40Z');

    const result = await acknowledge(deps(), config, { alarm: 'api-down', by: 'alice', note: 'on it', now });

    expect(result).toMatchObject({
      alarm: 'shop-api-down',
      episode: since.toISOString(),
      inAlarmMs: 23 * 60_000,
    });
    const put = dynamo.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(put?.TableName).toBe('shop-nightshift-acks');
    expect(put?.Item).toMatchObject({
      alarm: { S: 'shop-api-down' },
      by: { S: 'alice' },
      at: { S: '2024-10-02T17:27:40.000Z' },
      episode: { S: '2024-10-02T17:04:40.000Z' },
      note: { S: 'on it' },
    });
    expect(Number(put?.Item?.expiresAt?.N)).toBeGreaterThan(now.getTime() / 1000 + 80 * 86_400);
  });

  it('refuses alarms that are not in ALARM and names that do not exist', async () => {
    cloudwatch
      .on(DescribeAlarmsCommand, { AlarmNames: ['shop-backup-failed'] })
      .resolves({ MetricAlarms: [backupOk] });
    await expect(
      acknowledge(deps(), config, { alarm: 'shop-backup-failed', by: 'a', now: new Date() }),
    ).rejects.toThrow(/shop-backup-failed is OK, not ALARM/);
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
    await expect(
      acknowledge(deps(), config, { alarm: 'nope', by: 'a', now: new Date() }),
    ).rejects.toBeInstanceOf(CliError);
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(0);
  });
});
