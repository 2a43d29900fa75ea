/**
 * Reading archives back: streams one group's archived day, decompressed, line by line, optionally
 * filtered. Parts are read one after the other straight from S3 (no temp files, flat memory).
 * Objects already moved to Glacier Flexible Retrieval / Deep Archive must be restored first
 * (see docs/log-archive.md); Glacier Instant Retrieval reads like Standard.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createZstdDecompress } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { parseDate } from './day';
import { ARCHIVE_PREFIX, dayPrefix, partLocation } from './keys';
import { manifestKey, readManifest } from './manifest';

export interface ArchivedEvent {
  /** ISO */
  readonly timestamp: string;
  readonly stream: string;
  readonly message: string;
}

export interface SearchOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly group: string;
  /** YYYY-MM-DD */
  readonly date: string;
  /** Keep events whose message (or stream) contains this text. */
  readonly grep?: string | undefined;
  readonly ignoreCase?: boolean | undefined;
  /** @default "logs/" */
  readonly prefix?: string | undefined;
}

export class ArchiveNotFoundError extends Error {
  constructor(group: string, date: string, where: string) {
    super(
      `no archive of log group "${group}" for ${date} (looked under ${where}) — check the group name and date, or run \`nightshift archive-logs --date ${date} --group ${group}\``,
    );
    this.name = 'ArchiveNotFoundError';
  }
}

export class ArchiveNotRestoredError extends Error {
  constructor(key: string) {
    super(
      `s3 object ${key} is in a Glacier storage class and must be restored before it can be read — restore it (aws s3api restore-object …, see docs/log-archive.md) and retry`,
    );
    this.name = 'ArchiveNotRestoredError';
  }
}

/**
 * The part keys of a group's day. The manifest is the index: when it lists the group with parts, those
 * keys (of its current run) are the archive. Without a manifest entry (a manifest lost, a copied
 * archive) the day is listed, and of several runs only the newest is read, so a superseded run's
 * parts are never read twice.
 */
export async function archivedParts(options: SearchOptions): Promise<string[]> {
  parseDate(options.date);
  const prefix = options.prefix ?? ARCHIVE_PREFIX;
  const stored = await readManifest(options.s3, options.bucket, manifestKey(prefix, options.date));
  const record = stored?.manifest.groups[options.group];
  if (record && record.mode === 'api' && (record.status === 'complete' || record.parts.length > 0))
    return record.parts.map((p) => p.key);
  const dir = dayPrefix(prefix, options.group, options.date);
  const byRun = new Map<string, string[]>();
  let token: string | undefined;
  do {
    const out = await options.s3.send(
      new ListObjectsV2Command({ Bucket: options.bucket, Prefix: dir, ContinuationToken: token }),
    );
    for (const o of out.Contents ?? []) {
      const where = o.Key ? partLocation(o.Key.slice(dir.length)) : undefined;
      if (!o.Key || !where) continue;
      // run ids sort by start time; the flat pre-run layout ('') is the oldest
      const run = where.run ?? '';
      byRun.set(run, [...(byRun.get(run) ?? []), o.Key]);
    }
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  const newest = [...byRun.keys()].sort().at(-1);
  const keys = newest === undefined ? [] : (byRun.get(newest) ?? []);
  if (keys.length === 0 && !record)
    throw new ArchiveNotFoundError(options.group, options.date, `s3://${options.bucket}/${dir}`);
  return keys.sort();
}

/** Raw NDJSON lines of a group's day, in archive order. */
export async function* archivedLines(options: SearchOptions): AsyncGenerator<string> {
  for (const key of await archivedParts(options)) {
    let body: Readable;
    try {
      const out = await options.s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
      body = out.Body as Readable;
    } catch (error) {
      if (error instanceof Error && error.name === 'InvalidObjectState')
        throw new ArchiveNotRestoredError(key);
      throw error;
    }
    const decompress = createZstdDecompress();
    body.on('error', (error) => decompress.destroy(error));
    const lines = createInterface({ input: body.pipe(decompress), crlfDelay: Number.POSITIVE_INFINITY });
    try {
      for await (const line of lines) if (line !== '') yield line;
    } finally {
      lines.close();
      body.destroy();
    }
  }
}

/** Archived events of a group's day, filtered by `grep`. */
export async function* searchArchive(options: SearchOptions): AsyncGenerator<ArchivedEvent> {
  const needle = options.ignoreCase ? options.grep?.toLowerCase() : options.grep;
  for await (const line of archivedLines(options)) {
    if (needle !== undefined && needle !== '') {
      // cheap pre-filter on the raw line, exact check on the decoded fields
      const raw = options.ignoreCase ? line.toLowerCase() : line;
      if (!raw.includes(needle) && !/\\/.test(line)) continue;
    }
    const event = JSON.parse(line) as ArchivedEvent;
    if (needle !== undefined && needle !== '') {
      const text = `${event.stream}\n${event.message}`;
      if (!(options.ignoreCase ? text.toLowerCase() : text).includes(needle)) continue;
    }
    yield event;
  }
}
