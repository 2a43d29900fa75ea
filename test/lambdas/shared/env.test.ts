/**
 * The contracts' writers and readers against each other (lambdas/<job>/env.ts), and the readers' errors.
 * test/lib/env-contract.test.ts checks the same contracts against the synthesized templates.
 */
import { describe, expect, it } from 'vitest';
import { ackLinkEnv, ackLinkEnvironment } from '../../../lambdas/ack-link/env';
import { alertRouterEnv, alertRouterEnvironment } from '../../../lambdas/alert-router/env';
import {
  backupEnv,
  backupEnvironment,
  backupTaskEnv,
  backupTaskEnvironment,
} from '../../../lambdas/backup/env';
import { healthCheckEnv, healthCheckEnvironment } from '../../../lambdas/health-check/env';
import { logArchiveEnv, logArchiveEnvironment } from '../../../lambdas/log-archive/env';
import { MIN_OBJECT_BYTES } from '../../../lambdas/log-archive/log-archive';
import { EnvironmentInvalid } from '../../../lambdas/shared/env';
import { backupsSchema, logArchiveSchema } from '../../../lib/config/schema';

const section = backupsSchema.parse({ targets: [{ name: 'app', postgres: { secret: 'prod/app-db' } }] });
const target = section.targets[0]!;
const backupOptions = {
  project: 'shop',
  timeZone: 'Europe/Berlin',
  retention: section.retention,
  objectLock: section.objectLock,
  target,
  compressionLevel: section.compressionLevel,
};

