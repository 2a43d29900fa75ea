/**
 * Where backups live and what their manifest says.
 *
 *   <root>/<target>/<yyyy>/<mm>/<dd>/<target>-<yyyymmddThhmmss.sssZ>.<ext>.zst   the dump (UTC date path)
 *   <root>/<target>/<yyyy>/<mm>/<dd>/<target>-<…>.globals.sql.zst                pg roles (optional)
 *   <root>/<target>/<yyyy>/<mm>/<dd>/<target>-<…>.manifest.json                  written last
 *
 * A backup exists only when its manifest exists: the manifest is written after every data object
 * completed, so listings, restores and the tier decision only ever see complete backups.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { BackupEngine } from '../../lib/config/schema';
import type { Counts } from './engines/types';
import type { Tier } from './retention';

export const DEFAULT_ROOT = 'backups';
export const MANIFEST_SUFFIX = '.manifest.json';
export const MANIFEST_FORMAT = 'nightshift-backup/1';

export interface ArtifactEntry {
  readonly role: 'data' | 'globals';
  readonly key: string;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** SHA-256 (hex) of the stored (compressed) object. */
  readonly sha256: string;
}

export interface BackupManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly project: string;
  readonly target: string;
  readonly engine: BackupEngine;
  /** Redis: rdb or logical. */
  readonly mode?: 'rdb' | 'logical' | undefined;
  /** The data object. */
  readonly key: string;
  readonly createdAt: string;
  readonly tier: Tier;
  readonly expiresAt: string;
  readonly serverVersion: string;
  readonly toolVersion: string;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly sha256: string;
  readonly compression: { readonly algorithm: 'zstd'; readonly level: number };
  readonly durationMs: number;
  readonly counts: Counts;
  readonly artifacts: ArtifactEntry[];
  readonly details: Record<string, unknown>;
}

/** 2026-03-01T02:00:00.123Z → 20260301T020000.123Z (ISO 8601 basic format: no colons in keys). */
export function basicTimestamp(time: Date): string {
  return time.toISOString().replace(/[-:]/g, '');
}

export function parseBasicTimestamp(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(?:\.(\d{3}))?Z$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, ms] = m;
  return new Date(
    Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(ms ?? 0)),
  );
}

export function targetPrefix(root: string, target: string): string {
  return `${root.replace(/\/+$/, '')}/${target}/`;
}

/** `<root>/<target>/<yyyy>/<mm>/` */
export function monthPrefix(root: string, target: string, year: number, month: number): string {
  return `${targetPrefix(root, target)}${year}/${String(month).padStart(2, '0')}/`;
}

/** Key of a backup without its suffix: `<root>/<target>/yyyy/mm/dd/<target>-<basic ts>`. */
export function backupBase(root: string, target: string, time: Date): string {
  const iso = time.toISOString();
  return `${targetPrefix(root, target)}${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${target}-${basicTimestamp(time)}`;
}

/** The time encoded in a backup key (any of its objects), or undefined when the key is not ours. */
export function timeOfKey(key: string, target: string): Date | undefined {
  const name = key.slice(key.lastIndexOf('/') + 1);
  if (!name.startsWith(`${target}-`)) return undefined;
  const stamp = name.slice(target.length + 1).split('.')[0] ?? '';
  const ms = /^\d{3}Z/.exec(name.slice(target.length + 1).split('.')[1] ?? '')?.[0];
  return parseBasicTimestamp(ms ? `${stamp}.${ms}` : stamp);
}

export function manifestKeyOf(base: string): string {
  return `${base}${MANIFEST_SUFFIX}`;
}

export interface ListedBackup {
  readonly manifestKey: string;
  readonly time: Date;
  readonly size?: number | undefined;
}

/** Manifests under a prefix (all pages), oldest first. */
export async function listManifests(
  s3: S3Client,
  bucket: string,
  prefix: string,
  target: string,
): Promise<ListedBackup[]> {
  const out: ListedBackup[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      if (!object.Key?.endsWith(MANIFEST_SUFFIX)) continue;
      const time = timeOfKey(object.Key, target);
      if (time) out.push({ manifestKey: object.Key, time, size: object.Size });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out.sort((a, b) => a.time.getTime() - b.time.getTime());
}

/** Successful backups of the current and previous UTC month (enough for the month and ISO week tiers). */
export async function recentBackups(
  s3: S3Client,
  bucket: string,
  root: string,
  target: string,
  now: Date,
): Promise<ListedBackup[]> {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth() + 1;
  const previous = m === 1 ? { y: y - 1, m: 12 } : { y, m: m - 1 };
  const [older, current] = await Promise.all([
    listManifests(s3, bucket, monthPrefix(root, target, previous.y, previous.m), target),
    listManifests(s3, bucket, monthPrefix(root, target, y, m), target),
  ]);
  return [...older, ...current];
}

export class ManifestUnreadable extends Error {
  override readonly name = 'ManifestUnreadable';
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`cannot read backup manifest ${key}: ${reason}`);
  }
}

export async function readManifest(s3: S3Client, bucket: string, key: string): Promise<BackupManifest> {
  let text: string;
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    text = (await out.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    throw new ManifestUnreadable(key, (error as Error).message || (error as Error).name);
  }
  try {
    const manifest = JSON.parse(text) as BackupManifest;
    if (manifest.format !== MANIFEST_FORMAT) throw new Error(`unknown format ${String(manifest.format)}`);
    return manifest;
  } catch (error) {
    throw new ManifestUnreadable(key, (error as Error).message);
  }
}
