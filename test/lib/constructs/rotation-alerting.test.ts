/**
 * Rotations in the template: one KMS-encrypted e-mail topic per member with an e-mail address, its
 * subscription (with the delivery DLQ), publish grants for the router and the escalation, the
 * SMS-to-a-number statement that reaches no topic, and the router settings naming those topics.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RouterSettings } from '../../../lambdas/alert-router/settings';
import { Alerting } from '../../../lib/constructs/alerting';
import type { NightshiftContext } from '../../../lib/constructs/context';
import { ProjectDashboard } from '../../../lib/constructs/dashboard';
import { buildPlan, synthesizeTemplates } from '../../../lib/plan';
import { nagFindings, testApp, testConfig, testStack } from '../../support/cdk';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are untyped JSON
type Cfn = Record<string, any>;

const config = testConfig({
  alerts: {
    levels: [
      {
        name: 'oncall',
        rotation: {
          members: [
            { name: 'ana', email: 'ana@example.com', sms: '+4915112345678' },
            { name: 'ben', email: 'ben@example.com' },
            { name: 'cem', sms: '+4915187654321' },
          ],
          handoff: { time: '09:00', weekday: 'monday' },
          every: '1w',
          start: '2026-01-05',
        },
      },
      { name: 'lead', email: ['lead@example.com'] },
    ],
  },
});

let template: Template;
let alerting: Alerting;
beforeAll(() => {
  const stack = testStack();
  const key = new Key(stack, 'Key');
  const context: NightshiftContext = {
    project: config.project,
    config,
    timeZone: config.timezone,
    key,
    backupBucket: Bucket.fromBucketName(stack, 'B', 'shop-backups'),
    logBucket: Bucket.fromBucketName(stack, 'L', 'shop-logs'),
    levelTopics: config.alerts.levels.map(
      (l, i) => new Topic(stack, `T${i}`, { topicName: `shop-alerts-${l.name}`, masterKey: key }),
    ),
    dashboard: new ProjectDashboard(stack, 'Dashboard', { dashboardName: 'shop-nightshift' }),
    alarms: [],
  };
  alerting = new Alerting(stack, 'Alerting', { context });
  template = Template.fromStack(stack);
});

const logicalId = (member: string) =>
  template.getResourceId('AWS::SNS::Topic', { Properties: { TopicName: `shop-rota-oncall-${member}` } });

describe('rotation topics', () => {
  it('creates one encrypted topic per member with an e-mail, none for SMS-only members', () => {
    expect(Object.keys(alerting.memberTopics).sort()).toEqual(['oncall/ana', 'oncall/ben']);
    for (const member of ['ana', 'ben']) {
      template.hasResourceProperties('AWS::SNS::Topic', {
        TopicName: `shop-rota-oncall-${member}`,
        KmsMasterKeyId: Match.anyValue(),
      });
    }
    expect(JSON.stringify(template.findResources('AWS::SNS::Topic'))).not.toContain('shop-rota-oncall-cem');
  });

  it('subscribes each member address to their own topic only, with the delivery DLQ; no SMS subscription', () => {
    const subs = Object.values(template.findResources('AWS::SNS::Subscription')).map(
      (r) => r.Properties as Cfn,
    );
    const rota = subs.filter((s) => ['ana@example.com', 'ben@example.com'].includes(s.Endpoint));
    expect(rota.map((s) => [s.Endpoint, s.TopicArn.Ref])).toEqual([
      ['ana@example.com', logicalId('ana')],
      ['ben@example.com', logicalId('ben')],
    ]);
    for (const sub of rota) {
      expect(sub.Protocol).toBe('email');
      expect(sub.RedrivePolicy.deadLetterTargetArn).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/DeliveryDeadLetterQueue/), 'Arn'],
      });
    }
    expect(subs.filter((s) => s.Protocol === 'sms').map((s) => s.Endpoint)).toEqual([]);
  });

  it('lets the router and the escalation publish to every member topic, and text numbers but no other topic', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).map(
      (r) => r.Properties as Cfn,
    );
    for (const member of ['ana', 'ben']) {
      const ref = { Ref: logicalId(member) };
      const granted = policies.filter((p) =>
        (p.PolicyDocument.Statement as Cfn[]).some(
          (s) => s.Action === 'sns:Publish' && JSON.stringify(s.Resource) === JSON.stringify(ref),
        ),
      );
      expect(granted.map((p) => JSON.stringify(p.Roles))).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/RouterRole|Router/),
          expect.stringMatching(/EscalationRole/),
        ]),
      );
    }
    const texting = policies.filter((p) =>
      (p.PolicyDocument.Statement as Cfn[]).some((s) => s.Sid === 'TextRotationMembers'),
    );
    // One statement for the router (first page) and one for the escalation (later steps).
    expect(texting.map((p) => JSON.stringify(p.Roles)).sort()).toEqual([
      expect.stringMatching(/EscalationRole/),
      expect.stringMatching(/RouterRole/),
    ]);
    for (const policy of texting) {
      expect((policy.PolicyDocument.Statement as Cfn[]).find((s) => s.Sid === 'TextRotationMembers')).toEqual(
        {
          Sid: 'TextRotationMembers',
          Effect: 'Allow',
          Action: 'sns:Publish',
          NotResource: 'arn:aws:sns:*:*:*',
        },
      );
    }
  });

  it('hands the router the member topics it publishes to, and the numbers it texts', () => {
    const fn = Object.values(
      template.findResources('AWS::Lambda::Function', { Properties: { FunctionName: 'shop-alert-router' } }),
    )[0]?.Properties as Cfn;
    // Fn::Join of literal JSON and { Ref } tokens: put the logical ids in place of the refs and parse.
    const parts = fn.Environment.Variables.NIGHTSHIFT_ALERTS['Fn::Join'][1] as (string | { Ref: string })[];
    const settings = JSON.parse(
      parts.map((p) => (typeof p === 'string' ? p : `ref:${p.Ref}`)).join(''),
    ) as RouterSettings;
    const oncall = settings.levels[0]!;
    expect(oncall.rotation?.members).toEqual([
      {
        name: 'ana',
        topicArn: `ref:${logicalId('ana')}`,
        phone: '+4915112345678',
      },
      { name: 'ben', topicArn: `ref:${logicalId('ben')}` },
      { name: 'cem', phone: '+4915187654321' },
    ]);
    expect(oncall.rotation?.timeZone).toBe('Europe/Berlin');
    expect(JSON.stringify(settings)).not.toContain('ana@example.com');
  });

  it('leaves no unacknowledged cdk-nag finding in the whole app', () => {
    expect(nagFindings(testApp(config).app)).toEqual([]);
  });

  it('nightshift plan lists the rotation and its masked contacts; the level topic has no subscribers', async () => {
    const plan = buildPlan(config, await synthesizeTemplates(config));
    expect(plan.levels[0]).toMatchObject({
      name: 'oncall',
      rotation: ['ana', 'ben', 'cem'],
      email: ['ana@example.com', 'ben@example.com'],
      subscribers: 0,
    });
    expect(plan.levels[0]?.sms.join(' ')).not.toMatch(/4915112345678|4915187654321/);
    expect(plan.levels[1]?.rotation).toBeUndefined();
  });

  it("pages every member's e-mail topic of a rotating first level when the router itself fails", () => {
    const alarm = Object.values(
      template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { AlarmName: 'shop-alert-router-failed' },
      }),
    )[0]?.Properties as Cfn;
    expect(alarm.AlarmActions).toEqual([{ Ref: logicalId('ana') }, { Ref: logicalId('ben') }]);
    expect(alarm.OKActions).toEqual(alarm.AlarmActions);
  });
});
