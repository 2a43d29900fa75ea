/**
 * Backups construct and the backup bucket's retention: lifecycle rules by tag, Object Lock, the
 * container-image function and its schedules, least privilege (own prefix, never delete), the alarms,
 * and the Fargate variant.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AssetManifestArtifact } from 'aws-cdk-lib/cx-api';
import { describe, expect, it } from 'vitest';
import { backupEnv } from '../../../lambdas/backup/env';
import { lifecycleDays } from '../../../lambdas/backup/retention';
import { decodeAlarmDescription } from '../../../lambdas/shared/alarm-metadata';
import { BACKUP_LAMBDA_MEMORY_MB, fargateSize } from '../../../lib/constructs/backup';
import { backupLifecycleRules } from '../../../lib/constructs/backup-bucket-rules';
import { nagFindings, testApp, testConfig } from '../../support/cdk';

const NETWORK = {
  vpcId: 'vpc-0a1b2c3d4e5f67890',
  subnetIds: ['subnet-0a1b2c3d4e5f67890', 'subnet-0f1e2d3c4b5a69870'],
  securityGroupIds: ['sg-0a1b2c3d4e5f67890'],
};
const PG_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/shop/db-AbCdEf';

const TARGETS = [
  {
    name: 'main',
    postgres: { secret: PG_SECRET, database: 'shop' },
    verify: { secret: 'prod/shop/scratch' },
  },
  { name: 'cache', schedule: 'cron(30 3 * * ? *)', redis: { secret: 'prod/shop/redis', mode: 'rdb' } },
];

type Props = Record<string, unknown>;
interface DockerImageEntry {
  readonly source: { directory: string; dockerFile?: string; platform?: string };
}
type Resource = { Properties: Props };

function build(backups: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  const config = testConfig({ backups: { targets: TARGETS, ...backups }, ...extra });
  const app = testApp(config);
  return {
    config,
    app,
    jobs: Template.fromStack(app.jobs),
    data: Template.fromStack(app.data),
  };
}

function resources(template: Template, type: string): Props[] {
  return Object.values(template.findResources(type) as Record<string, Resource>).map((r) => r.Properties);
}

function byName(template: Template, type: string, key: string): Map<string, Props> {
  return new Map(resources(template, type).map((p) => [p[key] as string, p]));
}

/** Every IAM statement attached to the role whose logical id contains `roleMatch`. */
function statementsOf(
  template: Template,
  roleMatch: RegExp,
): { Action: string | string[]; Resource: unknown; Condition?: unknown }[] {
  const policies = template.findResources('AWS::IAM::Policy') as Record<string, Resource>;
  const out: { Action: string | string[]; Resource: unknown; Condition?: unknown }[] = [];
  for (const policy of Object.values(policies)) {
    const roles = JSON.stringify(policy.Properties.Roles);
    if (!roleMatch.test(roles)) continue;
    const document = policy.Properties.PolicyDocument as { Statement: typeof out };
    out.push(...document.Statement);
  }
  return out;
}