describe('environment contracts: writer → reader', () => {
  it('health-check', () => {
    const { variables } = healthCheckEnvironment({ project: 'shop', concurrency: 64 });
    expect(healthCheckEnv.read(variables)).toEqual({ project: 'shop', concurrency: 64 });
    expect(() => healthCheckEnv.read({ ...variables, NIGHTSHIFT_HEALTH_CONCURRENCY: 'many' })).toThrow(
      'health-check: environment variable NIGHTSHIFT_HEALTH_CONCURRENCY must be an integer 1–256 — redeploy the Nightshift stack',
    );
  });

  it('alert-router: the settings JSON and the state machine', () => {
    const settings = { project: 'shop', levels: [{ name: 'team' }], severities: {}, aliases: { P1: 'high' } };
    const arn = 'arn:aws:states:eu-west-1:123456789012:stateMachine:shop-escalation';
    const base = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/';
    const { variables } = alertRouterEnvironment({
      settings: JSON.stringify(settings),
      stateMachineArn: arn,
      ackLinkBase: base,
      ackLinkTable: 'shop-nightshift-ack-links',
    });
    expect(alertRouterEnv.read(variables)).toEqual({
      settings,
      stateMachineArn: arn,
      ackLinkBase: base,
      ackLinkTable: 'shop-nightshift-ack-links',
    });
    expect(() =>
      alertRouterEnv.read({ ...variables, NIGHTSHIFT_ACK_LINK_BASE: 'http://example.com/ack' }),
    ).toThrow(/NIGHTSHIFT_ACK_LINK_BASE is not an https:\/\/ base URL ending in "\/"/);
    expect(() => alertRouterEnv.read({ ...variables, NIGHTSHIFT_ALERTS: '{' })).toThrow(
      /NIGHTSHIFT_ALERTS is not valid JSON/,
    );
    expect(() => alertRouterEnv.read({ ...variables, NIGHTSHIFT_ALERTS: '{"project":"shop"}' })).toThrow(
      /NIGHTSHIFT_ALERTS has no project, levels, severities or aliases/,
    );
    const { aliases: _, ...withoutAliases } = settings;
    expect(() =>
      alertRouterEnv.read({ ...variables, NIGHTSHIFT_ALERTS: JSON.stringify(withoutAliases) }),
    ).toThrow(/NIGHTSHIFT_ALERTS has no project, levels, severities or aliases/);
  });

  it('ack-link: the two tables and the time zone', () => {
    const { variables } = ackLinkEnvironment({
      linkTable: 'shop-nightshift-ack-links',
      ackTable: 'shop-nightshift-acks',
      timeZone: 'Europe/Berlin',
    });
    expect(ackLinkEnv.read(variables)).toEqual({
      linkTable: 'shop-nightshift-ack-links',
      ackTable: 'shop-nightshift-acks',
      timeZone: 'Europe/Berlin',
    });
    expect(() => ackLinkEnv.read({ ...variables, NIGHTSHIFT_TIME_ZONE: 'Mars/Olympus' })).toThrow(
      /ack-link: environment variable NIGHTSHIFT_TIME_ZONE is not an IANA time zone/,
    );
  });

  it('log-archive: the part size is read, and export-task groups need the state machine', () => {
    const config = logArchiveSchema.parse({ groups: [{ name: '/ecs/api' }] });
    const bucket = { NIGHTSHIFT_LOG_BUCKET: 'logs-bucket', NIGHTSHIFT_LOG_BUCKET_PREFIX: 'logs/' };
    const written = logArchiveEnvironment({
      project: 'shop',
      timeZone: 'Europe/Berlin',
      config,
      partTargetBytes: MIN_OBJECT_BYTES * 2,
    }).variables;
    expect(logArchiveEnv.read({ ...written, ...bucket })).toMatchObject({
      project: 'shop',
      timeZone: 'Europe/Berlin',
      bucket: 'logs-bucket',
      prefix: 'logs/',
      partTargetBytes: MIN_OBJECT_BYTES * 2,
    });
    expect(() =>
      logArchiveEnv.read({
        ...written,
        ...bucket,
        NIGHTSHIFT_PART_TARGET_BYTES: String(MIN_OBJECT_BYTES - 1),
      }),
    ).toThrow(/NIGHTSHIFT_PART_TARGET_BYTES must be an integer/);
    expect(() => logArchiveEnv.read({ ...written, ...bucket, NIGHTSHIFT_TIME_ZONE: 'Mars/Olympus' })).toThrow(
      /NIGHTSHIFT_TIME_ZONE is not an IANA time zone/,
    );
    const exported = logArchiveEnvironment({
      project: 'shop',
      timeZone: 'UTC',
      config: logArchiveSchema.parse({ groups: [{ name: '/ecs/big', mode: 'export-task' }] }),
    }).variables;
    expect(() => logArchiveEnv.read({ ...exported, ...bucket })).toThrow(
      /NIGHTSHIFT_EXPORT_STATE_MACHINE is not set but a log group uses mode export-task/,
    );
  });

  it('backup: the root comes from the bound prefix, and the compression level has no second default', () => {
    const bucket = { BACKUP_BUCKET: 'b', BACKUP_BUCKET_PREFIX: 'backups/app/' };
    const written = backupEnvironment(backupOptions).variables;
    expect(written.BACKUP_COMPRESSION_LEVEL).toBe('1'); // the schema's default, passed through
    expect(backupEnv.read({ ...written, ...bucket })).toMatchObject({ root: 'backups', compressionLevel: 1 });
    expect(() => backupEnv.read({ ...written, ...bucket, BACKUP_BUCKET_PREFIX: 'backups/other/' })).toThrow(
      'backup: environment variable BACKUP_BUCKET_PREFIX must be "<root>/app/" for target app — redeploy the Nightshift stack',
    );
    const { BACKUP_COMPRESSION_LEVEL: _level, ...noLevel } = written;
    expect(() => backupEnv.read({ ...noLevel, ...bucket })).toThrow(EnvironmentInvalid);
    expect(() => backupEnv.read({ ...noLevel, ...bucket })).toThrow(/BACKUP_COMPRESSION_LEVEL is not set/);
  });

  it('backup task: the Lambda variables plus the time budget', () => {
    // bucket and prefix come from job.bindBucket, as for the Lambda function
    const written: Record<string, string> = {
      ...backupTaskEnvironment({ ...backupOptions, deadlineMs: 3 * 3_600_000 }).variables,
      BACKUP_BUCKET: 'b',
      BACKUP_BUCKET_PREFIX: 'backups/app/',
    };
    expect(backupTaskEnv.read(written)).toMatchObject({
      bucket: 'b',
      root: 'backups',
      deadlineMs: 10_800_000,
    });
    const { NIGHTSHIFT_DEADLINE_MS: _deadline, ...noDeadline } = written;
    expect(() => backupTaskEnv.read(noDeadline)).toThrow(/NIGHTSHIFT_DEADLINE_MS is not set/);
  });

  it('a writer adds NODE_OPTIONS with the contract’s flags', () => {
    expect(backupEnvironment(backupOptions).variables.NODE_OPTIONS).toBe(
      '--enable-source-maps --max-semi-space-size=4',
    );
    expect(Object.keys(healthCheckEnvironment({ project: 'shop', concurrency: 1 }).variables).sort()).toEqual(
      ['NIGHTSHIFT_HEALTH_CONCURRENCY', 'NIGHTSHIFT_PROJECT', 'NODE_OPTIONS'],
    );
  });
});
