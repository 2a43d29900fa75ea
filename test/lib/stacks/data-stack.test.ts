import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { testApp, testConfig } from '../../support/cdk';

describe('DataStack', () => {
  const { data } = testApp(testConfig({ backups: { objectLock: 'governance', targets: [] } }));
  const template = Template.fromStack(data);

  it('has a KMS key with rotation, retained', () => {
    template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('lets CloudWatch Logs use the key only for the project log groups', () => {
    const [key] = Object.values(template.findResources('AWS::KMS::Key'));
    if (!key) throw new Error('no KMS key in the data stack');
    const statements = (
      key.Properties as { KeyPolicy: { Statement: { Principal?: { Service?: string } }[] } }
    ).KeyPolicy.Statement;
    const logs = statements.filter((s) => s.Principal?.Service === 'logs.eu-west-1.amazonaws.com');
    expect(logs).toHaveLength(1);
    expect(JSON.stringify(logs[0])).toContain(':log-group:/nightshift/shop/*');
  });

  it.each([
    ['shop-nightshift-backups-123456789012-eu-west-1'],
    ['shop-nightshift-logs-123456789012-eu-west-1'],
  ])('bucket %s is private, KMS-encrypted, versioned, aborts incomplete uploads and is retained', (name) => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        BucketName: name,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            Match.objectLike({
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() },
            }),
          ],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
              Status: 'Enabled',
            }),
          ]),
        },
        LoggingConfiguration: Match.objectLike({ DestinationBucketName: Match.anyValue() }),
      }),
      DeletionPolicy: 'Retain',
    });
  });

  it('enforces TLS on every bucket', () => {
    const policies = template.findResources('AWS::S3::BucketPolicy');
    expect(Object.keys(policies)).toHaveLength(3);
    for (const policy of Object.values(policies)) {
      expect(JSON.stringify(policy)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('enables Object Lock on the backup bucket when configured', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'shop-nightshift-backups-123456789012-eu-west-1',
      ObjectLockEnabled: true,
    });
    const off = Template.fromStack(testApp(testConfig()).data);
    off.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'shop-nightshift-backups-123456789012-eu-west-1',
      ObjectLockEnabled: Match.absent(),
    });
  });

  it('creates one KMS-encrypted, TLS-only topic per escalation level, in order', () => {
    const topics = template.findResources('AWS::SNS::Topic');
    const names = Object.values(topics).map((t) => (t.Properties as { TopicName: string }).TopicName);
    expect(names).toEqual(['shop-alerts-team', 'shop-alerts-oncall', 'shop-alerts-lead']);
    for (const topic of Object.values(topics)) {
      expect((topic.Properties as { KmsMasterKeyId?: unknown }).KmsMasterKeyId).toBeDefined();
    }
    expect(data.levelTopics).toHaveLength(3);
    template.resourceCountIs('AWS::SNS::TopicPolicy', 3);
  });

  it('tags everything with project and managed-by', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      Tags: Match.arrayWith([
        { Key: 'managed-by', Value: 'nightshift' },
        { Key: 'project', Value: 'shop' },
      ]),
    });
  });
});

describe('encryption: aws-managed', () => {
  const config = testConfig({
    encryption: 'aws-managed',
    healthChecks: { targets: [{ name: 'api', http: { url: 'https://shop.example.com/health' } }] },
    logArchive: { groups: [{ name: '/ecs/shop-api', mode: 'firehose' }] },
  });
  const { data, jobs } = testApp(config);
  const dataTemplate = Template.fromStack(data);
  const jobsTemplate = Template.fromStack(jobs);
  const all = JSON.stringify([dataTemplate.toJSON(), jobsTemplate.toJSON()]);

  it('creates no KMS key and grants none', () => {
    dataTemplate.resourceCountIs('AWS::KMS::Key', 0);
    jobsTemplate.resourceCountIs('AWS::KMS::Key', 0);
    expect(all).not.toMatch(/"kms:/);
  });

  it('encrypts the backup and log buckets with SSE-S3', () => {
    const buckets = Object.values(dataTemplate.findResources('AWS::S3::Bucket'));
    expect(buckets).toHaveLength(3);
    for (const bucket of buckets) {
      expect(bucket.Properties.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      });
    }
  });

  it('leaves the topics unencrypted at rest but TLS-only, and the queues on SSE-SQS', () => {
    const topics = Object.values(dataTemplate.findResources('AWS::SNS::Topic'));
    expect(topics.length).toBeGreaterThan(0);
    for (const topic of topics) expect(topic.Properties.KmsMasterKeyId).toBeUndefined();
    dataTemplate.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      }),
    });
    const queues = Object.values(jobsTemplate.findResources('AWS::SQS::Queue'));
    expect(queues.length).toBeGreaterThan(0);
    for (const queue of queues) {
      expect(queue.Properties.KmsMasterKeyId).toBeUndefined();
      expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    }
  });

  it('leaves job log groups on CloudWatch Logs encryption and Firehose on an AWS-owned key', () => {
    for (const group of Object.values(jobsTemplate.findResources('AWS::Logs::LogGroup'))) {
      expect(group.Properties.KmsKeyId).toBeUndefined();
    }
    jobsTemplate.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
    });
  });
});
