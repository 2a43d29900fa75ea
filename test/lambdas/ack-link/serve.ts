/**
 * Serves a Function URL handler on a local port: each HTTP request becomes the Lambda Function URL
 * event (payload format 2.0) the service would send, and the handler's result becomes the response.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';

type UrlHandler = (event: LambdaFunctionURLEvent, context: Context) => Promise<LambdaFunctionURLResult>;

const context = {
  functionName: 'shop-ack-link',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:shop-ack-link',
  awsRequestId: 'local',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

async function bodyOf(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function toUrlEvent(request: IncomingMessage, body: Buffer): LambdaFunctionURLEvent {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
  );
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abcdefghijklmnopqrstuvwxyz012345',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'abcdefghijklmnopqrstuvwxyz012345',
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: 'local',
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length ? { body: body.toString('base64'), isBase64Encoded: true } : { isBase64Encoded: false }),
  };
}

export interface Served {
  readonly server: Server;
  readonly base: string;
  /** Every response status, in order. */
  readonly statuses: number[];
  close(): Promise<void>;
}

export async function serve(handler: UrlHandler): Promise<Served> {
  const statuses: number[] = [];
  const server = createServer((request, response) => {
    void (async () => {
      try {
        const result = await handler(toUrlEvent(request, await bodyOf(request)), context);
        const out = typeof result === 'string' ? { statusCode: 200, body: result } : result;
        statuses.push(out.statusCode ?? 200);
        response.writeHead(out.statusCode ?? 200, out.headers as Record<string, string>);
        response.end(out.body ?? '');
      } catch (error) {
        statuses.push(502);
        response.writeHead(502, { 'content-type': 'text/plain' });
        response.end(`handler failed: ${(error as Error).message}`);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    base: `http://127.0.0.1:${port}/`,
    statuses,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
