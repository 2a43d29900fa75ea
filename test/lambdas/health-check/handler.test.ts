/**
 * The Lambda handler end to end: the schedule input the construct writes, Secrets Manager mocked,
 * a real local HTTP server, and everything the function prints (Powertools logs and EMF) captured
 * to prove the secret never appears and a down target does not fail the invocation.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { healthEventTarget, InvalidHealthEvent, parseHealthEvent } from '../../../lambdas/health-check/event';
import { freePort } from '../../../lib/local/ports';
import { targets } from './support';

const TOKEN = 'handler-token-5ab4c3d2e1f0';
const secretsManager = mockClient(SecretsManagerClient);

let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(req.headers['x-api-key'] === TOKEN ? 200 : 403, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ echoed: req.headers['x-api-key'] ?? null }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  secretsManager.restore();
});

const context = {
  functionName: 'shop-health-check',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

describe('health-check handler', () => {
  it('checks the targets of the event, reports down targets without failing, and prints no secret', async () => {
    vi.stubEnv('NIGHTSHIFT_PROJECT', 'shop');
    vi.stubEnv('NIGHTSHIFT_HEALTH_CONCURRENCY', '128');
    secretsManager.on(GetSecretValueCommand, { SecretId: 'prod/api-key' }).resolves({ SecretString: TOKEN });
    const closed = await freePort();
    const event = {
      schedule: 'default',
      targets: targets(
        {
          name: 'api',
          maxLatency: '2s',
          http: { url: `${base}/`, headers: { 'X-Api-Key': { secret: 'prod/api-key' } } },
        },
        {
          name: 'echo',
          http: {
            url: `${base}/`,
            headers: { 'X-Api-Key': { secret: 'prod/api-key' } },
            json: [{ path: '$.echoed', equals: 'nope' }],
          },
        },
        { name: 'gone', tcp: { host: '127.0.0.1', port: closed } },
      ).map(healthEventTarget),
    };
    const printed: string[] = [];
    const capture = (chunk: unknown) => {
      printed.push(String(chunk));
      return true;
    };
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    const log = vi.spyOn(console, 'log').mockImplementation((...args) => capture(args.join(' ')));
    const info = vi.spyOn(console, 'info').mockImplementation((...args) => capture(args.join(' ')));
    let response: Awaited<ReturnType<typeof import('../../../lambdas/health-check/handler').handler>>;
    try {
      const { handler } = await import('../../../lambdas/health-check/handler');
      response = await handler(event, context);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
      log.mockRestore();
      info.mockRestore();
      vi.unstubAllEnvs();
    }

    expect(response).toMatchObject({
      schedule: 'default',
      targets: 3,
      up: 1,
      down: 2,
      downTargets: [
        { target: 'echo', reason: '$.echoed was "***", expected "nope"' },
        { target: 'gone', reason: `ECONNREFUSED 127.0.0.1:${closed}` },
      ],
    });
    const output = printed.join('\n');
    expect(output).toContain('health check run');
    expect(output).toContain('"LatencyMs"');
    expect(output).not.toContain(TOKEN);
    expect(JSON.stringify(response)).not.toContain(TOKEN);
  });

  it('throws errors redacted (redactErrors middleware): the secret read above is masked', async () => {
    // the first test resolved TOKEN through Secrets Manager, which registered it with the redactor;
    // a malformed event that happens to carry it must not put it into the error Lambda logs
    vi.stubEnv('NIGHTSHIFT_PROJECT', 'shop');
    vi.stubEnv('NIGHTSHIFT_HEALTH_CONCURRENCY', '128');
    const { handler } = await import('../../../lambdas/health-check/handler');
    const event = { targets: [{ target: { name: TOKEN }, kind: 'ftp', timeoutMs: 1 }] };

    const thrown = await handler(event, context).then(
      () => undefined,
      (error: unknown) => error as Error,
    );

    expect(thrown).toBeInstanceOf(InvalidHealthEvent);
    expect(thrown?.message).toContain('targets[0] (***) has no valid kind');
    expect(`${thrown?.message}\n${thrown?.stack}`).not.toContain(TOKEN);
  });
});

describe('parseHealthEvent', () => {
  it('accepts what the construct writes and rejects anything else with a hint', () => {
    const good = {
      targets: targets({ name: 'web', http: { url: 'https://example.com/' } }).map(healthEventTarget),
    };
    expect(parseHealthEvent(good).targets).toHaveLength(1);

    expect(() => parseHealthEvent('x')).toThrow(InvalidHealthEvent);
    expect(() => parseHealthEvent({})).toThrow('"targets" is not a list');
    expect(() =>
      parseHealthEvent({ targets: [{ target: { name: 'web' }, kind: 'ftp', timeoutMs: 1 }] }),
    ).toThrow('targets[0] (web) has no valid kind');
    expect(() => parseHealthEvent({ targets: [], onlyTargets: 'web' })).toThrow('redeploy');
    expect(parseHealthEvent({ ...good, periodMs: 60_000 }).periodMs).toBe(60_000);
    expect(() => parseHealthEvent({ ...good, periodMs: '1m' })).toThrow(
      '"periodMs" is not a positive number',
    );
  });

  it('reads the repeat flag of a sub-minute schedule, and a sub-minute target with its interval', () => {
    const sub = {
      repeat: true,
      targets: targets({ name: 'api', interval: '30s', http: { url: 'https://example.com/' } }).map(
        healthEventTarget,
      ),
    };
    const parsed = parseHealthEvent(sub);
    expect(parsed.repeat).toBe(true);
    expect(parsed.targets[0]).toMatchObject({ intervalMs: 30_000, downForMs: 30_000 });
    expect(parseHealthEvent({ targets: sub.targets }).repeat).toBeUndefined();
    expect(() => parseHealthEvent({ ...sub, repeat: 'yes' })).toThrow('"repeat" is not true or false');
    // EventBridge Scheduler's scheduled time; left unreplaced (an input copied by hand) it is unknown
    expect(parseHealthEvent({ ...sub, scheduledTime: '2026-01-05T15:00:00Z' }).scheduledTime).toBe(
      '2026-01-05T15:00:00Z',
    );
    expect(parseHealthEvent({ ...sub, scheduledTime: '<aws.scheduler.scheduled-time>' }).scheduledTime).toBe(
      undefined,
    );
    expect(() => parseHealthEvent({ ...sub, scheduledTime: 'noon' })).toThrow(
      '"scheduledTime" is not an ISO 8601 time',
    );
    expect(() => parseHealthEvent({ targets: [{ ...sub.targets[0], intervalMs: '30s' }] })).toThrow(
      'targets[0] (api) has an intervalMs that is not a positive number',
    );
  });
});
