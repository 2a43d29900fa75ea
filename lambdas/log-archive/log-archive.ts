/**
 * Log archive core: archives one day of each configured CloudWatch Logs group to S3 as
 * `logs/<group>/<yyyy>/<mm>/<dd>/<part>.ndjson.zst`, one JSON object per line
 * ({"timestamp": ISO, "stream", "message"}), and records the day in a manifest.
 *
 * - Events are read page by page (FilterLogEvents, interleaved across streams) and streamed through
 *   the shared upload pipeline (../shared/stream-writer → stream-upload: parallel zstd frames, SHA-256,
 *   multipart upload aborted and checked on failure): memory stays flat whatever the volume.
 * - Parts are rolled at page boundaries once `partTargetBytes` (≥ 128 KiB) of compressed output is
 *   written, so every object but a group's last one for the day is large enough for lifecycle
 *   transitions. After each completed part the manifest records it together with the token that
 *   continues after it. A run that nears its deadline aborts the part in progress and returns
 *   `continue: true`; the next run resumes from that token: nothing is lost or counted twice.
 * - One failing group (missing, denied, …) is reported and the others continue.
 * - A complete day is skipped unless `force`.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { LogArchiveConfig } from '../../lib/config/schema';
import { formatBytes } from '../shared/format';
import type { Log } from '../shared/log';
import type { MetricsSink } from '../shared/metrics';
import { reasonOf } from '../shared/redact';
import { HEADERS } from '../shared/stream-upload';
import { StreamWriter } from '../shared/stream-writer';
import { withBackoff } from './backoff';
import { addDays, type DayWindow, dayWindow, dayZone, dueDay, previousDay } from './day';
import type { ExportStarter } from './export-task';
import { ARCHIVE_PREFIX, exportPrefix, newRunId, partKey } from './keys';
import {
  type GroupRecord,
  MANIFEST_VERSION,
  type Manifest,
  manifestKey,
  readManifest,
  summarize,
  writeManifest,
} from './manifest';
import { LogArchiveMetric, logArchiveDimensions } from './metrics';
import { LogGroupNotFoundError, type LogsSource, type SourceGroup } from './source';

/**
 * V8 flags of the log archive function (NODE_OPTIONS). The job allocates short-lived strings at a high
 * rate; without limits V8 grows its young generation and keeps the pages committed, and RSS creeps up
 * with volume although the live heap stays ~25-70 MB. With these, peak RSS stays flat (bench/log-archive).
 */
export const LOG_ARCHIVE_NODE_FLAGS = ['--max-semi-space-size=16', '--max-old-space-size=128'] as const;

/** Objects smaller than this are not transitioned by S3 lifecycle rules. */
export const MIN_OBJECT_BYTES = 128 * 1024;

export interface LogArchiveDeps {
  readonly source: LogsSource;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly config: LogArchiveConfig;
  /** config.timezone */
  readonly timeZone: string;
  readonly project: string;
  readonly log: Log;
  readonly metrics: MetricsSink;
  readonly now: () => Date;
  /** Milliseconds left before the invocation is killed (Lambda's getRemainingTimeInMillis). @default unlimited */
  readonly remainingMs?: () => number;
  /** Stop and checkpoint when fewer ms than this remain. @default 60000 */
  readonly safetyMarginMs?: number;
  /** Compressed bytes after which a part is closed (at the next page boundary). @default 8 MiB */
  readonly partTargetBytes?: number;
  /** zstd level. @default 3 */
  readonly compressionLevel?: number;
  /** S3 key prefix. @default "logs/" */
  readonly prefix?: string;
  /** Starts export-task mode groups (Step Functions); without it they are reported as not started. */
  readonly exports?: ExportStarter;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Progress lines (the CLI prints them on stderr). */
  readonly progress?: (line: string) => void;
}

export interface LogArchiveInput {
  /** YYYY-MM-DD. @default the previous day (see day.ts) */
  readonly date?: string | undefined;
  /** Only these groups (exact names; a name outside the config is archived as an extra named group). */
  readonly groups?: readonly string[] | undefined;
  /** Archive again even if the day (or group) is complete; its objects are replaced. */
  readonly force?: boolean | undefined;
}

