/**
 * A small HTTP proxy in front of the embedded s3rver for the backup tests. It adds what s3rver lacks
 * and the failure semantics need — ListMultipartUploads (GET /bucket?uploads) and AbortMultipartUpload
 * (DELETE /bucket/key?uploadId=…), both served from s3rver's own uploads directory — and lets a test
 * stop the "S3 server" mid-upload (every socket cut, port closed) and bring it back on the same port.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { LocalS3 } from '../../support/services';

export interface S3Proxy {
  readonly endpoint: string;
  client(): S3Client;
  /** Called for every request before it is handled (method, path with query). */
  onRequest?: ((method: string, url: string) => void) | undefined;
  /** Cuts every connection and stops listening (like an S3 endpoint going away). */
  halt(): void;
  /** Listens again on the same port. */
  resume(): Promise<void>;
  /** Open multipart uploads in s3rver's store: { key, uploadId }. */
  openUploads(bucket: string): { key: string; uploadId: string }[];
  close(): Promise<void>;
}

const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
const escapeXml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

export async function startS3Proxy(backend: LocalS3): Promise<S3Proxy> {
  const backendUrl = new URL(backend.endpoint);
  const sockets = new Set<Socket>();
  const clients: S3Client[] = [];
  const uploadsDir = (bucket: string) => join(backend.directory, bucket, '._S3rver_uploads');
  const openUploads = (bucket: string) => {
    const dir = uploadsDir(bucket);
    if (!existsSync(dir)) return [];
    return readdirSync(dir).flatMap((uploadId) => {
      const keyFile = join(dir, uploadId, 'key');
      return existsSync(keyFile) ? [{ key: readFileSync(keyFile, 'utf8'), uploadId }] : [];
    });
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    proxy.onRequest?.(req.method ?? 'GET', `${url.pathname}${url.search}`);
    const [, bucket = '', ...keyParts] = url.pathname.split('/');
    const key = decodeURIComponent(keyParts.join('/'));
    if (req.method === 'GET' && key === '' && url.searchParams.has('uploads')) {
      const prefix = url.searchParams.get('prefix') ?? '';
      const uploads = openUploads(bucket).filter((u) => u.key.startsWith(prefix));
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(
        xml(
          `<ListMultipartUploadsResult><Bucket>${bucket}</Bucket><Prefix>${escapeXml(prefix)}</Prefix><IsTruncated>false</IsTruncated>${uploads
            .map((u) => `<Upload><Key>${escapeXml(u.key)}</Key><UploadId>${u.uploadId}</UploadId></Upload>`)
            .join('')}</ListMultipartUploadsResult>`,
        ),
      );
      return;
    }
    if (req.method === 'DELETE' && url.searchParams.has('uploadId')) {
      const uploadId = url.searchParams.get('uploadId') ?? '';
      const found = openUploads(bucket).find((u) => u.uploadId === uploadId && u.key === key);
      if (!found) {
        res.writeHead(404, { 'content-type': 'application/xml' });
        res.end(xml('<Error><Code>NoSuchUpload</Code><Message>no such upload</Message></Error>'));
        return;
      }
      // a part still being written can make the directory non-empty again mid-removal (ENOTEMPTY):
      // retry, and answer 500 (the client retries the abort) instead of leaving the request hanging
      void rm(join(uploadsDir(bucket), uploadId), {
        recursive: true,
        force: true,
        maxRetries: 5,
        retryDelay: 50,
      }).then(
        () => {
          res.writeHead(204);
          res.end();
        },
        (error: unknown) => {
          res.writeHead(500, { 'content-type': 'application/xml' });
          res.end(
            xml(`<Error><Code>InternalError</Code><Message>${escapeXml(String(error))}</Message></Error>`),
          );
        },
      );
      return;
    }
    const upstream = request(
      {
        host: backendUrl.hostname,
        port: backendUrl.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };

  let server: Server = createServer(handler);
  const track = (s: Server) =>
    s.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
  track(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const endpoint = `http://127.0.0.1:${port}`;

  const proxy: S3Proxy = {
    endpoint,
    onRequest: undefined,
    client() {
      const client = new S3Client({
        endpoint,
        region: backend.region,
        credentials: backend.credentials,
        forcePathStyle: true,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        maxAttempts: 2,
      });
      clients.push(client);
      return client;
    },
    halt() {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
    async resume() {
      server = createServer(handler);
      track(server);
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    openUploads,
    async close() {
      for (const client of clients) client.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
    },
  };
  return proxy;
}
