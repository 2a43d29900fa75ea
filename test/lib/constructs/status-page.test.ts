/**
 * StatusPage construct: the function with its env contract, an AWS_IAM Function URL, CloudFront with
 * origin access control only when public, the incident rule on exactly the targets' down/latency alarms,
 * a least-privilege role, and no unacknowledged cdk-nag finding. Config validation of statusPage.
 */
import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Alarm, ComparisonOperator, MathExpression, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { describe, expect, it } from 'vitest';
import { STATUS_PAGE_VAR, STATUS_TABLE_VAR, statusPageEnv } from '../../../lambdas/status-page/env';
import { validateConfig } from '../../../lib/config/validate';
import { statusPageSettings } from '../../../lib/constructs/status-page';
import { nagFindings, testApp, testConfig, testStack } from '../../support/cdk';

const HEALTH = {
  targets: [
    { name: 'api', maxLatency: '2s', http: { url: 'https://api.internal.example.com/health' } },
    { name: 'db', interval: '5m', postgres: { secret: 'prod/shop/db' } },
    { name: 'worker', tcp: { host: 'worker.internal', port: 9000 } },
  ],
};

function template(statusPage: Record<string, unknown>) {
  const built = testApp(testConfig({ healthChecks: HEALTH, statusPage }));
  return { built, template: Template.fromStack(built.jobs) };
}

