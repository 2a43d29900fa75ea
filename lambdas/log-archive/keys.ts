/**
 * S3 layout of the archive: `logs/<group>/<yyyy>/<mm>/<dd>/<part>.ndjson.zst`.
 * The group name keeps its path shape (so the bucket reads like the log group list) with the
 * leading "/" removed: `/aws/lambda/api` → `logs/aws/lambda/api/2025/03/14/00001.ndjson.zst`.
 */

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

export function partKey(prefix: string, group: string, date: string, part: number): string {
  return `${dayPrefix(prefix, group, date)}${String(part).padStart(5, '0')}.ndjson.zst`;
}

/** Matches part object names directly under a day prefix. */
export const PART_NAME = /^\d{5}\.ndjson\.zst$/;

/** Where export-task mode writes a group's day (CreateExportTask adds `<taskId>/<stream>/000000.gz`). */
export function exportPrefix(prefix: string, group: string, date: string): string {
  return `${prefix}_export/${groupPath(group)}/${date.replaceAll('-', '/')}`;
}