export type GroupOutcome = 'complete' | 'skipped' | 'failed' | 'in-progress' | 'export-started' | 'firehose';

export interface GroupReport {
  readonly group: string;
  readonly outcome: GroupOutcome;
  readonly events: number;
  readonly bytes: number;
  readonly parts: number;
  readonly error?: string | undefined;
}

export interface LogArchiveReport {
  readonly date: string;
  readonly timeZone: string;
  readonly manifestKey: string;
  /** archived: complete now; skipped: was complete; continue: deadline reached, run again; incomplete: some group failed */
  readonly status: 'archived' | 'skipped' | 'continue' | 'incomplete';
  readonly continue: boolean;
  readonly complete: boolean;
  /** Events and bytes written by this run. */
  readonly events: number;
  readonly bytes: number;
  readonly throttles: number;
  readonly groups: GroupReport[];
}

interface Resolved {
  readonly api: string[];
  readonly exportTask: string[];
  readonly firehose: string[];
  readonly missing: { group: string; error: string }[];
}

const DEFAULT_PART_TARGET = 8 * 1024 * 1024;
const WRITE_CHUNK = 64 * 1024;
const PART_FRAME_BYTES = 1024 * 1024;

class DeadlineReached extends Error {}

export async function run(deps: LogArchiveDeps, input: LogArchiveInput = {}): Promise<LogArchiveReport> {
  const prefix = deps.prefix ?? ARCHIVE_PREFIX;
  const zone = dayZone(deps.config.day, deps.timeZone);
  const window = input.date ? dayWindow(input.date, zone) : previousDay(deps.now(), zone);
  const key = manifestKey(prefix, window.date);
  const partTarget = Math.max(MIN_OBJECT_BYTES, deps.partTargetBytes ?? DEFAULT_PART_TARGET);
  const progress = deps.progress ?? (() => {});
  const dims = logArchiveDimensions(deps.project);
  let throttles = 0;
  const call = <T>(fn: () => Promise<T>) =>
    withBackoff(fn, {
      sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      random: deps.random ?? Math.random,
      onThrottle: () => {
        throttles++;
      },
    });

  const stored = await readManifest(deps.s3, deps.bucket, key);
  let etag = stored?.etag;
  const nowIso = () => deps.now().toISOString();
  const manifest: Manifest = stored?.manifest ?? {
    version: MANIFEST_VERSION,
    date: window.date,
    timeZone: window.timeZone,
    startTime: new Date(window.startMs).toISOString(),
    endTime: new Date(window.endMs).toISOString(),
    complete: false,
    startedAt: nowIso(),
    updatedAt: nowIso(),
    invocations: 0,
    events: 0,
    bytes: 0,
    uncompressedBytes: 0,
    groups: {},
  };

  const report = (
    status: LogArchiveReport['status'],
    groups: GroupReport[],
    events: number,
    bytes: number,
  ): LogArchiveReport => ({
    date: window.date,
    timeZone: window.timeZone,
    manifestKey: key,
    status,
    continue: status === 'continue',
    complete: manifest.complete,
    events,
    bytes,
    throttles,
    groups,
  });

  if (manifest.complete && !input.force && !input.groups?.length) {
    deps.log.info('day already archived, skipping (use force to archive it again)', { date: window.date });
    progress(`${window.date} already archived (${manifest.events} events) — skipped; use --force to redo`);
    return report(
      'skipped',
      Object.entries(manifest.groups).map(([group, g]) => ({
        group,
        outcome: 'skipped',
        events: g.events,
        bytes: g.bytes,
        parts: g.parts.length,
      })),
      0,
      0,
    );
  }

  manifest.invocations++;
  // until this run says otherwise, the day is not complete (a crash mid-way must not leave "complete")
  manifest.complete = false;
  const save = async () => {
    manifest.updatedAt = nowIso();
    summarize(manifest);
    etag = await writeManifest(deps.s3, deps.bucket, key, manifest, etag);
  };

  const selectors = input.groups?.length
    ? input.groups.map((name) => {
        const configured = deps.config.groups.find((s) => s.name === name);
        return { name, mode: configured?.mode ?? ('api' as const) };
      })
    : deps.config.groups;
  const resolved = await resolveGroups(deps.source, selectors, call, input.groups);

  if (input.force) {
    // every targeted group starts over now, so that a continuation after a deadline still redoes them
    for (const group of resolved.api) manifest.groups[group] = freshRecord();
  }

  const reports: GroupReport[] = [];
  let runEvents = 0;
  let runBytes = 0;
  const outcomeOf = (group: string, g: GroupRecord, outcome: GroupOutcome): GroupReport => ({
    group,
    outcome,
    events: g.events,
    bytes: g.bytes,
    parts: g.parts.length,
    error: g.error,
  });

  for (const { group, error } of resolved.missing) {
    manifest.groups[group] = {
      status: 'failed',
      mode: 'api',
      events: 0,
      bytes: 0,
      uncompressedBytes: 0,
      parts: [],
      error,
    };
    deps.log.error('log group failed', { group, error });
    progress(`${group}: FAILED — ${error}`);
    reports.push(outcomeOf(group, manifest.groups[group], 'failed'));
  }

  let stoppedAtDeadline = false;
  for (const group of resolved.api) {
    const existing = manifest.groups[group];
    if (existing?.status === 'complete') {
      reports.push(outcomeOf(group, existing, 'skipped'));
      continue;
    }
    const record: GroupRecord = existing?.mode === 'api' ? existing : freshRecord();
    record.error = undefined;
    manifest.groups[group] = record;
    const before = { events: record.events, bytes: record.bytes };
    try {
      await archiveGroup(deps, { group, window, record, prefix, partTarget, call, save, progress });
      runEvents += record.events - before.events;
      runBytes += record.bytes - before.bytes;
      reports.push(outcomeOf(group, record, 'complete'));
    } catch (error) {
      runEvents += record.events - before.events;
      runBytes += record.bytes - before.bytes;
      if (error instanceof DeadlineReached) {
        reports.push(outcomeOf(group, record, 'in-progress'));
        stoppedAtDeadline = true;
        break;
      }
      record.status = 'failed';
      record.error =
        error instanceof LogGroupNotFoundError ? error.message : `${reasonOf(error)} (archiving ${group})`;
      deps.log.error('log group failed', { group, error: record.error });
      progress(`${group}: FAILED — ${record.error}`);
      await save();
      reports.push(outcomeOf(group, record, 'failed'));
    }
  }

  if (!stoppedAtDeadline) {
    for (const group of resolved.firehose) {
      reports.push({ group, outcome: 'firehose', events: 0, bytes: 0, parts: 0 });
    }
    if (resolved.exportTask.length) {
      reports.push(...(await startExports(deps, manifest, window, prefix, resolved.exportTask, input.force)));
    }
  }

  const apiGroups = Object.values(manifest.groups).filter((g) => g.mode === 'api');
  const wasComplete = manifest.complete;
  manifest.complete =
    !stoppedAtDeadline && resolved.missing.length === 0 && apiGroups.every((g) => g.status === 'complete');
  if (manifest.complete && (!wasComplete || input.force)) manifest.completedAt = nowIso();
  await save();

  deps.metrics.put(LogArchiveMetric.LogEventsArchived, 'Count', runEvents, dims);
  // bytes and failed groups are in the log line only: no alarm reads them (failed groups leave the day
  // incomplete, which the late alarm pages for)
  deps.metrics.put(LogArchiveMetric.LogArchiveThrottles, 'Count', throttles, dims);

  const status = stoppedAtDeadline ? 'continue' : manifest.complete ? 'archived' : 'incomplete';
  deps.log.info('log archive run finished', {
    date: window.date,
    status,
    events: runEvents,
    bytes: runBytes,
    throttles,
    failedGroups: reports.filter((r) => r.outcome === 'failed').length,
  });
  return report(status, reports, runEvents, runBytes);
}

