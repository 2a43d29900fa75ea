/**
 * The one redactor, end to end: secrets resolved in the process (a header secret, a database password)
 * come back from hostile components — an HTTP server that echoes request headers, a PostgreSQL function
 * whose error text carries the password — and must not appear in the health reason, the log lines, the
 * error a handler throws, or the CLI's stdout/stderr (text, --json, --verbose).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import middy from '@middy/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishInput } from '../../../lambdas/alert-router/notifier';
import { checkOne, run } from '../../../lambdas/health-check/health-check';
import { resolvePostgres } from '../../../lambdas/shared/connections';
import { type Log, type PowertoolsLoggerLike, powertoolsLog } from '../../../lambdas/shared/log';
import { REDACTED, redact, redactDeep, redactErrors, registerSecret } from '../../../lambdas/shared/redact';
import { runCli } from '../../support/cli';
import { withPostgres } from '../../support/services';
import { fakeSecrets, target, testDeps } from '../health-check/support';

const HEADER_TOKEN = 'tok-SECRET-abcdef-1234567890';
const DB_PASSWORD = 'pg-Pass-9d8c7b6a5f4e';

/** Fails when `text` holds the secret or any 8-character piece of it (a cut excerpt leaks too). */
function expectNoLeak(text: string, secret: string): void {
  expect(text).not.toContain(secret);
  for (let i = 0; i + 8 <= secret.length; i++) expect(text).not.toContain(secret.slice(i, i + 8));
}

/** A Powertools-shaped logger that keeps the JSON lines it would print. */
function captureLogger(): PowertoolsLoggerLike & { lines: string[] } {
  const lines: string[] = [];
  const write = (level: string) => (message: string, extra: Record<string, unknown>) =>
    lines.push(JSON.stringify({ level, message, ...extra }));
  return { lines, debug: write('DEBUG'), info: write('INFO'), warn: write('WARN'), error: write('ERROR') };
}

/** Answers every request with its own headers, as text (not JSON), like a misconfigured debug endpoint. */
function echoHandler(req: IncomingMessage, res: ServerResponse): void {
  const lines = Object.entries(req.headers).map(([name, value]) => `${name}: ${String(value)}`);
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`${lines.reverse().join('\n')}\n`);
}

/** A minimal Secrets Manager endpoint (GetSecretValue only) for the CLI child process. */
function secretsManagerHandler(values: Record<string, string>) {
  return (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      const { SecretId } = JSON.parse(body || '{}') as { SecretId?: string };
      const value = SecretId === undefined ? undefined : values[SecretId];
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (value === undefined) {
        res
          .writeHead(400)
          .end(JSON.stringify({ __type: 'ResourceNotFoundException', message: 'no such secret' }));
        return;
      }
      res.writeHead(200).end(
        JSON.stringify({
          ARN: `arn:aws:secretsmanager:::${SecretId}`,
          Name: SecretId,
          SecretString: value,
        }),
      );
    });
  };
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