describe('StatusPage construct', () => {
  it('private: an AWS_IAM Function URL, no CloudFront', () => {
    const { template: t } = template({ title: 'Shop status', targets: ['api'] });
    t.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
    t.resourceCountIs('AWS::CloudFront::Distribution', 0);
    // nobody but EventBridge's rule may invoke it: no CloudFront, no public permission
    const own = Object.values(t.findResources('AWS::Lambda::Permission')).filter((p) =>
      JSON.stringify(p.Properties.FunctionName).includes('StatusPageFunction'),
    );
    expect(own.map((p) => p.Properties.Principal)).toEqual(['events.amazonaws.com']);
    t.hasOutput('StatusPageUrl', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('StatusPage'), 'FunctionUrl'] },
    });
  });

  it('public: CloudFront with origin access control in front of the AWS_IAM URL', () => {
    const { template: t } = template({ title: 'Shop status', targets: ['api'], public: true });
    t.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
    t.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({
        OriginAccessControlOriginType: 'lambda',
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      }),
    });
    t.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultCacheBehavior: Match.objectLike({
          ViewerProtocolPolicy: 'redirect-to-https',
          AllowedMethods: ['GET', 'HEAD'],
        }),
        Origins: [Match.objectLike({ OriginAccessControlId: Match.anyValue() })],
      }),
    });
    // only this distribution may call the URL: both permissions carry its ARN
    const permissions = t.findResources('AWS::Lambda::Permission', {
      Properties: { Principal: 'cloudfront.amazonaws.com' },
    });
    const actions = Object.values(permissions)
      .map((p) => p.Properties.Action)
      .sort();
    expect(actions).toEqual(['lambda:InvokeFunction', 'lambda:InvokeFunctionUrl']);
    for (const p of Object.values(permissions))
      expect(JSON.stringify(p.Properties.SourceArn)).toContain('distribution/');
    t.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({ DefaultTTL: 60, MinTTL: 0 }),
    });
  });

  it('the rule listens to the down and latency alarms of the listed targets only', () => {
    const { template: t } = template({
      title: 'Shop status',
      targets: ['api', { target: 'db', name: 'Database' }],
    });
    t.hasResourceProperties('AWS::Events::Rule', {
      Name: 'shop-status-page-incidents',
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: ['shop-health-api-down', 'shop-health-api-latency', 'shop-health-db-down'] },
      },
    });
  });

  it('writes its environment through the contract; the reader parses it', () => {
    const { template: t } = template({ title: 'Shop status', targets: [{ target: 'db', name: 'Database' }] });
    const fns = t.findResources('AWS::Lambda::Function', {
      Properties: { FunctionName: 'shop-status-page' },
    });
    const [fn] = Object.values(fns);
    const env = fn?.Properties.Environment.Variables as Record<string, unknown>;
    expect(Object.keys(env).sort()).toEqual(['NODE_OPTIONS', STATUS_PAGE_VAR, STATUS_TABLE_VAR].sort());
    const read = statusPageEnv.read({ ...env, [STATUS_TABLE_VAR]: 'shop-nightshift-status' } as Record<
      string,
      string
    >);
    expect(read.settings).toEqual({
      project: 'shop',
      title: 'Shop status',
      public: false,
      cacheSeconds: 60,
      targets: [
        { target: 'db', display: 'Database', periodMs: 300_000, alarms: { 'shop-health-db-down': 'down' } },
      ],
    });
  });

  it('least privilege: GetMetricData, and Query/PutItem/UpdateItem on its own table only', () => {
    const { template: t } = template({ title: 'Shop status', targets: ['api'] });
    const policies = t.findResources('AWS::IAM::Policy', {
      Properties: { PolicyName: Match.stringLikeRegexp('^StatusPageFunctionRole') },
    });
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((s: { Action: string | string[] }) => [s.Action].flat()).sort();
    expect(actions).toEqual(
      [
        'cloudwatch:GetMetricData',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        'kms:Decrypt',
        'kms:GenerateDataKey',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sqs:SendMessage',
      ].sort(),
    );
    const dynamo = statements.find((s: { Action: string[] }) => [s.Action].flat().includes('dynamodb:Query'));
    expect(JSON.stringify(dynamo.Resource)).toMatch(/StatusPageIncidents/);
    expect(JSON.stringify(dynamo.Resource)).not.toContain('*');
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'shop-nightshift-status',
      KeySchema: [
        { AttributeName: 'target', KeyType: 'HASH' },
        { AttributeName: 'id', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('refuses more targets than the function environment holds, saying what to do', () => {
    const many = Array.from({ length: 30 }, (_, i) => ({
      name: `service-${i}`,
      http: { url: `https://s${i}.example.com/` },
    }));
    expect(() =>
      testConfig({
        healthChecks: { targets: many },
        statusPage: {
          title: 'Shop',
          targets: many.map((t) => ({ target: t.name, name: `Public service number ${t.name}` })),
        },
      }),
    ).toThrow(
      /statusPage\.targets: the page's settings come to \d+ characters, over the 3800 .* list fewer targets/,
    );
  });

  it('has no unacknowledged cdk-nag findings, public or not', () => {
    for (const pub of [false, true]) {
      const { built } = template({ title: 'Shop status', targets: ['api', 'db'], public: pub });
      expect(nagFindings(built.app)).toEqual([]);
    }
  });
});

describe('statusPageSettings', () => {
  it('recognises the down alarm by the Up metric it watches, directly or inside metric math', () => {
    const stack = testStack();
    const up = new Metric({
      namespace: 'Nightshift',
      metricName: 'Up',
      dimensionsMap: { Project: 'shop', Target: 'api' },
      period: Duration.seconds(30),
    });
    const down = new Alarm(stack, 'Down', {
      alarmName: 'shop-health-api-down',
      metric: new MathExpression({
        expression: 'FILL(m, 0)',
        usingMetrics: { m: up },
        period: Duration.seconds(30),
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    const tls = new Alarm(stack, 'Tls', {
      alarmName: 'shop-health-api-tls-warn',
      metric: new Metric({ namespace: 'Nightshift', metricName: 'TlsDaysLeft', period: Duration.hours(1) }),
      threshold: 14,
      evaluationPeriods: 1,
    });
    const settings = statusPageSettings(
      'shop',
      { title: 'Shop', public: false, targets: ['api'] },
      new Map([['api', [down, tls]]]),
    );
    expect(settings.targets).toEqual([
      { target: 'api', display: 'api', periodMs: 30_000, alarms: { 'shop-health-api-down': 'down' } },
    ]);
    expect(() =>
      statusPageSettings(
        'shop',
        { title: 'Shop', public: false, targets: ['api'] },
        new Map([['api', [tls]]]),
      ),
    ).toThrow('internal: statusPage target api has no down alarm');
  });
});

describe('statusPage config', () => {
  const base = {
    project: 'shop',
    region: 'eu-west-1',
    alerts: { levels: [{ name: 'team', email: ['t@example.com'] }] },
    healthChecks: HEALTH,
  };
  const issues = (statusPage: unknown) => {
    const result = validateConfig({ ...base, statusPage });
    return result.ok ? [] : result.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('accepts names and display names', () => {
    expect(issues({ title: 'Shop', targets: ['api', { target: 'db', name: 'Database' }] })).toEqual([]);
  });

  it('names the field of a target that is not a health check', () => {
    expect(issues({ title: 'Shop', targets: ['api', { target: 'cache', name: 'Cache' }] })).toEqual([
      'statusPage.targets.1.target: no health-check target named "cache" — use one of api, db, worker (healthChecks.targets)',
    ]);
    expect(issues({ title: 'Shop', targets: ['apii'] })[0]).toMatch(
      /^statusPage\.targets\.0: no health-check target named "apii"/,
    );
  });

  it('refuses a target listed twice, an empty list and markup in names', () => {
    expect(issues({ title: 'Shop', targets: ['api', 'api'] })).toEqual([
      'statusPage.targets.1: "api" is listed twice — list each target once',
    ]);
    expect(issues({ title: 'Shop', targets: [] }).join()).toMatch(/statusPage\.targets/);
    expect(issues({ title: '<b>Shop</b>', targets: ['api'] }).join()).toMatch(/statusPage\.title/);
  });
});
