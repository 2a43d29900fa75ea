/**
 * The CDK side of prometheus targets: the previous-scrape table (only with such a target), the
 * function's variable for it and its least-privilege grant, one alarm per rule on RuleValue with the
 * rule's threshold, `for:` as M = N periods, whenMissing as TreatMissingData, and no cdk-nag finding.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { SCRAPE_TABLE_VAR } from '../../../lambdas/health-check/env';
import { decodeAlarmDescription } from '../../../lambdas/shared/alarm-metadata';
import { ruleExprSchema } from '../../../lib/config/prometheus';
import type { HealthChecks } from '../../../lib/constructs/health-check';
import { describeExpr, rulePeriods } from '../../../lib/constructs/prometheus-rules';
import { nagFindings, testApp, testConfig } from '../../support/cdk';

const RULES = [
  {
    name: 'HighErrorRate',
    expr: {
      ratio: { numerator: { rate: 'http_errors_total' }, denominator: { rate: 'http_requests_total' } },
    },
    above: 0.1,
    for: '2m',
    severity: 'critical',
  },
  {
    name: 'HighResponseTime',
    expr: { quantile: { q: 0.95, histogram: 'http_request_duration_seconds' } },
    above: 2,
    for: '5m',
    severity: 'medium',
  },
  {
    name: 'DatabaseDown',
    expr: { gauge: { metric: 'database_connections_active', labels: { pool: 'main' } } },
    below: 1,
    for: '1m',
    whenMissing: 'alarm',
  },
];

function build(targets: unknown[]) {
  const config = testConfig({ healthChecks: { targets } });
  const app = testApp(config);
  return {
    template: Template.fromStack(app.jobs),
    construct: app.jobs.node.findChild('HealthChecks') as HealthChecks,
  };
}

const APP = {
  name: 'app',
  severity: 'high',
  prometheus: {
    url: 'https://app.example.com/metrics',
    headers: { Authorization: { secret: 'prod/app/metrics-token' } },
    rules: RULES,
  },
};

type Props = Record<string, unknown>;

function scrapeTables(template: Template): unknown[] {
  return Object.values(template.findResources('AWS::DynamoDB::Table')).filter(
    (t) => (t.Properties as Props).TableName === 'shop-nightshift-scrapes',
  );
}
function alarm(template: Template, name: string): Props {
  const found = Object.values(template.findResources('AWS::CloudWatch::Alarm')).find(
    (r) => (r.Properties as Props).AlarmName === name,
  );
  if (!found) throw new Error(`no alarm ${name}`);
  return found.Properties as Props;
}

describe('prometheus targets in the template', () => {
  const { template, construct } = build([APP, { name: 'site', http: { url: 'https://example.com/' } }]);

  it('creates the previous-scrape table: one item per target, on demand, TTL, encrypted', () => {
    expect(scrapeTables(template)).toHaveLength(1);
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        TableName: 'shop-nightshift-scrapes',
        KeySchema: [{ AttributeName: 'target', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        SSESpecification: { SSEEnabled: true },
      },
      DeletionPolicy: 'Delete',
    });
  });

  it('tells the function the table and lets it get and put items of it, nothing more', () => {
    const tableRef = { Ref: Match.stringLikeRegexp('ScrapeState') };
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'shop-health-check',
      Environment: { Variables: Match.objectLike({ [SCRAPE_TABLE_VAR]: tableRef }) },
    });
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => (p.Properties as { PolicyDocument: { Statement: Props[] } }).PolicyDocument.Statement,
    );
    const onTable = statements.filter((s) => JSON.stringify(s.Resource).includes('ScrapeState'));
    expect(onTable).toEqual([
      {
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        Effect: 'Allow',
        // one resource: written bare (@aws-cdk/aws-iam:minimizePolicies)
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/ScrapeState/), 'Arn'] },
      },
    ]);
    // the metrics token is readable, like an http header secret
    expect(construct.secrets).toEqual(['prod/app/metrics-token']);
  });

  it('alarms on each rule: RuleValue with {Project, Target, Rule}, threshold, for as M = N periods', () => {
    const high = alarm(template, 'shop-health-app-HighErrorRate');
    expect(high).toMatchObject({
      Namespace: 'Nightshift',
      MetricName: 'RuleValue',
      Dimensions: [
        { Name: 'Project', Value: 'shop' },
        { Name: 'Rule', Value: 'HighErrorRate' },
        { Name: 'Target', Value: 'app' },
      ],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 0.1,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
    });
    const meta = decodeAlarmDescription(high.AlarmDescription as string);
    expect(meta.meta).toMatchObject({ severity: 'critical', target: 'app' });
    expect(meta.summary).toBe(
      'app: HighErrorRate — rate(http_errors_total) / rate(http_requests_total) > 0.1 for 2 min',
    );

    expect(alarm(template, 'shop-health-app-HighResponseTime')).toMatchObject({
      Threshold: 2,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      Tags: expect.arrayContaining([{ Key: 'nightshift:severity', Value: 'medium' }]),
    });
    // below: the lowest value of the period, the target's severity, missing data breaching
    expect(alarm(template, 'shop-health-app-DatabaseDown')).toMatchObject({
      Statistic: 'Minimum',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'breaching',
      Tags: expect.arrayContaining([{ Key: 'nightshift:severity', Value: 'high' }]),
    });
  });

  it('keeps the scrape failure on the Down alarm of Up, like every target', () => {
    const down = alarm(template, 'shop-health-app-down');
    expect(down).toMatchObject({ Threshold: 1 });
    expect(JSON.stringify(down.Metrics)).toContain('"MetricName":"Up"');
  });

  it('has no cdk-nag finding', () => {
    expect(nagFindings(construct)).toEqual([]);
  });
});

describe('without a prometheus target', () => {
  it('has no table, no variable and no DynamoDB grant', () => {
    const { template } = build([{ name: 'site', http: { url: 'https://example.com/' } }]);
    expect(scrapeTables(template)).toEqual([]);
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find(
      (f) => (f.Properties as Props).FunctionName === 'shop-health-check',
    );
    expect(JSON.stringify(fn)).not.toContain(SCRAPE_TABLE_VAR);
    // (other functions use DynamoDB: the router's link table, the ack-link function's acks)
    const healthPolicies = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) =>
      id.startsWith('HealthChecks'),
    );
    expect(healthPolicies.length).toBeGreaterThan(0);
    expect(JSON.stringify(healthPolicies)).not.toContain('dynamodb:');
  });
});

describe('rule helpers', () => {
  it('maps for: onto whole check periods, at least one, at most a day of them', () => {
    expect(rulePeriods({ for: undefined }, 60_000)).toBe(1);
    expect(rulePeriods({ for: '0s' }, 60_000)).toBe(1);
    expect(rulePeriods({ for: '2m' }, 60_000)).toBe(2);
    expect(rulePeriods({ for: '90s' }, 60_000)).toBe(2);
    expect(rulePeriods({ for: '2m' }, 300_000)).toBe(1);
    expect(rulePeriods({ for: '12m' }, 300_000)).toBe(3);
    expect(rulePeriods({ for: '1d' }, 60_000)).toBe(1440);
    expect(rulePeriods({ for: '1d' }, 3_600_000)).toBe(24);
  });

  it('describes expressions in PromQL-like words', () => {
    const parse = (e: unknown) => describeExpr(ruleExprSchema.parse(e));
    expect(
      parse({
        ratio: {
          numerator: { sum: [{ rate: { metric: 'a_total', labels: { code: '5..' } } }, { rate: 'b_total' }] },
          denominator: { rate: { metric: 'r_total', labels: { job: 'api', path: { not: '/health' } } } },
        },
      }),
    ).toBe('(rate(a_total{code=~"5.."}) + rate(b_total)) / rate(r_total{job="api",path!~"/health"})');
    expect(parse({ quantile: { q: 0.95, histogram: 'lat_seconds' } })).toBe('p95(lat_seconds)');
    expect(parse({ gauge: 'up' })).toBe('up');
  });
});