describe('redactor', () => {
  const postgres = withPostgres();
  let echo: Server;
  let secretsManager: Server;
  const dbSecret = () =>
    JSON.stringify({
      host: '127.0.0.1',
      port: postgres().port,
      username: 'postgres',
      password: DB_PASSWORD,
      dbname: 'postgres',
    });

  beforeAll(async () => {
    echo = await listen(echoHandler);
    secretsManager = await listen((req, res) =>
      secretsManagerHandler({
        'prod/api-token': JSON.stringify({ token: HEADER_TOKEN }),
        'prod/db': dbSecret(),
      })(req, res),
    );
    // a server-side function whose error text carries the password, as a misconfigured
    // dblink/FDW or a careless RAISE would
    const client = new pg.Client({ connectionString: postgres().url });
    await client.connect();
    try {
      await client.query(`CREATE OR REPLACE FUNCTION nightshift_leak() RETURNS int LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'could not connect to remote: password "%" rejected', '${DB_PASSWORD}'; END $$`);
    } finally {
      await client.end();
    }
  });
  afterAll(async () => {
    await new Promise((resolve) => echo?.close(resolve));
    await new Promise((resolve) => secretsManager?.close(resolve));
  });

  it('masks registered values in every encoding, and ignores values too short to matter', () => {
    registerSecret('p@ss word/42');
    registerSecret('abc');

    expect(redact('raw p@ss word/42, url p%40ss%20word%2F42, json "p@ss word/42"')).toBe(
      `raw ${REDACTED}, url ${REDACTED}, json "${REDACTED}"`,
    );
    expect(redact('abc')).toBe('abc');
    expect(redactDeep({ nested: ['p@ss word/42'], n: 1 })).toEqual({ nested: [REDACTED], n: 1 });
  });

  it('SNS: subject and every protocol body are redacted at publish', () => {
    registerSecret('sns-Leak-Value-55aa');
    const input = publishInput('arn:aws:sns:eu-west-1:123456789012:ops', {
      title: 'x',
      subject: 'db down: sns-Leak-Value-55aa',
      email: 'reason: login with sns-Leak-Value-55aa failed',
      sms: 'CRIT sns-Leak-Value-55aa',
      json: { reason: 'sns-Leak-Value-55aa', nested: { list: ['sns-Leak-Value-55aa'] } },
      toSms: true,
    });

    expectNoLeak(JSON.stringify(input), 'sns-Leak-Value-55aa');
    const body = JSON.parse(input.Message) as { default: string; email: string; sms: string };
    expect(body.sms).toBe(`CRIT ${REDACTED}`);
    expect(JSON.parse(body.default)).toEqual({ reason: REDACTED, nested: { list: [REDACTED] } });
  });

  it('logs: an Error in the extra keeps name and stack, redacted', () => {
    registerSecret('log-Leak-Value-77bb');
    const capture = captureLogger();
    powertoolsLog(capture).error('failed', { error: new TypeError('bad login-log-Leak-Value-77bb') });

    const [line] = capture.lines;
    expect(JSON.parse(line ?? '{}')).toMatchObject({
      error: { name: 'TypeError', message: `bad login-${REDACTED}` },
    });
    expect(line).toContain('redact.int.test.ts'); // the stack survived
    expectNoLeak(line ?? '', 'log-Leak-Value-77bb');
  });

  it('http: an echoed secret header is in neither the reason nor the log', async () => {
    const capture = captureLogger();
    const deps = {
      ...testDeps({ secrets: fakeSecrets({ 'prod/api-token': JSON.stringify({ token: HEADER_TOKEN }) }) }),
      log: powertoolsLog(capture),
    };
    const api = target({
      name: 'api',
      http: {
        url: `${urlOf(echo)}/status`,
        headers: { 'X-Api-Token': { secret: 'prod/api-token', key: 'token' } },
        json: [{ path: '$.status', equals: 'ok' }],
      },
    });

    const result = await run(deps, { targets: [api], concurrency: 1 });

    const [only] = result.results;
    expect(only?.up).toBe(false);
    expect(only?.reason).toBe('body is not JSON (not quoted: the request carried a secret header)');
    expect(capture.lines.join('\n')).toContain('body is not JSON');
    expectNoLeak(JSON.stringify(result) + capture.lines.join('\n'), HEADER_TOKEN);
  });

  it('http: without a secret header the excerpt is redacted before it is cut', async () => {
    registerSecret('plain-Known-Secret-0987654321');
    const server = await listen((_req, res) => res.end('plain-Known-Secret-0987654321 trailing text'));
    try {
      const result = await checkOne(
        testDeps(),
        target({ name: 'api', http: { url: urlOf(server), json: [{ path: '$.status', equals: 'ok' }] } }),
      );
      expect(result.reason).toBe(`body is not JSON (starts with "${REDACTED} trailing text")`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('postgres: a password in the server error text is in neither the reason nor the log', async () => {
    const capture = captureLogger();
    const deps = {
      ...testDeps({ secrets: fakeSecrets({ 'prod/db': dbSecret() }) }),
      log: powertoolsLog(capture),
    };
    const db = target({
      name: 'db',
      postgres: { secret: 'prod/db', ssl: 'disable', query: { sql: 'SELECT nightshift_leak()', expect: 1 } },
    });

    const result = await run(deps, { targets: [db], concurrency: 1 });

    expect(result.results[0]?.up).toBe(false);
    expect(result.results[0]?.reason).toContain(`password "${REDACTED}" rejected`);
    expect(capture.lines.join('\n')).toContain('rejected');
    expectNoLeak(JSON.stringify(result) + capture.lines.join('\n'), DB_PASSWORD);
  });

  it('a handler error carrying the password is redacted before Lambda sees it (message and stack)', async () => {
    const params = await resolvePostgres(
      { secret: 'prod/db', ssl: 'disable' },
      fakeSecrets({ 'prod/db': dbSecret() }),
    );
    const capture = captureLogger();
    const log: Log = powertoolsLog(capture);
    const handler = middy<unknown, number>()
      .use(redactErrors())
      .handler(async () => {
        const client = new pg.Client({
          host: params.host,
          port: params.port,
          user: params.user,
          password: params.password,
          database: params.database,
        });
        await client.connect();
        try {
          const answer = await client.query<{ n: number }>('SELECT nightshift_leak() AS n');
          return answer.rows[0]?.n ?? 0;
        } catch (error) {
          log.error('query failed', { error, cause: (error as Error).message });
          throw new Error(`leak check failed: ${(error as Error).message}`, { cause: error });
        } finally {
          await client.end();
        }
      });

    const thrown = await handler({}, {} as never).then(
      () => undefined,
      (error: unknown) => error as Error,
    );

    expect(thrown?.message).toContain(`password "${REDACTED}" rejected`);
    expectNoLeak(
      `${thrown?.message}\n${thrown?.stack}\n${(thrown?.cause as Error | undefined)?.message}`,
      DB_PASSWORD,
    );
    expect(capture.lines.join('\n')).toContain('query failed');
    expectNoLeak(capture.lines.join('\n'), DB_PASSWORD);
  });

  it('every Lambda handler registers redactErrors first (so its onError runs last)', () => {
    const root = join(import.meta.dirname, '..', '..', '..', 'lambdas');
    const handlers = readdirSync(root)
      .map((dir) => join(root, dir, 'handler.ts'))
      .filter((file) => existsSync(file));
    expect(handlers.length).toBeGreaterThanOrEqual(4);
    for (const file of handlers) {
      expect(readFileSync(file, 'utf8'), file).toMatch(/middy<[^>]*>\(\)\s*\.use\(redactErrors\(\)\)/);
    }
  });

  describe('CLI: nightshift check', () => {
    let dir: string;
    let config: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'nightshift-redact-'));
      config = join(dir, 'nightshift.config.yaml');
      writeFileSync(
        config,
        [
          'project: leaky',
          'region: eu-west-1',
          'alerts:',
          '  levels:',
          '    - name: ops',
          '      email: [ops@example.com]',
          'healthChecks:',
          // the checks must fail for the planted reasons, not the 5 s default timeout of a loaded machine
          '  defaults: { timeout: 30s }',
          '  targets:',
          '    - name: api',
          '      http:',
          `        url: ${urlOf(echo)}/status`,
          '        headers:',
          '          X-Api-Token: { secret: prod/api-token, key: token }',
          '        json: [{ path: "$.status", equals: ok }]',
          '    - name: db',
          '      postgres:',
          '        secret: prod/db',
          '        ssl: disable',
          '        query: { sql: "SELECT nightshift_leak()", expect: 1 }',
          '',
        ].join('\n'),
      );
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const env = () => ({
      AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST',
      AWS_SECRET_ACCESS_KEY: 'local-test-only',
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: urlOf(secretsManager),
    });

    it.each([
      ['text', ['--verbose']],
      ['--json', ['--json', '--verbose']],
    ])('prints no secret (%s)', async (_label, flags) => {
      const result = await runCli(['check', '--config', config, ...flags], { env: env() });

      expect(result.code).toBe(1);
      const output = result.stdout + result.stderr;
      // both targets were really checked with the resolved secrets, and are down for the planted reasons
      expect(output).toContain('body is not JSON');
      expect(output).toMatch(/password \\?"\*\*\*\\?" rejected/);
      expectNoLeak(output, HEADER_TOKEN);
      expectNoLeak(output, DB_PASSWORD);
    });
  });
});
