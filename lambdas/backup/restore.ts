/**
 * Restore: stream the stored object → SHA-256 (checked against the manifest before the last bytes reach
 * the database) → zstd decompress → pg_restore / mongorestore / Redis RESTORE. Nothing is buffered whole;
 * only an RDB-mode Redis restore needs a file (a disposable redis-server loads it, see engines/redis.ts).
 * A non-empty target is refused unless `force`.
 */
import { createHash } from 'node:crypto';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { backupEngine } from '../../lib/config/resolved';
import type { BackupTarget } from '../../lib/config/schema';
import {
  type ConnectionRef,
  describeMongo,
  describePostgres,
  describeRedis,
  resolveMongo,
  resolvePostgres,
  resolveRedis,
  type SecretsReader,
  secretValuesOf,
} from '../shared/connections';
import type { Log } from '../shared/log';
import { redact } from '../shared/redact';
import { mongoUserDatabases, startMongorestore } from './engines/mongodb';
import { postgresObjectCount, startPgRestore } from './engines/postgres';
import {
  parseLogical,
  type RedisRestoreStats,
  redisClient,
  restoreRdb,
  restoreRecords,
  type StartScratchRedis,
} from './engines/redis';
import type { ToolPaths } from './engines/types';
import {
  type BackupManifest,
  DEFAULT_ROOT,
  listManifests,
  MANIFEST_SUFFIX,
  readManifest,
  targetPrefix,
} from './layout';

export interface RestoreDeps {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly root?: string;
  readonly secrets: SecretsReader;
  readonly log: Log;
  readonly tools?: ToolPaths;
  /** Starts the scratch redis-server an RDB restore loads the dump into (the CLI: lib/local startRedis). */
  readonly startScratchRedis?: StartScratchRedis;
  readonly now?: () => Date;
}

export interface RestoreInput {
  readonly target: BackupTarget;
  /** A manifest key, a data object key, or "latest". */
  readonly backup: string;
  /** Where to restore (URL without password, or a secret). */
  readonly to: ConnectionRef & { readonly ssl?: 'disable' | 'require' | 'verify-full' | undefined };
  /** Overwrite a non-empty target (pg: --clean --if-exists; redis: REPLACE; mongo: --drop). */
  readonly force?: boolean;
  /** pg: --no-owner --no-privileges (restoring into a server without the original roles). */
  readonly noOwner?: boolean;
}

export interface RestoreResult {
  readonly manifest: BackupManifest;
  readonly manifestKey: string;
  readonly destination: string;
  readonly bytes: number;
  /** Redis: what RESTORE did. */
  readonly redis?: RedisRestoreStats | undefined;
}

export class BackupNotFound extends Error {
  override readonly name = 'BackupNotFound';
  constructor(target: string, ref: string) {
    super(
      ref === 'latest'
        ? `no backup of ${target} exists yet — run \`nightshift backup ${target}\` first`
        : `no backup ${ref} of ${target} — list them with \`nightshift backups list ${target}\``,
    );
  }
}

export class TargetNotEmpty extends Error {
  override readonly name = 'TargetNotEmpty';
  constructor(destination: string, what: string) {
    super(
      `refusing to restore into ${destination}: it is not empty (${what}) — restore into an empty database, or pass --force to overwrite what the backup contains`,
    );
  }
}

export class BackupCorrupt extends Error {
  override readonly name = 'BackupCorrupt';
  constructor(
    readonly key: string,
    readonly expected: string,
    readonly actual: string,
    target: string,
  ) {
    super(
      `backup ${key} is corrupt: its SHA-256 is ${actual.slice(0, 16)}… but the manifest recorded ${expected.slice(0, 16)}… — the stored object was altered or damaged; restore another backup (nightshift backups list ${target})`,
    );
  }
}

/** Finds a backup's manifest: "latest", a manifest key, or the key of one of its objects. */
export async function findBackup(
  s3: S3Client,
  bucket: string,
  root: string,
  target: string,
  ref: string,
): Promise<{ manifestKey: string; manifest: BackupManifest }> {
  let manifestKey: string;
  if (ref === 'latest') {
    const all = await listManifests(s3, bucket, targetPrefix(root, target), target);
    const newest = all.at(-1);
    if (!newest) throw new BackupNotFound(target, ref);
    manifestKey = newest.manifestKey;
  } else if (ref.endsWith(MANIFEST_SUFFIX)) {
    manifestKey = ref;
  } else {
    const name = ref.slice(ref.lastIndexOf('/') + 1);
    const stem = /^(.*?-\d{8}T\d{6}(?:\.\d{3})?Z)/.exec(name)?.[1];
    if (!stem) throw new BackupNotFound(target, ref);
    manifestKey = `${ref.slice(0, ref.lastIndexOf('/') + 1)}${stem}${MANIFEST_SUFFIX}`;
  }
  try {
    return { manifestKey, manifest: await readManifest(s3, bucket, manifestKey) };
  } catch (error) {
    if (/NoSuchKey|NotFound|does not exist/i.test((error as Error).message))
      throw new BackupNotFound(target, ref);
    throw error;
  }
}

