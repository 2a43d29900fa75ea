/**
 * The deployment options that cut cost, both sides: the synthesized template (CDK assertions) and the
 * estimate read from that same template (lib/pricing/usage.ts), so the estimate follows what deploys.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { estimateMonthlyCost } from '../../../lib/pricing/estimate';
import { pricesFor } from '../../../lib/pricing/prices';
import { type CfnTemplate, usageFromTemplates } from '../../../lib/pricing/usage';
import { nagFindings, testApp, testConfig } from '../../support/cdk';

function synth(extra: Record<string, unknown>) {
  const { app, data, jobs } = testApp(testConfig(extra));
  const assembly = app.synth();
  const [dataTemplate, jobsTemplate] = [data, jobs].map(
    (s) => assembly.getStackByName(s.stackName).template as CfnTemplate,
  ) as [CfnTemplate, CfnTemplate];
  const usage = usageFromTemplates([dataTemplate, jobsTemplate]);
  const estimate = estimateMonthlyCost(usage, pricesFor('eu-west-1'));
  return { app, jobs: Template.fromJSON(jobsTemplate), usage, estimate };
}

const HEALTH = {
  healthChecks: { targets: [{ name: 'api', http: { url: 'https://api.example.com/health' } }] },
};

describe('dashboard option', () => {
  const off = synth(HEALTH);
  const on = synth({
    ...HEALTH,
    alerts: { ...testConfig().alerts, dashboard: true },
  });

  it('creates no dashboard by default, and no dashboard line in the estimate', () => {
    off.jobs.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(off.usage.dashboards).toBe(0);
    expect(off.estimate.lines.some((l) => l.item === 'dashboards')).toBe(false);
  });

  it('creates one dashboard when asked, priced at $3 list and free as one of three', () => {
    on.jobs.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const line = on.estimate.lines.find((l) => l.item === 'dashboards');
    expect(line?.listUsd).toBe(3);
    expect(line?.afterFreeTierUsd).toBe(0);
    // the dashboard graphs Up, so its checks send every value: Up is sent every hour again
    const up = (usage: typeof on.usage) => usage.customMetrics.find((m) => m.id.startsWith('Nightshift/Up '));
    expect(up(on.usage)?.hoursPerMonth).toBe(730);
    expect(up(off.usage)?.hoursPerMonth).toBe(4);
    const metrics = (e: typeof on.estimate) => e.lines.find((l) => l.item === 'custom metrics')?.listUsd ?? 0;
    expect(on.estimate.totals.base.listUsd).toBeCloseTo(
      off.estimate.totals.base.listUsd + 3 + metrics(on.estimate) - metrics(off.estimate),
      2,
    );
    expect(metrics(on.estimate) - metrics(off.estimate)).toBeCloseTo(((730 - 4) / 730) * 0.3, 2);
  });
});

describe('tracing option', () => {
  const off = synth(HEALTH);
  const on = synth({ ...HEALTH, tracing: true });

  it('leaves X-Ray off by default: no function or state machine traces, no X-Ray line', () => {
    for (const fn of Object.values(off.jobs.findResources('AWS::Lambda::Function')))
      expect(fn.Properties.TracingConfig).toBeUndefined();
    for (const machine of Object.values(off.jobs.findResources('AWS::StepFunctions::StateMachine')))
      expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: false });
    expect(JSON.stringify(off.jobs.toJSON())).not.toContain('xray:PutTraceSegments');
    expect(off.usage.functions.every((f) => !f.tracing)).toBe(true);
    expect(off.estimate.lines.some((l) => l.service === 'X-Ray')).toBe(false);
  });

  it('traces every function and state machine with tracing: true, and prices one trace per run', () => {
    const functions = Object.values(on.jobs.findResources('AWS::Lambda::Function'));
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    on.jobs.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
    });
    const runs = on.usage.functions.reduce((sum, f) => sum + f.invocationsPerMonth, 0);
    const xray = on.estimate.lines.find((l) => l.service === 'X-Ray');
    expect(xray?.basis).toContain(`${Math.round(runs)} traces`);
    // 5 USD per million traces recorded (eu-west-1 table), before the 100,000 free.
    expect(xray?.listUsd).toBeCloseTo((runs / 1e6) * 5, 2);
  });
});

describe('VPC endpoints option', () => {
  const NETWORK = {
    vpcId: 'vpc-0a1b2c3d4e5f67890',
    subnetIds: ['subnet-0a1b2c3d4e5f67890', 'subnet-0f1e2d3c4b5a69870'],
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    securityGroupIds: ['sg-0a1b2c3d4e5f67890'],
  };
  const BACKUP = {
    backups: { targets: [{ name: 'db', postgres: { secret: 'prod/shop/db' } }] },
  };
  const plain = synth({ ...BACKUP, network: NETWORK });
  const endpoints = synth({
    ...BACKUP,
    network: {
      ...NETWORK,
      s3GatewayEndpoint: { routeTableIds: ['rtb-0a1b2c3d4e5f67890'] },
      interfaceEndpoints: ['logs', 'secretsmanager'],
    },
  });
  const network = (e: typeof plain) => e.estimate.lines.filter((l) => l.group === 'network');

  it('creates no endpoint unless asked; backup traffic is then priced through the NAT', () => {
    plain.jobs.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    // 1 backup a night × 1 GB × 30.4 nights through the NAT, plus 730 h.
    const nat = network(plain).find((l) => l.item === 'NAT gateway');
    expect(nat?.basis).toContain('730 h + 30 GB processed');
    const vpc = pricesFor('eu-west-1').vpc;
    expect(nat?.listUsd).toBeCloseTo(730 * vpc.natGatewayHour + (365 / 12) * vpc.natGatewayGb, 1);
    expect(network(plain).map((l) => l.item)).toEqual(['NAT gateway']);
  });

  it('creates a free S3 gateway endpoint on the given route tables, and takes backups off the NAT', () => {
    endpoints.jobs.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: 'com.amazonaws.eu-west-1.s3',
      RouteTableIds: ['rtb-0a1b2c3d4e5f67890'],
      VpcId: NETWORK.vpcId,
    });
    const gateway = network(endpoints).find((l) => l.item === 'S3 gateway endpoint');
    expect(gateway?.listUsd).toBe(0);
    expect(gateway?.basis).toContain('30 GB of backups a month reach S3 through it');
    const nat = network(endpoints).find((l) => l.item === 'NAT gateway');
    expect(nat?.basis).toContain('730 h + 0 GB processed (backups go through the S3 gateway endpoint)');
    expect(nat?.listUsd).toBeCloseTo(730 * pricesFor('eu-west-1').vpc.natGatewayHour, 2);
  });

  it('creates each interface endpoint in the job subnets, HTTPS from the job groups only, and prices it per AZ', () => {
    const created = Object.values(endpoints.jobs.findResources('AWS::EC2::VPCEndpoint')).filter(
      (r) => r.Properties.VpcEndpointType === 'Interface',
    );
    expect(created.map((r) => r.Properties.ServiceName).sort()).toEqual([
      'com.amazonaws.eu-west-1.logs',
      'com.amazonaws.eu-west-1.secretsmanager',
    ]);
    for (const r of created) {
      expect(r.Properties.SubnetIds).toEqual(NETWORK.subnetIds);
      expect(r.Properties.PrivateDnsEnabled).toBe(true);
    }
    endpoints.jobs.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, SourceSecurityGroupId: NETWORK.securityGroupIds[0] },
      ],
    });
    const line = network(endpoints).find((l) => l.item === 'interface endpoints (created)');
    // 2 endpoints × 2 subnets × 730 h × $0.011 (eu-west-1) = 32.12
    expect(line?.listUsd).toBeCloseTo(2 * 2 * 730 * pricesFor('eu-west-1').vpc.interfaceEndpointHour, 2);
    expect(line?.basis).toContain('logs × 2 AZ, secretsmanager × 2 AZ');
  });

  it('has no unacknowledged cdk-nag findings with both kinds of endpoint', () => {
    expect(nagFindings(endpoints.app)).toEqual([]);
  });
});

describe('SSM Parameter Store as a secret source', () => {
  const targets = [
    { name: 'db', postgres: { secret: 'ssm:/prod/shop/db' } },
    { name: 'cache', redis: { secret: 'prod/shop/redis' } },
  ];
  const managed = synth({ healthChecks: { targets } });
  const customKey = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const withKey = synth({ healthChecks: { targets }, ssmParameterKey: customKey });
  const statements = (t: Template) =>
    Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[],
    );
  // the partition is a literal for a known region (@aws-cdk/core:enablePartitionLiterals)
  const PARAMETER_ARN = 'arn:aws:ssm:eu-west-1:123456789012:parameter/prod/shop/db';

  it('grants ssm:GetParameter on that parameter only, and kms:Decrypt on aws/ssm through SSM for it', () => {
    const all = statements(managed.jobs);
    expect(all).toContainEqual(
      expect.objectContaining({ Action: 'ssm:GetParameter', Effect: 'Allow', Resource: PARAMETER_ARN }),
    );
    const decrypt = all.find(
      (s) => s.Action === 'kms:Decrypt' && JSON.stringify(s.Condition ?? {}).includes('kms:ViaService'),
    );
    expect(decrypt?.Condition).toEqual({
      StringEquals: {
        'kms:ViaService': 'ssm.eu-west-1.amazonaws.com',
        'kms:EncryptionContext:PARAMETER_ARN': PARAMETER_ARN,
      },
      'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/aws/ssm' },
    });
    // the Secrets Manager reference keeps its own grant; the parameter is never asked of Secrets Manager
    const getSecret = all.filter((s) => JSON.stringify(s.Action).includes('secretsmanager:GetSecretValue'));
    expect(JSON.stringify(getSecret)).toContain('prod/shop/redis');
    expect(JSON.stringify(getSecret)).not.toContain('prod/shop/db');
  });

  it('grants kms:Decrypt on the given key instead when ssmParameterKey is set', () => {
    const decrypt = statements(withKey.jobs).find(
      (s) => s.Action === 'kms:Decrypt' && JSON.stringify(s.Condition ?? {}).includes('kms:ViaService'),
    );
    expect(decrypt?.Resource).toBe(customKey);
    expect(JSON.stringify(decrypt?.Condition)).not.toContain('kms:ResourceAliases');
  });

  it('counts only the Secrets Manager secret in the estimate', () => {
    expect(managed.usage.secrets.count).toBe(1);
    // the health check runs every minute (43,800 runs) but its container keeps the value 15 minutes:
    // 730 h × 4 = 2,920 reads a month, $0.0146 at $0.05 per 10,000
    const runs = managed.usage.functions.find((f) => f.name.endsWith('health-check'))?.invocationsPerMonth;
    expect(runs).toBe(43_800);
    expect(managed.usage.secrets.calls).toBe(2_920);
    const line = managed.estimate.lines.find((l) => l.service === 'Secrets Manager');
    expect(line?.basis).toMatch(/^1 secrets, /);
  });

  it('has no unacknowledged cdk-nag findings', () => {
    expect(nagFindings(managed.app)).toEqual([]);
    expect(nagFindings(withKey.app)).toEqual([]);
  });
});
