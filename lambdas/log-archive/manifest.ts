/**
 * The per-day manifest, `logs/_manifests/<yyyy>-<mm>-<dd>.json`: what was archived, by group and by
 * part, and — while a day is in progress — the checkpoint (the FilterLogEvents token that follows
 * the last completed part). It is rewritten after every completed part, so a run that dies at any
 * point loses at most the part it was writing, and never counts anything twice. It is the index of
 * the archive: every part key of a group's day (under that group's run, keys.ts) is listed here.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export const MANIFEST_VERSION = 1;

export interface PartRecord {
  readonly key: string;
  readonly events: number;
  /** compressed bytes */
  readonly bytes: number;
  readonly uncompressedBytes: number;
  readonly sha256: string;
  /** ISO timestamps of the oldest and newest event in the part */
  readonly firstTimestamp: string;
  readonly lastTimestamp: string;
}

export type GroupStatus = 'in-progress' | 'complete' | 'failed';

export interface GroupRecord {
  status: GroupStatus;
  mode: 'api' | 'export-task';
  events: number;
  bytes: number;
  uncompressedBytes: number;
  firstTimestamp?: string | undefined;
  lastTimestamp?: string | undefined;
  parts: PartRecord[];
  /**
   * The run writing this group's parts (keys.ts `newRunId`); a re-archive starts a new one. Absent in
   * manifests written before runs existed (their parts sit directly under the day).
   */
  run?: string | undefined;
  /** Checkpoint: the token that continues after the last completed part (in-progress only). */
  nextToken?: string | undefined;
  /** Why the group failed (failed only). */
  error?: string | undefined;
  /** export-task mode: the Step Functions execution that exports this group. */
  execution?: string | undefined;
}

export interface Manifest {
  version: number;
  date: string;
  timeZone: string;
  /** The archived window, ISO. */
  startTime: string;
  endTime: string;
  /** Every resolved api-mode group is complete. */
  complete: boolean;
  startedAt: string;
  updatedAt: string;
  completedAt?: string | undefined;
  /** Invocations that worked on this day (resumes included). */
  invocations: number;
  events: number;
  bytes: number;
  uncompressedBytes: number;
  firstTimestamp?: string | undefined;
  lastTimestamp?: string | undefined;
  groups: Record<string, GroupRecord>;
}

export function manifestKey(prefix: string, date: string): string {
  return `${prefix}_manifests/${date}.json`;
}

export class ConcurrentArchiveError extends Error {
  constructor(date: string) {
    super(
      `another run changed the manifest of ${date} while this one was archiving it — only one run may archive a day at a time; this run stopped without writing, the other one continues`,
    );
    this.name = 'ConcurrentArchiveError';
  }
}

export interface StoredManifest {
  readonly manifest: Manifest;
  readonly etag?: string | undefined;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

export async function readManifest(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<StoredManifest | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const text = (await out.Body?.transformToString()) ?? '';
    const manifest = JSON.parse(text) as Manifest;
    if (manifest.version !== MANIFEST_VERSION) {
      throw new Error(
        `manifest s3://${bucket}/${key} has version ${manifest.version}, this Nightshift reads ${MANIFEST_VERSION} — upgrade Nightshift or re-archive the day with --force`,
      );
    }
    return { manifest, etag: out.ETag };
  } catch (error) {
    if (errorName(error) === 'NoSuchKey' || errorName(error) === 'NotFound') return undefined;
    throw error;
  }
}

/**
 * Writes the manifest. With S3 conditional writes (If-Match on the ETag read, If-None-Match for a new
 * manifest), two runs cannot both think they own a day: the loser gets ConcurrentArchiveError.
 */
export async function writeManifest(
  s3: S3Client,
  bucket: string,
  key: string,
  manifest: Manifest,
  previousEtag: string | undefined,
): Promise<string | undefined> {
  try {
    const out = await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: `${JSON.stringify(manifest, null, 2)}\n`,
        ContentType: 'application/json',
        ...(previousEtag ? { IfMatch: previousEtag } : { IfNoneMatch: '*' }),
      }),
    );
    return out.ETag;
  } catch (error) {
    const name = errorName(error);
    if (name === 'PreconditionFailed' || name === 'ConditionalRequestConflict') {
      throw new ConcurrentArchiveError(manifest.date);
    }
    throw error;
  }
}

/** Recomputes the day's totals from its groups. */
export function summarize(manifest: Manifest): void {
  let events = 0;
  let bytes = 0;
  let uncompressedBytes = 0;
  let first: string | undefined;
  let last: string | undefined;
  for (const group of Object.values(manifest.groups)) {
    events += group.events;
    bytes += group.bytes;
    uncompressedBytes += group.uncompressedBytes;
    if (group.firstTimestamp && (!first || group.firstTimestamp < first)) first = group.firstTimestamp;
    if (group.lastTimestamp && (!last || group.lastTimestamp > last)) last = group.lastTimestamp;
  }
  Object.assign(manifest, { events, bytes, uncompressedBytes, firstTimestamp: first, lastTimestamp: last });
}
