import { createHash } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dayWindow } from '../../../lambdas/log-archive/day';
import { check, type LogArchiveDeps, MIN_OBJECT_BYTES, run } from '../../../lambdas/log-archive/log-archive';
import { type Manifest, manifestKey, readManifest } from '../../../lambdas/log-archive/manifest';
import { searchArchive } from '../../../lambdas/log-archive/search';
import { cloudWatchLogsSource, memoryLogsSource } from '../../../lambdas/log-archive/source';
import { MemoryLog } from '../../../lambdas/shared/log';
import { MemoryMetrics } from '../../../lambdas/shared/metrics';
import { logArchiveSchema } from '../../../lib/config/schema';
import { withS3 } from '../../support/services';
import { eventHashes, type FakeGroup, fakeLogs, syntheticEvents } from './fake-logs';

const s3Server = withS3();
const DATE = '2025-03-14';
const TZ = 'Europe/Berlin';
const WINDOW = dayWindow(DATE, TZ);
// 01:30 Berlin on the next day: "yesterday" is DATE
const NOW = new Date(Date.UTC(2025, 2, 15, 0, 30));

let s3: S3Client;
let bucketNo = 0;
beforeAll(() => {
  s3 = s3Server().client();
});

async function freshBucket(): Promise<string> {
  const bucket = `logs-${++bucketNo}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

let active: ReturnType<typeof fakeLogs> | undefined;
afterEach(() => {
  active?.mock.restore();
  active = undefined;
});

function setup(groups: FakeGroup[], selectors: unknown[], options: Parameters<typeof fakeLogs>[1] = {}) {
  active = fakeLogs(groups, options);
  const metrics = new MemoryMetrics();
  const log = new MemoryLog();
  const sleeps: number[] = [];
  const config = logArchiveSchema.parse({ groups: selectors });
  const deps = (bucket: string, extra: Partial<LogArchiveDeps> = {}): LogArchiveDeps => ({
    source: cloudWatchLogsSource(active!.client),
    s3,
    bucket,
    config,
    timeZone: TZ,
    project: 'shop',
    log,
    metrics,
    now: () => NOW,
    partTargetBytes: MIN_OBJECT_BYTES,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...extra,
  });
  return { fake: active, metrics, log, sleeps, deps };
}

async function readBack(bucket: string, group: string, grep?: string) {
  const out = [];
  for await (const e of searchArchive({ s3, bucket, group, date: DATE, grep })) out.push(e);
  return out;
}

async function manifestOf(bucket: string): Promise<Manifest> {
  const stored = await readManifest(s3, bucket, manifestKey('logs/', DATE));
  if (!stored) throw new Error('no manifest');
  return stored.manifest;
}

async function objectKeys(bucket: string, prefix = 'logs/'): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key ?? '').sort();
}

async function objectBytes(bucket: string, key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

describe('log archive core against s3rver', () => {
  it('archives a day read over many pages and streams: every event once, parts ≥ 128 KiB, hashes recorded', async () => {
    // Prepare: 6000 events over 7 streams, 97 per page; events just outside the day are not archived
    const inDay = syntheticEvents(6000, WINDOW.startMs, WINDOW.endMs, 7);
    const outside = [
      { timestamp: WINDOW.startMs - 1, stream: 's', message: 'day before' },
      { timestamp: WINDOW.endMs, stream: 's', message: 'day after' },
    ];
    const group = '/aws/lambda/api';
    const { fake, deps, metrics } = setup(
      [{ name: group, events: [outside[0]!, ...inDay, outside[1]!] }],
      [{ name: group }],
      { pageSize: 97 },
    );
    const bucket = await freshBucket();

    // Act
    const report = await run(deps(bucket));

    // Assert
    expect(report.status).toBe('archived');
    expect(fake.state.pagesServed).toBe(Math.ceil(6000 / 97));
    const back = await readBack(bucket, group);
    expect(back).toHaveLength(6000);
    expect(eventHashes(back)).toEqual(eventHashes(inDay));
    expect(back.every((e) => /^\d{4}-\d\d-\d\dT.*Z$/.test(e.timestamp))).toBe(true);

    const manifest = await manifestOf(bucket);
    const record = manifest.groups[group]!;
    expect(manifest).toMatchObject({ complete: true, events: 6000, date: DATE, timeZone: TZ });
    expect(record.parts.length).toBeGreaterThanOrEqual(2);
    expect(record.parts.reduce((n, p) => n + p.events, 0)).toBe(6000);
    expect(record.firstTimestamp).toBe(new Date(inDay[0]!.timestamp).toISOString());
    expect(record.lastTimestamp).toBe(new Date(inDay.at(-1)!.timestamp).toISOString());
    expect(await objectKeys(bucket, 'logs/aws/')).toEqual(record.parts.map((p) => p.key));
    expect(record.run).toMatch(/^r\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    expect(record.parts[0]!.key).toBe(`logs/aws/lambda/api/2025/03/14/${record.run}/00001.ndjson.zst`);
    for (const [i, part] of record.parts.entries()) {
      const bytes = await objectBytes(bucket, part.key);
      expect(bytes.length).toBe(part.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(part.sha256);
      if (i < record.parts.length - 1) expect(part.bytes).toBeGreaterThanOrEqual(MIN_OBJECT_BYTES);
    }
    expect(metrics.values('LogEventsArchived')).toEqual([6000]);
  });

  it('retries throttled FilterLogEvents calls with jittered backoff and counts the throttles', async () => {
    const events = syntheticEvents(500, WINDOW.startMs, WINDOW.endMs, 3);
    // two throttles in a row before every successful call
    const { fake, deps, metrics, sleeps } = setup([{ name: 'app', events }], [{ name: 'app' }], {
      pageSize: 50,
      throttle: (n) => n % 3 !== 0,
    });
    const bucket = await freshBucket();

    const report = await run(deps(bucket));

    expect(report.status).toBe('archived');
    expect(fake.state.throttled).toBe(20);
    expect(report.throttles).toBe(20);
    expect(metrics.values('LogArchiveThrottles')).toEqual([20]);
    // full jitter with random()=0.5: half of 200 ms, then half of 400 ms
    expect(sleeps).toEqual(Array.from({ length: 10 }, () => [100, 200]).flat());
    expect(eventHashes(await readBack(bucket, 'app'))).toEqual(eventHashes(events));
  });

  it('fails a group whose throttling does not stop, and still archives the others', async () => {
    const events = syntheticEvents(50, WINDOW.startMs, WINDOW.endMs, 1);
    const { deps } = setup(
      [
        { name: 'busy', events },
        { name: 'calm', events },
      ],
      [{ name: 'busy' }, { name: 'calm' }],
      { throttle: (n) => n <= 8 },
    );
    const bucket = await freshBucket();

    const report = await run(deps(bucket));

    expect(report.groups.find((g) => g.group === 'busy')).toMatchObject({ outcome: 'failed' });
    expect(report.groups.find((g) => g.group === 'busy')?.error).toMatch(/Rate exceeded.*busy/);
    expect(report.groups.find((g) => g.group === 'calm')).toMatchObject({ outcome: 'complete', events: 50 });
    expect(report.status).toBe('incomplete');
  });

  it('records an empty day as complete with 0 events and writes no data object', async () => {
    const { deps } = setup(
      [{ name: 'quiet', events: syntheticEvents(10, WINDOW.endMs + 1000, WINDOW.endMs + 60_000, 1) }],
      [{ name: 'quiet' }],
    );
    const bucket = await freshBucket();

    const report = await run(deps(bucket));

    expect(report).toMatchObject({ status: 'archived', events: 0 });
    const manifest = await manifestOf(bucket);
    expect(manifest).toMatchObject({ complete: true, events: 0, bytes: 0 });
    expect(manifest.groups.quiet).toMatchObject({ status: 'complete', events: 0, parts: [] });
    expect(await objectKeys(bucket)).toEqual([manifestKey('logs/', DATE)]);
    expect(await readBack(bucket, 'quiet')).toEqual([]);
  });

  it('reports a group that does not exist with a clear error and archives the others', async () => {
    const events = syntheticEvents(120, WINDOW.startMs, WINDOW.endMs, 2);
    const { deps, log } = setup(
      [{ name: '/app/web', events }],
      [{ name: '/app/missing' }, { name: '/app/web' }],
    );
    const bucket = await freshBucket();

    const report = await run(deps(bucket));

    const missing = report.groups.find((g) => g.group === '/app/missing');
    expect(missing?.outcome).toBe('failed');
    expect(missing?.error).toMatch(/log group "\/app\/missing" does not exist.*logArchive\.groups/);
    expect(report.groups.find((g) => g.group === '/app/web')).toMatchObject({
      outcome: 'complete',
      events: 120,
    });
    expect(report.status).toBe('incomplete');
    const manifest = await manifestOf(bucket);
    expect(manifest.complete).toBe(false);
    expect(manifest.groups['/app/missing']).toMatchObject({ status: 'failed' });
    // the count is in the run's log line (no metric: the incomplete day is what -late pages for)
    expect(log.records.find((r) => r.message === 'log archive run finished')?.extra).toMatchObject({
      failedGroups: 1,
    });
  });

  it('resolves groups by prefix and by tag across DescribeLogGroups pages', async () => {
    const e = (seed: number) => syntheticEvents(5, WINDOW.startMs, WINDOW.endMs, 1, seed);
    const { deps } = setup(
      [
        { name: '/ecs/a', events: e(1) },
        { name: '/ecs/b', events: e(2) },
        { name: '/ecs/c', events: e(3) },
        { name: '/rds/x', events: e(4), tags: { archive: 'yes' } },
        { name: '/rds/y', events: e(5), tags: { archive: 'no' } },
      ],
      [{ prefix: '/ecs/' }, { tag: { key: 'archive', value: 'yes' } }],
    );
    const bucket = await freshBucket();

    const report = await run(deps(bucket));

    expect(report.groups.map((g) => g.group).sort()).toEqual(['/ecs/a', '/ecs/b', '/ecs/c', '/rds/x']);
    expect(report.events).toBe(20);
  });

  it('checkpoints near the deadline and resumes until done: nothing lost, nothing duplicated', async () => {
    // Prepare: two groups, small pages; each invocation may read only 40 pages before its deadline
    const a = syntheticEvents(8000, WINDOW.startMs, WINDOW.endMs, 5, 11);
    const b = syntheticEvents(5000, WINDOW.startMs, WINDOW.endMs, 3, 12);
    const { deps, fake } = setup(
      [
        { name: 'alpha', events: a },
        { name: 'beta', events: b },
      ],
      [{ name: 'alpha' }, { name: 'beta' }],
      { pageSize: 100 },
    );
    const bucket = await freshBucket();
    const statuses: string[] = [];
    const partsAtStop: number[] = [];

    // Act: invoke until the day is archived, as the handler's self re-invocation does
    for (let invocation = 0; invocation < 50; invocation++) {
      const budget = fake.state.filterCalls + 40;
      const report = await run(
        deps(bucket, { remainingMs: () => (fake.state.filterCalls >= budget ? 1_000 : 900_000) }),
      );
      statuses.push(report.status);
      if (!report.continue) break;
      const m = await manifestOf(bucket);
      partsAtStop.push(Object.values(m.groups).reduce((n, g) => n + g.parts.length, 0));
      expect(m.complete).toBe(false);
    }

    // Assert: several invocations, checkpoints made progress, every event exactly once
    expect(statuses.at(-1)).toBe('archived');
    expect(statuses.filter((s) => s === 'continue').length).toBeGreaterThanOrEqual(3);
    expect(partsAtStop.some((n) => n > 0)).toBe(true);
    const manifest = await manifestOf(bucket);
    expect(manifest.events).toBe(13_000);
    expect(manifest.invocations).toBe(statuses.length);
    const backA = await readBack(bucket, 'alpha');
    const backB = await readBack(bucket, 'beta');
    expect(backA).toHaveLength(8000);
    expect(backB).toHaveLength(5000);
    expect(eventHashes(backA)).toEqual(eventHashes(a));
    expect(eventHashes(backB)).toEqual(eventHashes(b));
    // no unlisted (aborted or stray) objects
    const listed = Object.values(manifest.groups).flatMap((g) => g.parts.map((p) => p.key));
    expect(await objectKeys(bucket, 'logs/alpha/')).toEqual(manifest.groups.alpha!.parts.map((p) => p.key));
    expect(listed.length).toBeGreaterThanOrEqual(3);
  });

  it('starts the group over when the checkpoint token has expired, without duplicates', async () => {
    const events = syntheticEvents(6000, WINDOW.startMs, WINDOW.endMs, 4, 21);
    let expireBefore = 0;
    const { deps, fake } = setup([{ name: 'app', events }], [{ name: 'app' }], {
      pageSize: 100,
      expireTokensBefore: () => expireBefore,
    });
    const bucket = await freshBucket();
    const first = await run(
      deps(bucket, { remainingMs: () => (fake.state.filterCalls >= 40 ? 0 : 900_000) }),
    );
    expect(first.continue).toBe(true);
    expect((await manifestOf(bucket)).groups.app!.parts.length).toBeGreaterThan(0);

    expireBefore = fake.state.filterCalls + 1; // every token issued so far has expired
    const second = await run(deps(bucket));

    expect(second.status).toBe('archived');
    expect(eventHashes(await readBack(bucket, 'app'))).toEqual(eventHashes(events));
    const manifest = await manifestOf(bucket);
    // the restart wrote under a new run; the abandoned run's parts stay (no delete) and are not read
    const current = `logs/app/2025/03/14/${manifest.groups.app!.run}/`;
    expect(await objectKeys(bucket, current)).toEqual(manifest.groups.app!.parts.map((p) => p.key));
    const abandoned = (await objectKeys(bucket, 'logs/app/')).filter((k) => !k.startsWith(current));
    expect(abandoned.length).toBeGreaterThan(0);
  });

  it('skips a day that is already archived, and archives it again with force under a new run', async () => {
    const events = syntheticEvents(3000, WINDOW.startMs, WINDOW.endMs, 2, 31);
    const { deps, fake } = setup([{ name: 'app', events }], [{ name: 'app' }], { pageSize: 100 });
    const bucket = await freshBucket();
    await run(deps(bucket));
    const partsBefore = (await manifestOf(bucket)).groups.app!.parts.length;
    expect(partsBefore).toBeGreaterThan(1);
    const callsAfterFirst = fake.state.filterCalls;

    const skipped = await run(deps(bucket));
    expect(skipped.status).toBe('skipped');
    expect(fake.state.filterCalls).toBe(callsAfterFirst);

    // force with a large part target: one part now, under a new run; the old run's parts are not read
    const firstRun = (await manifestOf(bucket)).groups.app!.run;
    const forced = await run(deps(bucket, { partTargetBytes: 64 * 1024 * 1024 }), { force: true });
    expect(forced.status).toBe('archived');
    expect(forced.events).toBe(3000);
    const manifest = await manifestOf(bucket);
    const secondRun = manifest.groups.app!.run;
    expect(secondRun).not.toBe(firstRun);
    expect(manifest.groups.app!.parts.map((p) => p.key)).toEqual([
      `logs/app/2025/03/14/${secondRun}/00001.ndjson.zst`,
    ]);
    expect(await objectKeys(bucket, `logs/app/2025/03/14/${firstRun}/`)).toHaveLength(partsBefore);
    expect(eventHashes(await readBack(bucket, 'app'))).toEqual(eventHashes(events));

    // without the manifest, search lists the day and reads only the newest run: still no duplicates
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: manifestKey('logs/', DATE) }));
    expect(eventHashes(await readBack(bucket, 'app'))).toEqual(eventHashes(events));
  });

  it('reads an archive back through the search core, filtered', async () => {
    const events = [
      { timestamp: WINDOW.startMs + 1000, stream: 'web-1', message: 'GET /health 200' },
      { timestamp: WINDOW.startMs + 2000, stream: 'web-2', message: 'ERROR payment "declined"\nstack: x' },
      { timestamp: WINDOW.startMs + 3000, stream: 'web-1', message: 'error: timeout talking to db' },
    ];
    const { deps } = setup([{ name: '/app/web', events }], [{ name: '/app/web' }]);
    const bucket = await freshBucket();
    await run(deps(bucket));

    const matches = await readBack(bucket, '/app/web', 'ERROR');
    expect(matches).toEqual([
      {
        timestamp: new Date(WINDOW.startMs + 2000).toISOString(),
        stream: 'web-2',
        message: events[1]!.message,
      },
    ]);
    expect(await readBack(bucket, '/app/web', '"declined"')).toHaveLength(1);
    const insensitive = [];
    for await (const e of searchArchive({
      s3,
      bucket,
      group: '/app/web',
      date: DATE,
      grep: 'error',
      ignoreCase: true,
    })) {
      insensitive.push(e.message);
    }
    expect(insensitive).toEqual([events[1]!.message, events[2]!.message]);
    await expect(readBack(bucket, '/app/other')).rejects.toThrow(/no archive of log group "\/app\/other"/);
  });

  it('works with the in-memory source of the local demo', async () => {
    const events = syntheticEvents(300, WINDOW.startMs, WINDOW.endMs, 3, 41);
    const { deps } = setup([], [{ prefix: '/demo/' }]);
    const bucket = await freshBucket();
    const report = await run(deps(bucket, { source: memoryLogsSource([{ name: '/demo/api', events }], 40) }));
    expect(report).toMatchObject({ status: 'archived', events: 300 });
    expect(eventHashes(await readBack(bucket, '/demo/api'))).toEqual(eventHashes(events));
  });

  it('deadline check: ArchivedDay is 0 after the deadline while yesterday is missing, 1 once archived', async () => {
    const { deps, metrics } = setup(
      [{ name: 'app', events: syntheticEvents(5, WINDOW.startMs, WINDOW.endMs, 1) }],
      [{ name: 'app' }],
    );
    const bucket = await freshBucket();
    const at = (iso: string) => ({ ...deps(bucket), now: () => new Date(iso) });

    // 05:00 Berlin on 03-15: yesterday is not due yet, the day before is not archived either
    expect(await check(at('2025-03-15T04:00:00Z'))).toMatchObject({ dueDate: '2025-03-13', archived: false });
    // 07:00 Berlin on 03-15: past the 06:00 deadline, 03-14 is due
    expect(await check(at('2025-03-15T06:00:00Z'))).toMatchObject({ dueDate: DATE, archived: false });
    await run(deps(bucket));
    const ok = await check(at('2025-03-15T06:00:00Z'));
    expect(ok).toMatchObject({ dueDate: DATE, archived: true, newestArchived: DATE });
    expect(ok.lagHours).toBe(7);
    expect(metrics.values('ArchivedDay')).toEqual([0, 0, 1]);
    expect(metrics.values('ArchiveLagHours').at(-1)).toBe(7);
  });
});