interface GroupJob {
  readonly group: string;
  readonly window: DayWindow;
  readonly record: GroupRecord;
  readonly prefix: string;
  readonly partTarget: number;
  readonly call: <T>(fn: () => Promise<T>) => Promise<T>;
  readonly save: () => Promise<void>;
  readonly progress: (line: string) => void;
}

async function archiveGroup(deps: LogArchiveDeps, job: GroupJob): Promise<void> {
  const { group, window, record, prefix } = job;
  const margin = deps.safetyMarginMs ?? 60_000;
  const remaining = deps.remainingMs ?? (() => Number.POSITIVE_INFINITY);
  // resume after the last completed part, or start the day over
  let token = record.parts.length > 0 ? record.nextToken : undefined;
  if (token === undefined && record.parts.length > 0) resetRecord(record);
  let resumedToken = token;
  if (resumedToken) job.progress(`${group}: resuming after part ${record.parts.length}`);

  let writer: StreamWriter | undefined;
  let part = emptyPartStats();
  const closePart = async (nextToken: string | undefined) => {
    if (!writer) return;
    const written = await writer.finish();
    writer = undefined;
    record.parts.push({
      key: written.key,
      events: part.events,
      bytes: written.bytesOut,
      uncompressedBytes: written.bytesIn,
      sha256: written.sha256,
      firstTimestamp: new Date(part.first).toISOString(),
      lastTimestamp: new Date(part.last).toISOString(),
    });
    record.events += part.events;
    record.bytes += written.bytesOut;
    record.uncompressedBytes += written.bytesIn;
    const first = new Date(part.first).toISOString();
    const last = new Date(part.last).toISOString();
    if (!record.firstTimestamp || first < record.firstTimestamp) record.firstTimestamp = first;
    if (!record.lastTimestamp || last > record.lastTimestamp) record.lastTimestamp = last;
    record.nextToken = nextToken;
    record.status = 'in-progress';
    part = emptyPartStats();
    await job.save();
    job.progress(
      `${group}: part ${record.parts.length} written (${record.events} events, ${formatBytes(record.bytes)})`,
    );
  };

  try {
    for (;;) {
      if (remaining() < margin) throw new DeadlineReached();
      let page: Awaited<ReturnType<LogsSource['filterEvents']>>;
      try {
        page = await job.call(() =>
          deps.source.filterEvents({
            group,
            startTime: window.startMs,
            endTime: window.endMs - 1,
            nextToken: token,
          }),
        );
      } catch (error) {
        if (resumedToken !== undefined && token === resumedToken && isInvalidToken(error)) {
          // FilterLogEvents tokens expire after 24 hours: archive the group's day again from the start
          deps.log.warn('checkpoint token rejected, archiving the group again from the start', { group });
          job.progress(`${group}: checkpoint expired — starting the day over`);
          resetRecord(record);
          token = undefined;
          resumedToken = undefined;
          continue;
        }
        throw error;
      }
      resumedToken = undefined;
      if (page.events.length > 0) {
        // a new run for a fresh or restarted day; a resumed one keeps writing under its run
        record.run ??= newRunId(deps.now());
        writer ??= new StreamWriter({
          s3: deps.s3,
          bucket: deps.bucket,
          key: partKey(prefix, group, window.date, record.run, record.parts.length + 1),
          header: HEADERS.ndjson,
          compressionLevel: deps.compressionLevel ?? 3,
          // 1 MiB frames (no larger than a part): the compressed count that rolls parts follows the
          // input closely, and the frames in flight stay small; same ratio as 4 MiB on log lines
          frameBytes: Math.min(PART_FRAME_BYTES, job.partTarget),
          // S3's minimum part size: parts of ~8 MiB need no more, and memory stays flat (bench)
          partSize: 5 * 1024 * 1024,
          // keys are unique per run and part; a part written before a crash that the manifest does
          // not list is written again from the same checkpoint
          overwrite: true,
          contentType: 'application/zstd',
          // an abort near the deadline must leave time to save the checkpoint (safety margin ≥ 60 s)
          abortRetryMs: 10_000,
          log: deps.log,
        });
        // small chunks (≤ ~64 KiB) keep every string in V8's young generation: no large-object churn
        let lines = '';
        for (const event of page.events) {
          lines += `${JSON.stringify({
            timestamp: new Date(event.timestamp).toISOString(),
            stream: event.stream,
            message: event.message,
          })}\n`;
          if (event.timestamp < part.first) part.first = event.timestamp;
          if (event.timestamp > part.last) part.last = event.timestamp;
          if (lines.length >= WRITE_CHUNK) {
            await writer.write(lines);
            lines = '';
          }
        }
        part.events += page.events.length;
        if (lines) await writer.write(lines);
      }
      token = page.nextToken;
      if (!token) break;
      if (writer && writer.estimatedBytes >= job.partTarget) {
        // near the target: count what is still compressing before deciding (frames are ≤ partTarget)
        await writer.settle();
        if (writer.compressedBytes >= job.partTarget) await closePart(token);
      }
    }
    await closePart(undefined);
  } catch (error) {
    await writer?.abort();
    throw error;
  }
  record.status = 'complete';
  record.nextToken = undefined;
  await job.save();
  job.progress(`${group}: complete — ${record.events} events in ${record.parts.length} part(s)`);
}

