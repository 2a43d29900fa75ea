/**
 * Embedded S3-compatible store (s3rver 3.7.1, in-process, filesystem-backed) for the demo and tests.
 *
 * What s3rver 3.7.1 supports (read from its source and checked by test/support/services.int.test.ts):
 * - Multipart upload: CreateMultipartUpload, UploadPart, CompleteMultipartUpload work (so
 *   @aws-sdk/lib-storage `Upload` works). AbortMultipartUpload (DELETE ?uploadId) answers 405
 *   MethodNotAllowed, ListParts/ListMultipartUploads are not implemented; parts of a failed upload
 *   stay on disk. Part sizes are not validated (real S3 wants >= 5 MiB except the last).
 * - Tagging: PutObjectTagging / GetObjectTagging work; DeleteObjectTagging is NotImplemented; the
 *   `x-amz-tagging` header on PutObject/CreateMultipartUpload is silently IGNORED (no tags stored).
 * - `If-None-Match: *` on PUT is silently IGNORED (the object is overwritten, 200) — conditional
 *   writes cannot be tested against s3rver. If-None-Match is honoured on GET/HEAD only (304).
 * - PutObject answers before the file is written; startS3 waits for it (untilWritten).
 * - No versioning, lifecycle, object lock, bucket policy, SSE/KMS (headers are accepted and ignored).
 * - Newer AWS SDKs send CRC32 checksums with `aws-chunked` trailers by default; s3rver does not
 *   decode that framing, so `client()` sets `requestChecksumCalculation: 'WHEN_REQUIRED'`. Any other
 *   S3Client pointed at s3rver needs the same setting.
 */
import { mkdtempSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { onProcessExit, removeDirSync, signal, startWatchdog } from './process';

/** The part of s3rver's (untyped, CommonJS) API we use. */
interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
  /** Koa: the request listener s3rver.listen() installs; it returns the request's handling promise. */
  callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  httpServer?: Server;
  store: S3rverStore;
}

/** The part of s3rver's filesystem store that `untilWritten` wraps. */
interface S3rverStore {
  putObject(object: { bucket: string; key: string }): Promise<{ size: number; md5: string }>;
  getResourcePath(bucket: string, key: string, resource: string): string;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets: { name: string }[];
  allowMismatchedSignatures?: boolean;
}) => S3rverInstance;

const S3rver = createRequire(import.meta.filename)('s3rver') as S3rverConstructor;

export interface StartS3Options {
  /** Where objects are stored; kept on stop. @default a fresh temp dir, removed on stop */
  readonly directory?: string;
  /** Buckets created before the server starts. @default none */
  readonly buckets?: readonly string[];
}

export interface LocalS3 {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  readonly port: number;
  readonly region: 'us-east-1';
  readonly credentials: { readonly accessKeyId: 'S3RVER'; readonly secretAccessKey: 'S3RVER' };
  readonly directory: string;
  /** An S3Client for this store (path-style, checksums only when required). */
  client(): S3Client;
  /** Closes the server after in-flight requests finish (idle keep-alive sockets are closed), then removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Destroys every open socket at once (in-flight uploads fail fast) and closes the server. Call `stop()` later to remove the dir. */
  kill(): Promise<void>;
}

/**
 * s3rver 3.7.1 answers PutObject once the body was handed to the file's write stream, not once it is
 * written (filesystem.js putObject: `writeStream.end(buffer)` without waiting), so a GET right after
 * the PUT can read an empty object. The wrapped putObject returns when the file has its full size.
 */
function untilWritten(store: S3rverStore): void {
  const put = store.putObject.bind(store);
  store.putObject = async (object) => {
    const result = await put(object);
    const file = store.getResourcePath(object.bucket, object.key, 'object');
    for (let waited = 0; waited < 5_000; waited += 5) {
      if ((await stat(file).catch(() => undefined))?.size === result.size) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return result;
  };
}

export async function startS3(options: StartS3Options = {}): Promise<LocalS3> {
  const ownsDirectory = options.directory === undefined;
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 'nightshift-s3-'));
  const unregisterDir = ownsDirectory ? onProcessExit(() => removeDirSync(directory)) : () => {};
  // removes the temp dir even if this process is SIGKILLed (no exit hook runs then)
  const watchdog = ownsDirectory ? startWatchdog(undefined, 'SIGTERM', directory) : undefined;
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name })),
  });
  untilWritten(server.store);
  // Track request handlers: after kill(), s3rver keeps working on cut requests (mkdir, open) for a
  // moment, and removing the directory under it would crash the process with an unhandled ENOENT.
  const inFlight = new Set<Promise<void>>();
  const koaCallback = server.callback.bind(server);
  server.callback = () => {
    const handle = koaCallback();
    return (req, res) => {
      const handling = handle(req, res).catch(() => {});
      inFlight.add(handling);
      void handling.finally(() => inFlight.delete(handling));
      return handling;
    };
  };
  let port: number;
  try {
    ({ port } = await server.run());
  } catch (error) {
    unregisterDir();
    signal(watchdog, 'SIGKILL');
    if (ownsDirectory) await rm(directory, { recursive: true, force: true });
    throw error;
  }
  const httpServer = server.httpServer;
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
  const clients: S3Client[] = [];

  let closing: Promise<void> | undefined;
  const close = (force: boolean) => {
    if (force) httpServer?.closeAllConnections();
    closing ??= new Promise<void>((resolve) => {
      if (!httpServer?.listening) return resolve();
      httpServer.close(() => resolve());
      httpServer.closeIdleConnections();
      // bounded: a client that never finishes its request must not hang stop()
      setTimeout(() => httpServer.closeAllConnections(), 5_000).unref();
    });
    return closing;
  };
  let stopping: Promise<void> | undefined;

  return {
    endpoint,
    port,
    region: 'us-east-1',
    credentials,
    directory,
    client() {
      const client = new S3Client({
        endpoint,
        region: 'us-east-1',
        credentials,
        forcePathStyle: true,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
      clients.push(client);
      return client;
    },
    stop() {
      stopping ??= (async () => {
        await close(false);
        for (const client of clients) client.destroy();
        // Handlers of requests cut by kill() can hang forever (s3rver never ends their write stream):
        // give the others a bounded moment to finish touching the directory.
        await Promise.race([Promise.allSettled([...inFlight]), sleep(1_000)]);
        signal(watchdog, 'SIGKILL');
        if (ownsDirectory) await rm(directory, { recursive: true, force: true, maxRetries: 3 });
        unregisterDir();
      })();
      return stopping;
    },
    kill() {
      return close(true);
    },
  };
}

/** Keeps the event loop alive on purpose: `await stop()` must finish before the process may exit. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
