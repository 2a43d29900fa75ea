import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { MemoryLog } from '../../../lambdas/shared/log';
import { MemoryMetrics } from '../../../lambdas/shared/metrics';
import { configSchema } from '../../../lib/config/schema';
import { logArchiveJob } from '../../../lib/local/log-archive-job';
import { LOCAL_JOBS } from '../../../lib/local/registry';
import { withS3 } from '../../support/services';

const s3 = withS3();

describe('log-archive local job', () => {
  it('is registered and archives a synthetic day for the configured groups, then reads it back', async () => {
    const client = s3().client();
    await client.send(new CreateBucketCommand({ Bucket: 'demo-logs' }));
    const config = configSchema.parse({
      project: 'demo',
      region: 'us-east-1',
      timezone: 'Europe/Berlin',
      alerts: { levels: [{ name: 'team', email: ['team@example.com'] }] },
      logArchive: {
        groups: [{ name: '/demo/api' }, { prefix: '/demo/worker-' }, { name: '/big', mode: 'export-task' }],
      },
    });
    expect(LOCAL_JOBS).toContain(logArchiveJob);
    expect(logArchiveJob.enabled(config)).toBe(true);
    expect(logArchiveJob.enabled({ ...config, logArchive: undefined })).toBe(false);

    const report = await logArchiveJob.run({
      config,
      s3: client,
      buckets: { backups: 'demo-backups', logs: 'demo-logs' },
      secrets: { read: async () => ({}) } as never,
      log: new MemoryLog(),
      metrics: new MemoryMetrics(),
      alarms: [],
      now: () => new Date('2025-03-15T08:00:00Z'),
      progress: () => {},
    });

    expect(report.ok).toBe(true);
    expect(report.lines.join('\n')).toMatch(/\/demo\/api {2}complete {2}2000 events/);
    expect(report.lines.join('\n')).toMatch(/\/demo\/worker-app {2}complete/);
    expect(report.lines.join('\n')).toMatch(/read back \/demo\/api: 2000 events, [1-9]\d* ERROR lines/);
    expect(report.lines.join('\n')).toMatch(/logs\/_manifests\/2025-03-14\.json/);
  });
});