function freshRecord(): GroupRecord {
  return { status: 'in-progress', mode: 'api', events: 0, bytes: 0, uncompressedBytes: 0, parts: [] };
}

/**
 * Days before `before` (oldest first) within `lookbackDays` whose
 * manifest exists but is not complete: an earlier run stopped at its deadline or failed. The
 * scheduled run finishes them before archiving the new day.
 */
export async function pendingDays(
  deps: Pick<LogArchiveDeps, 's3' | 'bucket' | 'config' | 'timeZone' | 'prefix'>,
  before: string,
  lookbackDays = 3,
): Promise<string[]> {
  const prefix = deps.prefix ?? ARCHIVE_PREFIX;
  const out: string[] = [];
  for (let back = lookbackDays; back >= 1; back--) {
    const date = addDays(before, -back);
    const stored = await readManifest(deps.s3, deps.bucket, manifestKey(prefix, date));
    if (stored && !stored.manifest.complete) out.push(date);
  }
  return out;
}

function resetRecord(record: GroupRecord): void {
  Object.assign(record, {
    status: 'in-progress',
    events: 0,
    bytes: 0,
    uncompressedBytes: 0,
    parts: [],
    // parts of the abandoned run stay (the job cannot delete); the manifest no longer lists them
    run: undefined,
    nextToken: undefined,
    firstTimestamp: undefined,
    lastTimestamp: undefined,
  });
}

