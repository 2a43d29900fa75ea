/**
 * The LocalJob `nightshift run` executes: enabled only with targets, one line per target, ok only when
 * every target is up.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryLog } from '../../../lambdas/shared/log';
import { MemoryMetrics } from '../../../lambdas/shared/metrics';
import { formatLatency, healthCheckJob } from '../../../lib/local/health-check-job';
import { freePort } from '../../../lib/local/ports';
import { configWith, fakeSecrets } from '../../lambdas/health-check/support';

let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function context(config: ReturnType<typeof configWith>) {
  const progress: string[] = [];
  return {
    progress,
    context: {
      config,
      s3: {} as S3Client,
      buckets: { backups: 'b', logs: 'l' },
      secrets: fakeSecrets({}),
      log: new MemoryLog(),
      metrics: new MemoryMetrics(),
      alarms: [],
      now: () => new Date(),
      progress: (line: string) => progress.push(line),
    },
  };
}

describe('healthCheckJob', () => {
  it('is enabled only when there are targets', () => {
    expect(healthCheckJob.enabled(configWith([]))).toBe(false);
    expect(healthCheckJob.enabled(configWith([{ name: 'web', http: { url: `${base}/` } }]))).toBe(true);
  });

  it('reports one line per target and fails when one is down', async () => {
    const closed = await freePort();
    const { context: ctx, progress } = context(
      configWith([
        { name: 'web', http: { url: `${base}/` } },
        { name: 'cache', tcp: { host: '127.0.0.1', port: closed } },
      ]),
    );

    const report = await healthCheckJob.run(ctx);

    expect(report.job).toBe('health-check');
    expect(report.ok).toBe(false);
    expect(report.lines[0]).toMatch(/^1 up, 1 down in \d+ ms$/);
    expect(report.lines[1]).toMatch(/^web {2}http {2}up {2}\d+ ms {2}200 OK$/);
    expect(report.lines[2]).toBe(`cache  tcp  DOWN  —  ECONNREFUSED 127.0.0.1:${closed}`);
    expect(progress).toEqual(['checking 2 health check targets…']);
    expect(ctx.metrics.values('Up', { Target: 'web' })).toEqual([1]);
    expect(ctx.metrics.values('Up', { Target: 'cache' })).toEqual([0]);
  });

  it('formats latency for people', () => {
    expect(formatLatency(undefined)).toBe('—');
    expect(formatLatency(41.6)).toBe('42 ms');
    expect(formatLatency(1340)).toBe('1.3 s');
  });
});
