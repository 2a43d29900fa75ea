/**
 * S3 layout of the archive: `logs/<group>/<yyyy>/<mm>/<dd>/<run>/<part>.ndjson.zst`.
 * The group name keeps its path shape (so the bucket reads like the log group list) with the
 * leading "/" removed: `/aws/lambda/api` →
 * `logs/aws/lambda/api/2025/03/14/r20250315T020001Z-1a2b3c4d/00001.ndjson.zst`.
 *
 * `<run>` is unique per archive run of a group's day and recorded in the manifest, which lists every
 * part key. A re-archive (--force, an expired checkpoint) writes under a new run, so it never has to
 * delete or overwrite another run's parts: the job has no s3:DeleteObject, and superseded parts
 * expire with the bucket's lifecycle. Readers take the keys from the manifest.
 */
import { randomBytes } from 'node:crypto';

export const ARCHIVE_PREFIX = 'logs/';

/** The S3 path of a log group: leading slashes stripped, empty segments collapsed. */
export function groupPath(group: string): string {
  const path = group
    .replace(/^\/+/, '')
    .replace(/\/{2,}/g, '/')
    .replace(/\/+$/, '')
    .replace(/[^A-Za-z0-9._\-/#]/g, '_');
  return path === '' ? '_' : path;
}

/** `logs/<group>/<yyyy>/<mm>/<dd>/` */
export function dayPrefix(prefix: string, group: string, date: string): string {
  return `${prefix}${groupPath(group)}/${date.replaceAll('-', '/')}/`;
}

/** A new run id: `r<UTC time>-<8 hex>`, sorting by start time. */
export function newRunId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `r${stamp}-${randomBytes(4).toString('hex')}`;
}

/** Run ids as written by newRunId. */
export const RUN_ID = /^r\d{8}T\d{6}Z-[0-9a-f]{8}$/;

export function partKey(prefix: string, group: string, date: string, run: string, part: number): string {
  return `${dayPrefix(prefix, group, date)}${run}/${String(part).padStart(5, '0')}.ndjson.zst`;
}

/** Matches part object names directly under a run prefix (or under the day, in archives from before runs). */
export const PART_NAME = /^\d{5}\.ndjson\.zst$/;

/**
 * Where a part object sits below its day prefix: its run (undefined for the pre-run flat layout),
 * or undefined when the name is not a part.
 */
export function partLocation(relative: string): { run: string | undefined } | undefined {
  const slash = relative.indexOf('/');
  if (slash < 0) return PART_NAME.test(relative) ? { run: undefined } : undefined;
  const run = relative.slice(0, slash);
  return RUN_ID.test(run) && PART_NAME.test(relative.slice(slash + 1)) ? { run } : undefined;
}

/** Where export-task mode writes a group's day (CreateExportTask adds `<taskId>/<stream>/000000.gz`). */
export function exportPrefix(prefix: string, group: string, date: string): string {
  return `${prefix}_export/${groupPath(group)}/${date.replaceAll('-', '/')}`;
}