function emptyPartStats() {
  return { events: 0, first: Number.POSITIVE_INFINITY, last: Number.NEGATIVE_INFINITY };
}

function isInvalidToken(error: unknown): boolean {
  return error instanceof Error && error.name === 'InvalidParameterException' && /token/i.test(error.message);
}

async function resolveGroups(
  source: LogsSource,
  selectors: readonly LogArchiveConfig['groups'][number][],
  call: <T>(fn: () => Promise<T>) => Promise<T>,
  explicit: readonly string[] | undefined,
): Promise<Resolved> {
  const modes = new Map<string, 'api' | 'export-task' | 'firehose'>();
  const missing: Resolved['missing'] = [];
  const listAll = async (prefix: string | undefined): Promise<SourceGroup[]> => {
    const out: SourceGroup[] = [];
    let next: string | undefined;
    do {
      const page = await call(() => source.describeGroups(prefix, next));
      out.push(...page.groups);
      next = page.nextToken;
    } while (next);
    return out;
  };
  const add = (name: string, mode: 'api' | 'export-task' | 'firehose') => {
    if (!modes.has(name)) modes.set(name, mode);
  };
  for (const selector of selectors) {
    try {
      if (selector.name !== undefined) {
        const name = selector.name;
        const found = (await listAll(name)).some((g) => g.name === name);
        if (found) add(name, selector.mode);
        else missing.push({ group: name, error: new LogGroupNotFoundError(name).message });
      } else if (selector.prefix !== undefined) {
        for (const g of await listAll(selector.prefix)) add(g.name, selector.mode);
      } else if (selector.tag !== undefined) {
        const { key, value } = selector.tag;
        for (const g of await listAll(undefined)) {
          const tags = await call(() => source.groupTags(g));
          if (key in tags && (value === undefined || tags[key] === value)) add(g.name, selector.mode);
        }
      }
    } catch (error) {
      const what = selector.name ?? selector.prefix ?? `tag ${selector.tag?.key}`;
      missing.push({ group: what, error: `could not list log groups for ${what}: ${reasonOf(error)}` });
    }
  }
  const pick = (mode: string) =>
    [...modes]
      .filter(([name, m]) => m === mode && (!explicit?.length || explicit.includes(name)))
      .map(([name]) => name);
  return { api: pick('api'), exportTask: pick('export-task'), firehose: pick('firehose'), missing };
}