const actionsOf = (statements: { Action: string | string[] }[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

describe('backup bucket retention rules', () => {
  it('expires each tier by its tag after lifecycleDays (8 / 29 / 93 for 7 / 4 / 3)', () => {
    const { data } = build();
    const bucket = backupBucket(data);
    const rules = (bucket.LifecycleConfiguration as { Rules: Props[] }).Rules;
    const tierRules = rules.filter((r) => String(r.Id).startsWith('backups-expire-'));
    expect(tierRules).toEqual([
      {
        Id: 'backups-expire-daily',
        Prefix: 'backups/',
        TagFilters: [{ Key: 'tier', Value: 'daily' }],
        ExpirationInDays: 8,
        Status: 'Enabled',
      },
      {
        Id: 'backups-expire-weekly',
        Prefix: 'backups/',
        TagFilters: [{ Key: 'tier', Value: 'weekly' }],
        ExpirationInDays: 29,
        Status: 'Enabled',
      },
      {
        Id: 'backups-expire-monthly',
        Prefix: 'backups/',
        TagFilters: [{ Key: 'tier', Value: 'monthly' }],
        ExpirationInDays: 93,
        Status: 'Enabled',
      },
    ]);
    // Incomplete multipart uploads are aborted after a day (DataStack's bucket-wide rule).
    expect(rules).toContainEqual(
      expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
    );
  });

  it('derives the days from configured counts', () => {
    const { data } = build({ retention: { daily: 14, weekly: 8, monthly: 12 } });
    const text = JSON.stringify(resources(data, 'AWS::S3::Bucket'));
    const days = lifecycleDays({ daily: 14, weekly: 8, monthly: 12 });
    expect(days).toEqual({ daily: 15, weekly: 57, monthly: 367 });
    for (const rule of backupLifecycleRules({ daily: 14, weekly: 8, monthly: 12 })) {
      expect(text).toContain(`"Id":"${rule.id}"`);
    }
    expect(text).toContain('"ExpirationInDays":367');
  });

  it('enables Object Lock on the bucket only when configured, and lets the job set retention', () => {
    const off = build();
    const offBucket = backupBucket(off.data);
    expect(offBucket.ObjectLockEnabled).toBeUndefined();
    expect(actionsOf(statementsOf(off.jobs, /Backups/))).not.toContain('s3:PutObjectRetention');

    const on = build({ objectLock: 'compliance' });
    const onBucket = backupBucket(on.data);
    expect(onBucket.ObjectLockEnabled).toBe(true);
    expect(actionsOf(statementsOf(on.jobs, /Backups/))).toContain('s3:PutObjectRetention');
    // The bucket has no default retention: each object is locked until its own tier expiry.
    expect(onBucket.ObjectLockConfiguration).toBeUndefined();
    const fn = byName(on.jobs, 'AWS::Lambda::Function', 'FunctionName').get('shop-backup-main')!;
    expect(JSON.stringify(fn.Environment)).toContain('"BACKUP_OBJECT_LOCK":"COMPLIANCE"');
    expect(bypassGranted(on.jobs)).toBe(false);
  });
});

function backupBucket(template: Template): Props {
  const bucket = resources(template, 'AWS::S3::Bucket').find((b) =>
    JSON.stringify(b.BucketName ?? '').includes('nightshift-backups'),
  );
  if (!bucket) throw new Error('no backup bucket in the template');
  return bucket;
}

function bypassGranted(template: Template): boolean {
  return JSON.stringify(resources(template, 'AWS::IAM::Policy')).includes('BypassGovernanceRetention');
}

describe('Backups (lambda)', () => {
  const built = build();
  const functions = byName(built.jobs, 'AWS::Lambda::Function', 'FunctionName');

  it('runs one container-image function per target, from the staged Dockerfile, on arm64', () => {
    const main = functions.get('shop-backup-main')!;
    const cache = functions.get('shop-backup-cache')!;
    for (const fn of [main, cache]) {
      expect(fn.PackageType).toBe('Image');
      expect(fn.Architectures).toEqual(['arm64']);
      expect(fn.ImageConfig).toEqual({ Command: ['handler.handler'] });
      expect(fn.Timeout).toBe(900);
    }
    // The image asset is staged (no Docker needed at synth): the filtered repository root as build
    // context, docker/backup/Dockerfile, arm64.
    const assembly = built.app.app.synth();
    const manifests = assembly.artifacts.filter(
      (a): a is AssetManifestArtifact =>
        a instanceof AssetManifestArtifact && a.id.startsWith(built.app.jobs.artifactId),
    );
    const images = manifests.flatMap((m) =>
      Object.values(
        (JSON.parse(readFileSync(m.file, 'utf8')) as { dockerImages?: Record<string, DockerImageEntry> })
          .dockerImages ?? {},
      ),
    );
    expect(images.length).toBe(1); // one image for every backup function
    const source = images[0]!.source;
    expect(source.dockerFile).toBe('docker/backup/Dockerfile');
    expect(source.platform).toBe('linux/arm64');
    const staged = join(assembly.directory, source.directory);
    expect(existsSync(join(staged, 'docker/backup/Dockerfile'))).toBe(true);
    expect(existsSync(join(staged, 'lambdas/backup/retention.ts'))).toBe(true);
    // .dockerignore keeps the context small: no node_modules, tests or cloud assemblies.
    expect(existsSync(join(staged, 'node_modules'))).toBe(false);
    expect(existsSync(join(staged, 'test'))).toBe(false);
  });

  it('gives each function 1 vCPU of memory (1,769 MB) unless the target sets memoryMb', () => {
    expect(BACKUP_LAMBDA_MEMORY_MB).toBe(1769);
    expect(functions.get('shop-backup-main')?.MemorySize).toBe(1769);
    const sized = build({ targets: [{ ...TARGETS[0], memoryMb: 3008 }] });
    const fn = byName(sized.jobs, 'AWS::Lambda::Function', 'FunctionName').get('shop-backup-main');
    expect(fn?.MemorySize).toBe(3008);
  });

  it('passes names and settings, never secret values', () => {
    const env = (functions.get('shop-backup-main')!.Environment as { Variables: Record<string, unknown> })
      .Variables;
    // The contract of lambdas/backup/env.ts, parsed back exactly as the job does.
    const parsed = backupEnv.read(env as Record<string, string>);
    expect(parsed.target.name).toBe('main');
    expect(parsed.target.postgres?.secret).toBe(PG_SECRET);
    expect(parsed.target.verify?.secret).toBe('prod/shop/scratch');
    expect(parsed.retention).toEqual({ daily: 7, weekly: 4, monthly: 3 });
    expect(parsed.timeZone).toBe('Europe/Berlin');
    expect(parsed.root).toBe('backups');
    expect(parsed.objectLock).toBeUndefined();
    expect(env.BACKUP_BUCKET_PREFIX).toBe('backups/main/');
    expect(env.BACKUP_KMS_KEY_ID).toBeDefined();
    expect(JSON.stringify(env)).not.toMatch(/password/i);
  });

  it('schedules each target at its own time in the project time zone, plus the monthly verify', () => {
    const schedules = byName(built.jobs, 'AWS::Scheduler::Schedule', 'Name');
    const main = schedules.get('shop-backup-main-backup')!;
    expect(main.ScheduleExpression).toBe('cron(0 2 * * ? *)');
    expect(main.ScheduleExpressionTimezone).toBe('Europe/Berlin');
    expect(JSON.parse((main.Target as { Input: string }).Input)).toEqual({
      schedule: 'backup',
      action: 'backup',
      target: 'main',
    });
    expect(schedules.get('shop-backup-cache-backup')!.ScheduleExpression).toBe('cron(30 3 * * ? *)');
    const verify = schedules.get('shop-backup-main-verify')!;
    expect(verify.ScheduleExpression).toBe('cron(0 5 1 * ? *)');
    expect(JSON.parse((verify.Target as { Input: string }).Input).action).toBe('verify');
    expect(schedules.has('shop-backup-cache-verify')).toBe(false);
    // Retry policy and DLQ on every schedule.
    for (const s of [main, verify]) {
      expect((s.Target as Props).RetryPolicy).toEqual({
        MaximumEventAgeInSeconds: 7200,
        MaximumRetryAttempts: 1,
      });
      expect((s.Target as Props).DeadLetterConfig).toBeDefined();
    }
  });

  it('may write only under its own prefix and can never delete', () => {
    const statements = statementsOf(built.jobs, /BackupscacheFunctionRole|Backups.*cache.*Role/i);
    const cache = statementsOf(built.jobs, /TargetcacheFunctionRole/);
    const all = cache.length > 0 ? cache : statements;
    const actions = actionsOf(all);
    expect(actions).toEqual(
      expect.arrayContaining([
        's3:PutObject',
        's3:PutObjectTagging',
        's3:AbortMultipartUpload',
        's3:ListMultipartUploadParts',
        's3:ListBucket',
      ]),
    );
    expect(actions.filter((a) => /Delete|PutLifecycle|PutBucket|BypassGovernance|s3:\*/.test(a))).toEqual([]);
    // Without verify it cannot even read the backups back.
    expect(actions).not.toContain('s3:GetObject');
    // Object statements name only backups/cache/*; listing is conditioned on that prefix.
    for (const s of all) {
      const acts = Array.isArray(s.Action) ? s.Action : [s.Action];
      if (acts.some((a) => a.startsWith('s3:Put') || a.startsWith('s3:Abort'))) {
        expect(JSON.stringify(s.Resource)).toMatch(/\/backups\/cache\/\*"/);
      }
      if (acts.includes('s3:ListBucket')) {
        expect(s.Condition).toEqual({ StringLike: { 's3:prefix': ['backups/cache/*'] } });
      }
    }
    // Secrets: the target's own, by name, and no other.
    const secretResources = all
      .filter((s) => actionsOf([s]).includes('secretsmanager:GetSecretValue'))
      .map((s) => JSON.stringify(s.Resource));
    expect(secretResources.length).toBe(1);
    expect(secretResources[0]).toContain('prod/shop/redis');
  });

  it('lets a target with verify read its own prefix (and still not delete)', () => {
    const actions = actionsOf(statementsOf(built.jobs, /TargetmainFunctionRole/));
    expect(actions).toContain('s3:GetObject');
    expect(actions.filter((a) => a.includes('Delete'))).toEqual([]);
  });

  it("has the three alarms: failed (Lambda Errors, no -backup-failed), too old (zero-filled, missing data breaching), verify failed; the DLQ is the jobs' shared one", () => {
    const alarms = byName(built.jobs, 'AWS::CloudWatch::Alarm', 'AlarmName');
    // the core throws after BackupFailed 1, so Lambda Errors pages for every failed backup (and for a
    // timeout the core cannot report): a -backup-failed alarm would page for the same runs
    expect(alarms.has('shop-backup-main-backup-failed')).toBe(false);
    const failed = alarms.get('shop-backup-main-failed')!;
    expect(failed).toMatchObject({
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      // a failed night stays in ALARM until the next run's period reports 0 errors
      TreatMissingData: 'ignore',
    });
    // the page names what failed: the backup (and, with verify, its restore test)
    expect(decodeAlarmDescription(String(failed.AlarmDescription)).summary).toBe(
      "backup of main or its restore test failed (the backup-main job's log says which and why)",
    );
    expect(
      decodeAlarmDescription(String(alarms.get('shop-backup-cache-failed')?.AlarmDescription)).summary,
    ).toBe("backup of cache failed (the backup-cache job's log says why)");
    const old = alarms.get('shop-backup-main-too-old')!;
    // hourly successes with 0 for every hour without one (FILL), so 26 empty hours alarm on time
    expect(old.Metrics).toEqual([
      expect.objectContaining({ Expression: 'FILL(m, 0)', ReturnData: true }),
      expect.objectContaining({
        Id: 'm',
        ReturnData: false,
        MetricStat: expect.objectContaining({
          Metric: expect.objectContaining({ MetricName: 'BackupSucceeded', Namespace: 'Nightshift' }),
          Period: 3600,
          Stat: 'Sum',
        }),
      }),
    ]);
    expect(old).toMatchObject({
      EvaluationPeriods: 26,
      DatapointsToAlarm: 26,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    expect(alarms.get('shop-backup-main-verify-failed')).toMatchObject({
      MetricName: 'BackupVerified',
      Statistic: 'Minimum',
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'ignore',
    });
    expect(alarms.has('shop-backup-cache-verify-failed')).toBe(false);
    expect(alarms.has('shop-backup-main-dlq')).toBe(false);
    expect(alarms.get('shop-jobs-dlq')).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
    });
    const meta = decodeAlarmDescription(String(old.AlarmDescription));
    expect(meta?.meta?.severity).toBe('high');
    expect(meta?.meta?.target).toBe('backup-main');
  });

  it('follows backups.maxAge in the staleness alarm', () => {
    const { jobs } = build({ maxAge: '50h' });
    expect(byName(jobs, 'AWS::CloudWatch::Alarm', 'AlarmName').get('shop-backup-main-too-old')).toMatchObject(
      {
        EvaluationPeriods: 50,
      },
    );
  });

  it('runs in the VPC when config.network is set', () => {
    const { jobs } = build({}, { network: NETWORK });
    const fn = byName(jobs, 'AWS::Lambda::Function', 'FunctionName').get('shop-backup-main')!;
    expect(fn.VpcConfig).toMatchObject({
      SubnetIds: NETWORK.subnetIds,
      SecurityGroupIds: NETWORK.securityGroupIds,
    });
  });

  it('is clean under cdk-nag', () => {
    expect(nagFindings(built.app.jobs).filter((f) => /Backups/.test(f.resource))).toEqual([]);
  });
});

describe('Backups (fargate)', () => {
  const targets = [
    {
      name: 'big',
      runtime: 'fargate',
      memoryMb: 4096,
      postgres: { secret: PG_SECRET },
      verify: { secret: 'prod/shop/scratch' },
    },
  ];
  const built = build({ targets }, { network: NETWORK });

  it('runs the same image as a Fargate task on the same schedule, in the configured subnets', () => {
    const tasks = byName(built.jobs, 'AWS::ECS::TaskDefinition', 'Family');
    const backup = tasks.get('shop-backup-big-backup')!;
    expect(backup).toMatchObject({
      Cpu: '1024',
      Memory: '4096',
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
    });
    const container = (backup.ContainerDefinitions as Props[])[0]!;
    expect(container.EntryPoint).toEqual(['node', '--initial-old-space-size=64', '/var/task/task.mjs']);
    expect(container.Command).toEqual(['backup']);
    expect(JSON.stringify(container.LogConfiguration)).toContain('awslogs');
    expect((tasks.get('shop-backup-big-verify')!.ContainerDefinitions as Props[])[0]!.Command).toEqual([
      'verify',
    ]);

    const schedule = byName(built.jobs, 'AWS::Scheduler::Schedule', 'Name').get('shop-backup-big-backup')!;
    expect(schedule.ScheduleExpression).toBe('cron(0 2 * * ? *)');
    const target = schedule.Target as Props;
    expect(target.EcsParameters).toMatchObject({
      LaunchType: 'FARGATE',
      NetworkConfiguration: {
        AwsvpcConfiguration: {
          AssignPublicIp: 'DISABLED',
          Subnets: NETWORK.subnetIds,
          SecurityGroups: NETWORK.securityGroupIds,
        },
      },
    });
    expect(target.DeadLetterConfig).toBeDefined();
    // No Lambda function for a fargate target.
    expect(byName(built.jobs, 'AWS::Lambda::Function', 'FunctionName').has('shop-backup-big')).toBe(false);
    built.jobs.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/nightshift/shop/backup-big',
      RetentionInDays: Match.anyValue(),
    });
  });

  it('gives the task role the same write-only access to its own prefix', () => {
    const statements = statementsOf(built.jobs, /TaskRole/);
    const actions = actionsOf(statements);
    expect(actions).toEqual(
      expect.arrayContaining(['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListBucket']),
    );
    expect(actions.filter((a) => a.includes('Delete'))).toEqual([]);
    const listing = statements.find((s) => actionsOf([s]).includes('s3:ListBucket'))!;
    expect(listing.Condition).toEqual({ StringLike: { 's3:prefix': ['backups/big/*'] } });
  });

  it("has the same metric alarms plus -backup-failed; its schedule events go to the jobs' shared DLQ", () => {
    const alarms = byName(built.jobs, 'AWS::CloudWatch::Alarm', 'AlarmName');
    for (const name of ['backup-failed', 'too-old', 'verify-failed']) {
      expect(alarms.has(`shop-backup-big-${name}`), name).toBe(true);
    }
    expect(alarms.has('shop-jobs-dlq')).toBe(true);
  });

  it('refuses runtime fargate without config.network (at config validation)', () => {
    expect(() => build({ targets })).toThrow(/fargate tasks run in a VPC/);
  });

  it('is clean under cdk-nag', () => {
    expect(nagFindings(built.app.jobs).filter((f) => /Backups/.test(f.resource))).toEqual([]);
  });

  it('sizes tasks to the smallest valid Fargate combination with at least 1 vCPU', () => {
    expect(fargateSize(512)).toEqual({ cpu: 1024, memoryLimitMiB: 2048 });
    expect(fargateSize(4096)).toEqual({ cpu: 1024, memoryLimitMiB: 4096 });
    expect(fargateSize(6000)).toEqual({ cpu: 1024, memoryLimitMiB: 6144 });
    expect(fargateSize(10240)).toEqual({ cpu: 2048, memoryLimitMiB: 10240 });
  });
});
