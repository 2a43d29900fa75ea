/**
 * Chat channels in the template: AWS Chatbot Slack and Teams configurations on each level's topics
 * (the rotation members' topics included) with a permissionless role and a read-only guardrail; the
 * webhook delivery function subscribed to the topics of levels with webhooks, its environment (secret
 * references, never URLs), its dead-letter queue and alarm; cdk-nag clean; priced by `nightshift plan`.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { webhookDeliveryEnv } from '../../../lambdas/webhook-delivery/env';
import type { NightshiftApp } from '../../../lib/app';
import { parseConfig } from '../../../lib/config/validate';
import { buildPlan, synthesizeTemplates } from '../../../lib/plan';
import { usageFromTemplates } from '../../../lib/pricing/usage';
import { nagFindings, testApp, testConfig } from '../../support/cdk';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are untyped JSON
type Cfn = Record<string, any>;

const SLACK = { kind: 'slack', workspaceId: 'T0123ABCD', channelId: 'C0456EFGH' };
const TEAMS = {
  kind: 'teams',
  teamId: '8f2a1c3e-1111-4a4a-9b9b-0123456789ab',
  tenantId: '1d2c3b4a-2222-4b4b-8c8c-ba9876543210',
  channelId: '19:a1b2c3d4e5f6@thread.tacv2',
};

const config = testConfig({
  alerts: {
    levels: [
      {
        name: 'team',
        email: ['team@example.com'],
        chat: [SLACK],
        webhooks: [
          { kind: 'googleChat', secret: 'prod/shop/google-chat-webhook' },
          { kind: 'discord', secret: 'ssm:/prod/shop/discord-webhook' },
        ],
      },
      {
        name: 'oncall',
        rotation: {
          members: [
            { name: 'ana', email: 'ana@example.com', sms: '+4915112345678' },
            { name: 'ben', sms: '+4915187654321' },
          ],
          handoff: { time: '09:00', weekday: 'monday' },
          every: '1w',
          start: '2026-01-05',
        },
        chat: [TEAMS],
        webhooks: [{ kind: 'slack', secret: 'prod/shop/slack-webhook' }],
      },
      { name: 'lead', email: ['lead@example.com'] },
    ],
  },
});

let built: NightshiftApp;
let jobs: Template;
let data: Template;
beforeAll(() => {
  built = testApp(config);
  jobs = Template.fromStack(built.jobs);
  data = Template.fromStack(built.data);
});

/** The export name a cross-stack reference to the data stack's topic `topicName` imports. */
function topicImport(topicName: string): unknown {
  const id = data.getResourceId('AWS::SNS::Topic', { Properties: { TopicName: topicName } });
  return Match.objectLike({ 'Fn::ImportValue': Match.stringLikeRegexp(id) });
}
const memberTopic = () =>
  ({
    Ref: jobs.getResourceId('AWS::SNS::Topic', { Properties: { TopicName: 'shop-rota-oncall-ana' } }),
  }) as const;

describe('AWS Chatbot channels', () => {
  it('creates a Slack configuration on the level topic, with the guardrail and a role without permissions', () => {
    jobs.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      ConfigurationName: 'shop-team-slack-1',
      SlackWorkspaceId: 'T0123ABCD',
      SlackChannelId: 'C0456EFGH',
      SnsTopicArns: [topicImport('shop-alerts-team')],
      GuardrailPolicies: [{ Ref: Match.stringLikeRegexp('ChatbotGuardrail') }],
      IamRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ChatbotRole'), 'Arn'] },
    });
  });

  it("creates a Teams configuration on the rotating level's topic and its members' e-mail topic", () => {
    jobs.hasResourceProperties('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', {
      ConfigurationName: 'shop-oncall-teams-1',
      TeamId: TEAMS.teamId,
      TeamsTenantId: TEAMS.tenantId,
      TeamsChannelId: '19%3Aa1b2c3d4e5f6%40thread.tacv2',
      SnsTopicArns: [topicImport('shop-alerts-oncall'), memberTopic()],
      GuardrailPolicies: [{ Ref: Match.stringLikeRegexp('ChatbotGuardrail') }],
    });
    jobs.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 1);
    jobs.resourceCountIs('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', 1);
  });

  it('gives the Chatbot role no policy, and the guardrail only reads the project alarms', () => {
    const roleId = jobs.getResourceId('AWS::IAM::Role', {
      Properties: {
        AssumeRolePolicyDocument: Match.objectLike({
          Statement: [Match.objectLike({ Principal: { Service: 'chatbot.amazonaws.com' } })],
        }),
      },
    });
    const role = jobs.toJSON().Resources[roleId].Properties as Cfn;
    expect(role.ManagedPolicyArns).toBeUndefined();
    expect(role.Policies).toBeUndefined();
    const attached = Object.values(jobs.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes(roleId),
    );
    expect(attached).toEqual([]);
    jobs.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'cloudwatch:DescribeAlarms',
            Resource: Match.stringLikeRegexp('^arn:aws:cloudwatch:.*:alarm:shop-\\*$'),
          },
        ],
      },
    });
  });
});

