/**
 * http(s) and tcp checks against real local servers started by this file: statuses, slow and hanging
 * answers, JSON conditions, redirects, secret headers and self-signed certificates (valid, expiring in
 * 5 days, expired) generated with openssl.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOne, run } from '../../../lambdas/health-check/health-check';
import { freePort } from '../../../lib/local/ports';
import { type Certificate, fakeSecrets, selfSigned, target, targets, testDeps } from './support';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const ROUTES: Record<string, Handler> = {
  '/ok': (_req, res) =>
    json(res, 200, { database: 'connected', queue: { depth: 3 }, checks: [{ status: 'pass' }] }),
  '/degraded': (_req, res) => json(res, 200, { database: 'disconnected', queue: { depth: 900 } }),
  '/unavailable': (_req, res) => json(res, 503, { error: 'maintenance' }),
  '/html': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html><body>Welcome</body></html>');
  },
  '/slow': (_req, res) => setTimeout(() => json(res, 200, { ok: true }), 150),
  '/hang': () => {
    // never answers
  },
  '/redirect': (_req, res) => {
    res.writeHead(302, { location: '/ok' });
    res.end();
  },
  '/loop': (_req, res) => {
    res.writeHead(302, { location: '/loop' });
    res.end();
  },
  '/auth': (req, res) => {
    if (req.headers.authorization === `Bearer ${TOKEN}`) json(res, 200, { ok: true });
    else json(res, 401, { error: 'unauthorized' });
  },
  '/echo-auth': (req, res) => json(res, 200, { authorization: req.headers.authorization ?? null }),
};

const TOKEN = 'tok-9f8e7d6c5b4a-very-secret';

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const route: Handler = (req, res) => {
  const handler = ROUTES[new URL(req.url ?? '/', 'http://x').pathname];
  if (handler) handler(req, res);
  else json(res, 404, { error: 'not found' });
};

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

const servers: Server[] = [];
let http = '';
let otherOrigin = '';
const certs: Record<'valid' | 'soon' | 'expired', Certificate> = {} as never;
const https: Record<'valid' | 'soon' | 'expired', string> = {} as never;

beforeAll(async () => {
  const plain = createHttpServer(route);
  const other = createHttpServer((req, res) => {
    // a second origin that redirects back is used to check that secrets do not follow redirects
    if (req.url === '/to-echo') {
      res.writeHead(302, { location: `${http}/echo-auth` });
      res.end();
    } else route(req, res);
  });
  servers.push(plain, other);
  http = `http://127.0.0.1:${await listen(plain)}`;
  otherOrigin = `http://127.0.0.1:${await listen(other)}`;
  for (const [name, days] of [
    ['valid', 365],
    ['soon', 5],
    ['expired', -1],
  ] as const) {
    certs[name] = selfSigned(days);
    const server = createHttpsServer({ ...certs[name] }, route);
    servers.push(server);
    https[name] = `https://127.0.0.1:${await listen(server)}`;
  }
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('http check', () => {
  it('is up with status, latency and Up/LatencyMs metrics for a healthy endpoint', async () => {
    const deps = testDeps();
    const result = await checkOne(
      deps,
      target({ name: 'api', maxLatency: '2s', http: { url: `${http}/ok` } }),
    );

    expect(result).toMatchObject({ target: 'api', kind: 'http', up: true, reason: undefined });
    expect(result.detail).toBe('200 OK');
    expect(result.latencyMs).toBeGreaterThan(0);
    expect(deps.metrics.values('Up', { Project: 'shop', Target: 'api' })).toEqual([1]);
    expect(deps.metrics.values('LatencyMs', { Target: 'api' })).toEqual([result.latencyMs]);
  });

  it('is down with "status 503, expected 200" when the status is not expected', async () => {
    const deps = testDeps();
    const result = await checkOne(
      deps,
      target({ name: 'api', http: { url: `${http}/unavailable`, expectStatus: 200 } }),
    );

    expect(result.up).toBe(false);
    expect(result.reason).toBe('status 503, expected 200');
    expect(deps.metrics.values('Up')).toEqual([0]);
  });

  it('accepts statuses from a list or a range', async () => {
    const [list, range, outside] = await Promise.all([
      checkOne(
        testDeps(),
        target({ name: 'aa', http: { url: `${http}/unavailable`, expectStatus: [200, 503] } }),
      ),
      checkOne(
        testDeps(),
        target({ name: 'bb', http: { url: `${http}/unavailable`, expectStatus: '500-599' } }),
      ),
      checkOne(testDeps(), target({ name: 'cc', http: { url: `${http}/missing` } })),
    ]);

    expect(list.up).toBe(true);
    expect(range.up).toBe(true);
    expect(outside.reason).toBe('status 404, expected 200-299');
  });

  it('checks JSON conditions and explains the value it found', async () => {
    const conditions = [
      { path: '$.database', equals: 'connected' },
      { path: '$.queue.depth', lt: 100 },
    ];
    const [ok, degraded] = await Promise.all([
      checkOne(testDeps(), target({ name: 'ok', http: { url: `${http}/ok`, json: conditions } })),
      checkOne(testDeps(), target({ name: 'bad', http: { url: `${http}/degraded`, json: conditions } })),
    ]);

    expect(ok.up).toBe(true);
    expect(degraded.up).toBe(false);
    expect(degraded.reason).toBe(
      '$.database was "disconnected", expected "connected"; $.queue.depth was 900, expected < 100',
    );
  });

  it('says when a body expected to be JSON is not', async () => {
    const result = await checkOne(
      testDeps(),
      target({ name: 'web', http: { url: `${http}/html`, json: [{ path: '$.ok', exists: true }] } }),
    );

    expect(result.reason).toBe('body is not JSON (starts with "<html><body>Welcome<")');
  });

  it('checks bodyContains and bodyMatches', async () => {
    const [contains, matches, both] = await Promise.all([
      checkOne(testDeps(), target({ name: 'aa', http: { url: `${http}/html`, bodyContains: 'Welcome' } })),
      checkOne(
        testDeps(),
        target({ name: 'bb', http: { url: `${http}/html`, bodyMatches: '<body>\\w+</body>' } }),
      ),
      checkOne(
        testDeps(),
        target({ name: 'cc', http: { url: `${http}/html`, bodyContains: 'Goodbye', bodyMatches: '^\\{' } }),
      ),
    ]);

    expect(contains.up).toBe(true);
    expect(matches.up).toBe(true);
    expect(both.reason).toBe('body does not contain "Goodbye"; body does not match /^\\{/');
  });

  it('reports a target that never answers as timed out, without holding up the others', async () => {
    const deps = testDeps();
    const result = await run(deps, {
      targets: targets(
        { name: 'hang', timeout: '300ms', http: { url: `${http}/hang` } },
        { name: 'fast', http: { url: `${http}/ok` } },
      ),
      concurrency: 2,
    });

    const [hang, fast] = result.results;
    expect(hang).toMatchObject({ target: 'hang', up: false, reason: 'timed out after 300 ms' });
    expect(fast).toMatchObject({ target: 'fast', up: true });
    expect(deps.metrics.values('LatencyMs', { Target: 'hang' })).toEqual([]);
  });

  it('warns about a slow answer above maxLatency but keeps the target up', async () => {
    const result = await checkOne(
      testDeps(),
      target({ name: 'slow', maxLatency: '50ms', http: { url: `${http}/slow` } }),
    );

    expect(result.up).toBe(true);
    expect(result.warnings[0]).toMatch(/^slow: \d+ ms, above 50 ms$/);
  });

  it('follows redirects, or checks the redirect itself when told not to', async () => {
    const [followed, notFollowed, loop] = await Promise.all([
      checkOne(testDeps(), target({ name: 'aa', http: { url: `${http}/redirect` } })),
      checkOne(testDeps(), target({ name: 'bb', http: { url: `${http}/redirect`, followRedirects: false } })),
      checkOne(testDeps(), target({ name: 'cc', http: { url: `${http}/loop` } })),
    ]);

    expect(followed.up).toBe(true);
    expect(followed.detail).toMatch(/^200 OK from http:\/\/127\.0\.0\.1:\d+\/ok/);
    expect(notFollowed.reason).toBe('status 302, expected 200-299');
    expect(loop.reason).toBe('more than 5 redirects (last to /loop)');
  });

  it('gives ECONNREFUSED with the address when nothing listens', async () => {
    const port = await freePort();
    const result = await checkOne(
      testDeps(),
      target({ name: 'gone', http: { url: `http://127.0.0.1:${port}/` } }),
    );

    expect(result.reason).toBe(`ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('sends header values from secrets and never reveals them', async () => {
    const deps = testDeps({
      secrets: fakeSecrets({ 'prod/api-token': JSON.stringify({ token: `Bearer ${TOKEN}` }) }),
    });
    const result = await run(deps, {
      targets: targets(
        {
          name: 'auth',
          http: {
            url: `${http}/auth`,
            headers: { Authorization: { secret: 'prod/api-token', key: 'token' } },
          },
        },
        // the echo makes the server send the secret back; the check must redact it from its output
        {
          name: 'echo',
          http: {
            url: `${http}/echo-auth`,
            headers: { Authorization: { secret: 'prod/api-token', key: 'token' } },
            json: [{ path: '$.authorization', equals: 'nothing' }],
          },
        },
        {
          name: 'missing-key',
          http: {
            url: `${http}/auth`,
            headers: { Authorization: { secret: 'prod/api-token', key: 'nope' } },
          },
        },
      ),
    });

    const [auth, echo, missingKey] = result.results;
    expect(auth?.up).toBe(true);
    expect(echo?.reason).toBe('$.authorization was "***", expected "nothing"');
    expect(missingKey?.reason).toBe('secret prod/api-token has no string key "nope" (header Authorization)');
    const everything = JSON.stringify(result) + deps.log.text() + JSON.stringify(deps.metrics.points);
    expect(everything).not.toContain(TOKEN);
  });

  it('does not send secret headers to another origin on a redirect', async () => {
    const deps = testDeps({ secrets: fakeSecrets({ token: `Bearer ${TOKEN}` }) });
    const result = await checkOne(
      deps,
      target({
        name: 'cross',
        http: {
          url: `${otherOrigin}/to-echo`,
          headers: { Authorization: { secret: 'token' }, 'X-Plain': 'yes' },
          json: [{ path: '$.authorization', equals: null }],
        },
      }),
    );

    expect(result.up).toBe(true);
  });

  it('fails with a clear reason when a secret cannot be read', async () => {
    const result = await checkOne(
      testDeps(),
      target({ name: 'api', http: { url: `${http}/ok`, headers: { 'X-Key': { secret: 'prod/absent' } } } }),
    );

    expect(result.reason).toBe('cannot read secret prod/absent: it does not exist');
  });
});

describe('https certificates', () => {
  it('reports TlsDaysLeft for a trusted certificate', async () => {
    const deps = testDeps({ trustedCa: [certs.valid.cert] });
    const result = await checkOne(deps, target({ name: 'tls', http: { url: `${https.valid}/ok` } }));

    expect(result.up).toBe(true);
    expect(result.metrics.TlsDaysLeft).toBeGreaterThan(364);
    expect(result.metrics.TlsDaysLeft).toBeLessThanOrEqual(365);
    expect(deps.metrics.values('TlsDaysLeft', { Target: 'tls' })).toEqual([result.metrics.TlsDaysLeft]);
  });

  it('sends TlsDaysLeft only from the checks in the first hour (or period) of the UTC day', async () => {
    const at = (iso: string, periodMs: number) => {
      const deps = testDeps({ trustedCa: [certs.valid.cert], now: () => new Date(iso) });
      return run(deps, {
        targets: [target({ name: 'tls', http: { url: `${https.valid}/ok` } })],
        periodMs,
      }).then((result) => ({ result: result.results[0], sent: deps.metrics.values('TlsDaysLeft') }));
    };
    const first = await at('2026-03-01T00:00:02Z', 60_000);
    expect(first.sent).toHaveLength(1);
    const later = await at('2026-03-01T01:00:02Z', 60_000);
    // not sent, but still in the result (and the run's log line); Up is sent as always
    expect(later.sent).toEqual([]);
    expect(later.result?.metrics.TlsDaysLeft).toBeGreaterThan(364);
    // a 6-hour schedule sends from the check in 00:00–05:59, not from the one at 06:00
    expect((await at('2026-03-01T05:30:00Z', 6 * 3_600_000)).sent).toHaveLength(1);
    expect((await at('2026-03-01T06:00:00Z', 6 * 3_600_000)).sent).toEqual([]);
  });

  it('stays up with a warning at or below criticalDays (default 7): the tls alarms page, not down', async () => {
    const result = await checkOne(
      testDeps({ trustedCa: [certs.soon.cert] }),
      target({ name: 'tls', http: { url: `${https.soon}/ok` } }),
    );

    expect(result.up).toBe(true);
    expect(result.reason).toBeUndefined();
    expect(result.warnings).toEqual(['certificate expires in 5 days']);
    expect(result.metrics.TlsDaysLeft).toBeGreaterThan(4);
    expect(result.metrics.TlsDaysLeft).toBeLessThanOrEqual(5);
  });

  it('only warns between criticalDays and warnDays', async () => {
    const result = await checkOne(
      testDeps({ trustedCa: [certs.soon.cert] }),
      target({ name: 'tls', http: { url: `${https.soon}/ok`, tls: { warnDays: 30, criticalDays: 3 } } }),
    );

    expect(result.up).toBe(true);
    expect(result.warnings).toEqual(['certificate expires in 5 days']);
  });

  it('says when an expired certificate expired, and reports negative days left', async () => {
    const deps = testDeps({ trustedCa: [certs.expired.cert] });
    const result = await checkOne(deps, target({ name: 'tls', http: { url: `${https.expired}/ok` } }));

    expect(result.up).toBe(false);
    expect(result.reason).toMatch(/^certificate expired 1 day ago \(\d{4}-\d\d-\d\d\)$/);
    expect(result.metrics.TlsDaysLeft).toBeLessThan(0);
  });

  it('does not trust a self-signed certificate it was not given', async () => {
    const result = await checkOne(testDeps(), target({ name: 'tls', http: { url: `${https.valid}/ok` } }));

    expect(result.reason).toBe('self-signed certificate is not trusted');
  });

  it('emits no TLS metric when tls is false', async () => {
    const result = await checkOne(
      testDeps({ trustedCa: [certs.soon.cert] }),
      target({ name: 'tls', http: { url: `${https.soon}/ok`, tls: false } }),
    );

    expect(result.up).toBe(true);
    expect(result.metrics.TlsDaysLeft).toBeUndefined();
  });
});

describe('tcp check', () => {
  it('is up when the port accepts a connection and down with ECONNREFUSED when not', async () => {
    const port = Number(new URL(http).port);
    const closed = await freePort();
    const [open, refused] = await Promise.all([
      checkOne(testDeps(), target({ name: 'open', tcp: { host: '127.0.0.1', port } })),
      checkOne(testDeps(), target({ name: 'closed', tcp: { host: '127.0.0.1', port: closed } })),
    ]);

    expect(open).toMatchObject({ up: true, detail: `connected to 127.0.0.1:${port}` });
    expect(refused).toMatchObject({ up: false, reason: `ECONNREFUSED 127.0.0.1:${closed}` });
  });
});