/** SHA-256 of an object (second pass after a failed restore: was it corruption?). */
export async function hashObject(s3: S3Client, bucket: string, key: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const hash = createHash('sha256');
  for await (const chunk of out.Body as Readable) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

class ShaCheck extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;
  constructor(
    private readonly expected: string,
    private readonly corrupt: (actual: string) => Error,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }
  override _flush(callback: TransformCallback): void {
    const actual = this.hash.digest('hex');
    // the decompressor downstream has not flushed its last output yet: a mismatch stops the restore first
    callback(actual === this.expected ? null : this.corrupt(actual));
  }
}

/** The decompressed stream of a stored object, failing before its end when the SHA-256 differs. */
export async function openBackupStream(
  s3: S3Client,
  bucket: string,
  key: string,
  sha256: string,
  target: string,
): Promise<{ stream: Readable; done: Promise<void>; check: ShaCheck }> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = out.Body as Readable;
  const check = new ShaCheck(sha256, (actual) => new BackupCorrupt(key, sha256, actual, target));
  const decompress = zlib.createZstdDecompress();
  const done = pipeline(body, check, decompress);
  done.catch(() => {});
  return { stream: decompress, done, check };
}

export async function restore(deps: RestoreDeps, input: RestoreInput): Promise<RestoreResult> {
  const root = deps.root ?? DEFAULT_ROOT;
  const { target } = input;
  const { manifestKey, manifest } = await findBackup(deps.s3, deps.bucket, root, target.name, input.backup);
  const engine = backupEngine(target);
  if (manifest.engine !== engine)
    throw new Error(
      `backup ${manifestKey} is a ${manifest.engine} dump but ${target.name} is a ${engine} target`,
    );
  const force = input.force ?? false;
  let secrets: string[] = [];
  let destination = '';
  try {
    const opened = await openBackupStream(deps.s3, deps.bucket, manifest.key, manifest.sha256, target.name);
    let redis: RedisRestoreStats | undefined;
    const run = async () => {
      if (engine === 'postgres') {
        const p = await resolvePostgres(input.to, deps.secrets);
        secrets = secretValuesOf(p);
        destination = describePostgres(p);
        if (!force) {
          const objects = await postgresObjectCount(p);
          if (objects > 0) throw new TargetNotEmpty(destination, `${objects} relations`);
        }
        const tool = startPgRestore(p, {
          clean: force,
          noOwner: input.noOwner ?? false,
          secrets,
          tools: deps.tools ?? {},
          log: deps.log,
        });
        const feeding = pipeline(opened.stream, tool.stdin);
        const [fed, exited] = await Promise.allSettled([feeding, tool.done]);
        if (fed.status === 'rejected') {
          tool.stop();
          await tool.done.catch(() => {});
          throw fed.reason;
        }
        if (exited.status === 'rejected') throw exited.reason;
      } else if (engine === 'mongodb') {
        const p = await resolveMongo(input.to, deps.secrets);
        secrets = secretValuesOf(p);
        destination = describeMongo(p);
        if (!force) {
          const dbs = await mongoUserDatabases(p);
          if (dbs.length) throw new TargetNotEmpty(destination, `databases ${dbs.join(', ')}`);
        }
        const tool = startMongorestore(p, {
          drop: force,
          oplog: manifest.details.oplog === true,
          secrets,
          tools: deps.tools ?? {},
          log: deps.log,
        });
        const [fed, exited] = await Promise.allSettled([pipeline(opened.stream, tool.stdin), tool.done]);
        if (fed.status === 'rejected') {
          tool.stop();
          await tool.done.catch(() => {});
          throw fed.reason;
        }
        if (exited.status === 'rejected') throw exited.reason;
      } else {
        const p = await resolveRedis(input.to, deps.secrets);
        secrets = secretValuesOf(p);
        destination = describeRedis(p);
        const client = redisClient(p);
        client.on('error', () => {});
        try {
          await client.connect();
          if (!force) {
            const size = await client.dbsize();
            if (size > 0) throw new TargetNotEmpty(destination, `${size} keys`);
          }
          if (manifest.mode === 'rdb') {
            redis = await restoreRdb(opened.stream, p, {
              replace: force,
              log: deps.log,
              redisServer: deps.tools?.redisServer,
              startScratch: deps.startScratchRedis,
            });
          } else {
            const now = deps.now;
            redis = await restoreRecords(client, parseLogical(opened.stream), {
              replace: force,
              ...(now ? { now: () => now().getTime() } : {}),
            });
          }
        } finally {
          client.disconnect();
        }
      }
      await opened.done;
    };
    try {
      await run();
    } catch (error) {
      opened.stream.destroy();
      // A damaged object usually shows up first as a zstd or tool error: say "corrupt" when it is.
      if (error instanceof TargetNotEmpty || error instanceof BackupCorrupt) throw error;
      const corrupt = await opened.done.then(
        () => undefined,
        (e: unknown) => (e instanceof BackupCorrupt ? e : undefined),
      );
      if (corrupt) throw corrupt;
      const actual = await hashObject(deps.s3, deps.bucket, manifest.key).catch(() => manifest.sha256);
      if (actual !== manifest.sha256)
        throw new BackupCorrupt(manifest.key, manifest.sha256, actual, target.name);
      throw error;
    }
    deps.log.info('restore done', { target: target.name, key: manifest.key, destination, ...(redis ?? {}) });
    return { manifest, manifestKey, destination, bytes: opened.check.bytes, redis };
  } catch (error) {
    if (secrets.length && error instanceof Error) error.message = redact(error.message, secrets);
    throw error;
  }
}