describe('webhook delivery function', () => {
  const fn = () =>
    Object.values(
      jobs.findResources('AWS::Lambda::Function', { Properties: { FunctionName: 'shop-webhook-delivery' } }),
    )[0]?.Properties as Cfn;

  it('subscribes to the topics of the levels with webhooks (members included), with the SNS delivery DLQ', () => {
    const subs = Object.values(jobs.findResources('AWS::SNS::Subscription'))
      .map((r) => r.Properties as Cfn)
      .filter((s) => s.Protocol === 'lambda');
    expect(subs.map((s) => JSON.stringify(s.TopicArn))).toEqual([
      expect.stringContaining('Fn::ImportValue'),
      expect.stringContaining('Fn::ImportValue'),
      JSON.stringify(memberTopic()),
    ]);
    for (const sub of subs) {
      expect(sub.Endpoint).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/WebhookDelivery/), 'Arn'] });
      expect(sub.RedrivePolicy.deadLetterTargetArn).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/DeliveryDeadLetterQueue/), 'Arn'],
      });
    }
    // SNS may invoke it from exactly those three topics
    const permissions = Object.values(jobs.findResources('AWS::Lambda::Permission'))
      .map((r) => r.Properties as Cfn)
      .filter((p) => p.Principal === 'sns.amazonaws.com');
    expect(permissions).toHaveLength(3);
  });

  it('gets its settings and dead-letter queue through its environment contract, with secret names only', () => {
    const variables = fn().Environment.Variables as Record<string, unknown>;
    expect(Object.keys(variables).sort()).toEqual(webhookDeliveryEnv.variables.map((v) => v.name).sort());
    const text = JSON.stringify(variables);
    expect(text).toContain('prod/shop/google-chat-webhook');
    expect(text).toContain('ssm:/prod/shop/discord-webhook');
    expect(text).not.toMatch(/https:\/\/(hooks\.slack|chat\.googleapis|discord)/);
    expect(fn()).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 60,
      DeadLetterConfig: {
        TargetArn: { 'Fn::GetAtt': [expect.stringMatching(/WebhookDeadLetterQueue/), 'Arn'] },
      },
    });
  });

  it('reads its webhook secrets and sends to its dead-letter queue, and has an alarm on that queue', () => {
    const roleRef = fn().Role['Fn::GetAtt'][0] as string;
    const statements = Object.values(jobs.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleRef))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Cfn[]);
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions).toEqual(
      expect.arrayContaining(['secretsmanager:GetSecretValue', 'ssm:GetParameter', 'sqs:SendMessage']),
    );
    expect(actions).not.toContain('sns:Publish');
    jobs.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'shop-alert-webhook-undelivered',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('WebhookDeadLetterQueue'), 'QueueName'] },
        },
      ],
    });
  });

  it('is counted by the cost estimate, once per page and subscribed topic', () => {
    const usage = usageFromTemplates(
      [built.data, built.jobs].map((s) => Template.fromStack(s).toJSON()),
      { pagesPerMonth: 10 },
    );
    const delivery = usage.functions.find((f) => f.name === 'webhook-delivery');
    expect(delivery).toMatchObject({ memoryMb: 256, invocationsPerMonth: 10 * 2 * 3 });
  });

  it("nightshift plan lists each level's chat channels and webhooks", async () => {
    const plan = buildPlan(config, await synthesizeTemplates(config));
    expect(plan.levels.map((l) => l.chat)).toEqual([
      ['slack', 'webhook googleChat', 'webhook discord'],
      ['teams', 'webhook slack'],
      undefined,
    ]);
  });

  it('leaves no unacknowledged cdk-nag finding in the whole app', () => {
    expect(nagFindings(built.app)).toEqual([]);
  });

  it('is absent without webhooks, and a level with only a chat channel is valid', () => {
    const chatOnly = parseConfig({
      project: 'shop',
      region: 'eu-west-1',
      account: '123456789012',
      alerts: { levels: [{ name: 'team', chat: [SLACK] }] },
    });
    const t = Template.fromStack(testApp(chatOnly).jobs);
    t.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 1);
    expect(
      Object.keys(
        t.findResources('AWS::Lambda::Function', { Properties: { FunctionName: 'shop-webhook-delivery' } }),
      ),
    ).toEqual([]);
  });
});