async function startExports(
  deps: LogArchiveDeps,
  manifest: Manifest,
  window: DayWindow,
  prefix: string,
  groups: string[],
  force: boolean | undefined,
): Promise<GroupReport[]> {
  const pending = groups.filter((g) => force || !manifest.groups[g]?.execution);
  if (!deps.exports) {
    return groups.map((group) => ({
      group,
      outcome: 'failed',
      events: 0,
      bytes: 0,
      parts: 0,
      error: 'mode export-task runs in AWS through the export state machine; it cannot run here',
    }));
  }
  if (pending.length === 0) {
    return groups.map((group) => ({ group, outcome: 'export-started', events: 0, bytes: 0, parts: 0 }));
  }
  const execution = await deps.exports.start({
    date: window.date,
    from: window.startMs,
    to: window.endMs - 1,
    bucket: deps.bucket,
    groups: pending.map((group) => ({ group, destinationPrefix: exportPrefix(prefix, group, window.date) })),
  });
  for (const group of pending) {
    manifest.groups[group] = {
      status: 'in-progress',
      mode: 'export-task',
      events: 0,
      bytes: 0,
      uncompressedBytes: 0,
      parts: [],
      execution,
    };
  }
  deps.progress?.(`export-task groups (${pending.join(', ')}): export started (${execution})`);
  return groups.map((group) => ({ group, outcome: 'export-started', events: 0, bytes: 0, parts: 0 }));
}

export interface CheckReport {
  /** The newest day that must be archived by now. */
  readonly dueDate: string;
  readonly archived: boolean;
  /** Hours since the end of the newest archived day (capped at `lookbackDays` days). */
  readonly lagHours: number;
  readonly newestArchived?: string | undefined;
}

/**
 * The deadline check (run hourly): is the day due by `logArchive.deadline` archived? Emits
 * ArchivedDay (1/0) for the due day and ArchiveLagHours, which the "not archived by the deadline"
 * alarm watches (missing data breaches, so a check that stops running alarms too).
 */
export async function check(
  deps: Pick<
    LogArchiveDeps,
    's3' | 'bucket' | 'config' | 'timeZone' | 'project' | 'metrics' | 'now' | 'prefix'
  >,
  lookbackDays = 8,
): Promise<CheckReport> {
  const prefix = deps.prefix ?? ARCHIVE_PREFIX;
  const zone = dayZone(deps.config.day, deps.timeZone);
  const now = deps.now();
  const due = dueDay(now, deps.timeZone, zone, deps.config.deadline);
  let newest: DayWindow | undefined;
  for (let back = 0; back < lookbackDays && !newest; back++) {
    const day = previousDay(new Date(now.getTime() - back * 86_400_000), zone);
    const stored = await readManifest(deps.s3, deps.bucket, manifestKey(prefix, day.date));
    if (stored?.manifest.complete) newest = day;
  }
  const archived = newest !== undefined && newest.date >= due.date;
  const lagHours = newest
    ? (now.getTime() - newest.endMs) / 3_600_000
    : lookbackDays * 24 + (now.getTime() - previousDay(now, zone).endMs) / 3_600_000;
  const dims = logArchiveDimensions(deps.project);
  deps.metrics.put(LogArchiveMetric.ArchivedDay, 'Count', archived ? 1 : 0, dims);
  deps.metrics.put(LogArchiveMetric.ArchiveLagHours, 'None', Math.round(lagHours * 100) / 100, dims);
  return { dueDate: due.date, archived, lagHours, newestArchived: newest?.date };
}
