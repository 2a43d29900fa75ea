import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { dayWindow } from '../../../lambdas/log-archive/day';
import { fakeLogs, syntheticEvents } from '../../lambdas/log-archive/fake-logs';
import { runCliInProcess } from '../../support/cli';
import { withS3 } from '../../support/services';

const s3 = withS3();
const DATE = '2025-03-14';
const WINDOW = dayWindow(DATE, 'UTC');
let configFile: string;

beforeAll(async () => {
  await s3()
    .client()
    .send(new CreateBucketCommand({ Bucket: 'cli-logs' }));
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-cli-logs-'));
  configFile = join(dir, 'nightshift.config.yaml');
  writeFileSync(
    configFile,
    [
      'project: shop',
      'region: us-east-1',
      'timezone: UTC',
      'alerts:',
      '  levels:',
      '    - { name: team, email: [team@example.com] }',
      'logArchive:',
      '  groups:',
      '    - { name: /app/web }',
      '    - { name: /app/gone }',
    ].join('\n'),
  );
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
});
afterAll(() => {
  vi.unstubAllEnvs();
});

let fake: ReturnType<typeof fakeLogs> | undefined;
afterEach(() => {
  fake?.mock.restore();
  vi.restoreAllMocks();
});

function cli(...args: string[]) {
  return runCliInProcess('--config', configFile, ...args);
}

describe('nightshift archive-logs and logs search', () => {
  it('archives a day (a missing group fails with exit 1, the other is archived) and searches it back', async () => {
    const events = syntheticEvents(400, WINDOW.startMs, WINDOW.endMs, 2);
    events[10] = { ...events[10]!, message: 'ERROR card declined for order 42' };
    fake = fakeLogs([{ name: '/app/web', events }], { pageSize: 50 });
    const common = ['--bucket', 'cli-logs', '--endpoint', s3().endpoint];

    const archived = await cli('archive-logs', '--date', DATE, ...common, '--json');
    expect(archived.code).toBe(1);
    const report = JSON.parse(archived.stdout) as {
      groups: { group: string; outcome: string; events: number; error?: string }[];
    };
    expect(report.groups).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ group: '/app/web', outcome: 'complete', events: 400 }),
        expect.objectContaining({ group: '/app/gone', outcome: 'failed' }),
      ]),
    );
    expect(archived.stderr).toMatch(/\/app\/web: complete — 400 events/);

    const found = await cli(
      'logs',
      'search',
      '/app/web',
      '--date',
      DATE,
      '--grep',
      'card declined',
      ...common,
    );
    expect(found.code).toBe(0);
    expect(found.stdout.trim().split('\n')).toEqual([
      `${new Date(events[10]!.timestamp).toISOString()}  ${events[10]!.stream}  ERROR card declined for order 42`,
    ]);
    expect(found.stderr).toMatch(/1 event\(s\) from \/app\/web/);

    const all = await cli('logs', 'search', '/app/web', '--date', DATE, ...common, '--json');
    expect(all.stdout.trim().split('\n')).toHaveLength(400);
  });

  it('explains a bad date and a bucket it cannot name', async () => {
    const bad = await cli('archive-logs', '--date', '2025-13-01', '--bucket', 'x');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/YYYY-MM-DD/);
    const noBucket = await cli('logs', 'search', '/app/web', '--date', DATE);
    expect(noBucket.code).toBe(2);
    expect(noBucket.stderr).toMatch(/set `account` in the config or pass --bucket/);
  });
});
