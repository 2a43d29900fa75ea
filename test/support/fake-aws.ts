/**
 * A small HTTP endpoint that answers the AWS APIs Nightshift's handlers call and that have no local
 * server (Secrets Manager, CloudWatch Logs, CloudWatch, Step Functions, SNS, Lambda). A child process's
 * SDK clients are pointed at it with AWS_ENDPOINT_URL_<SERVICE>. It speaks the wire protocols the
 * clients use: AWS JSON 1.0/1.1 (X-Amz-Target "<Service>.<Operation>"), AWS Query (SNS: form body with
 * Action, XML answer) and REST JSON (Lambda Invoke). Unknown operations answer 400 so a handler that
 * starts calling something new fails loudly instead of silently passing.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Answers one operation: the JSON body in, a JSON body out (or a FakeAwsError to answer with). `caller` is
 * the session token the request was signed with (AWS_SESSION_TOKEN), so concurrent child processes can ask
 * for different behaviour (e.g. secrets that point at a live or at a dead server) through their credentials.
 */
export type FakeOperation = (input: Record<string, unknown>, caller: string) => unknown;

export class FakeAwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface FakeAwsCall {
  readonly operation: string;
  readonly caller: string;
  readonly input: Record<string, unknown>;
}

export interface FakeAws {
  readonly url: string;
  readonly calls: FakeAwsCall[];
  /** Environment variables that point every SDK client of a child process here. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

/** Service ids of AWS_ENDPOINT_URL_<ID>: https://docs.aws.amazon.com/sdkref/latest/guide/ss-endpoints-table.html */
const SERVICE_IDS = [
  'SECRETS_MANAGER',
  'SSM',
  'CLOUDWATCH_LOGS',
  'CLOUDWATCH',
  'SFN',
  'SNS',
  'LAMBDA',
  'DYNAMODB',
];

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Starts the endpoint. `operations` is keyed by "<service>.<Operation>" with the service as the X-Amz-Target
 * prefix names it (e.g. "secretsmanager.GetSecretValue", "Logs_20140328.FilterLogEvents",
 * "AWSStepFunctions.StartExecution", "GraniteServiceVersion20100801.ListTagsForResource"), "sns.Publish" for
 * the Query protocol and "lambda.Invoke" for Lambda.
 */
export async function startFakeAws(operations: Record<string, FakeOperation>): Promise<FakeAws> {
  const calls: FakeAwsCall[] = [];
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const text = await body(req);
    const target = req.headers['x-amz-target'];
    let operation: string;
    let input: Record<string, unknown>;
    let query = false;
    if (typeof target === 'string') {
      operation = target;
      input = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } else if ((req.headers['content-type'] ?? '').includes('x-www-form-urlencoded')) {
      const form = new URLSearchParams(text);
      operation = `sns.${form.get('Action') ?? ''}`;
      input = Object.fromEntries(form.entries());
      query = true;
    } else if (req.url?.startsWith('/2015-03-31/functions/')) {
      operation = 'lambda.Invoke';
      input = { path: req.url, payload: text };
    } else {
      operation = `${req.method} ${req.url}`;
      input = {};
    }
    const caller = String(req.headers['x-amz-security-token'] ?? '');
    calls.push({ operation, caller, input });
    const answer = operations[operation];
    try {
      if (!answer) throw new FakeAwsError('UnknownOperationException', `fake AWS has no ${operation}`);
      const result = answer(input, caller);
      if (query) {
        const action = operation.slice('sns.'.length);
        const fields = Object.entries((result ?? {}) as Record<string, unknown>)
          .map(([k, v]) => `<${k}>${xmlEscape(String(v))}</${k}>`)
          .join('');
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          `<${action}Response xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><${action}Result>${fields}</${action}Result><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></${action}Response>`,
        );
        return;
      }
      const status = operation === 'lambda.Invoke' ? 202 : 200;
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(result ?? {}));
    } catch (error) {
      const code = error instanceof FakeAwsError ? error.code : 'InternalFailure';
      const message = (error as Error).message;
      if (query) {
        res.writeHead(400, { 'content-type': 'text/xml' });
        res.end(
          `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>fake</RequestId></ErrorResponse>`,
        );
        return;
      }
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': code });
      res.end(JSON.stringify({ __type: code, message }));
    }
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    calls,
    env: Object.fromEntries(SERVICE_IDS.map((id) => [`AWS_ENDPOINT_URL_${id}`, url])),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
