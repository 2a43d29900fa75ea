/**
 * `nightshift check` as a user runs it (the real bin, a child process) against an HTTP server in this
 * test process: the table, --json, --target, and the exit codes 0 / 1 / 2.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../lib/local/ports';
import { runCli } from '../../support/cli';

const dir = mkdtempSync(join(tmpdir(), 'nightshift-cli-check-'));
let server: Server;
let config = '';
let closedPort = 0;

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(req.url === '/health' ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ database: req.url === '/health' ? 'connected' : 'disconnected' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closedPort = await freePort();
  config = write(
    'nightshift.config.yaml',
    `project: shop
region: eu-west-1
alerts:
  levels:
    - name: team
      email: [team@example.com]
healthChecks:
  targets:
    - name: api
      http:
        url: ${base}/health
        json:
          - path: $.database
            equals: connected
    - name: admin
      http:
        url: ${base}/admin
        expectStatus: 200
    - name: cache
      tcp: { host: 127.0.0.1, port: ${closedPort} }
`,
  );
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('nightshift check', () => {
  it('prints a table with every target and exits 1 when one is down', async () => {
    const result = await runCli(['check', '--config', config]);

    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^TARGET\s+KIND\s+STATUS\s+LATENCY\s+DETAIL\s+REASON$/);
    expect(lines.find((l) => l.startsWith('api'))).toMatch(/^api\s+http\s+✓ up\s+\d+ ms\s+200 OK/);
    expect(lines.find((l) => l.startsWith('admin'))).toMatch(/✗ down.*status 503, expected 200$/);
    expect(lines.find((l) => l.startsWith('cache'))).toMatch(
      new RegExp(`^cache\\s+tcp\\s+✗ down\\s+—\\s+ECONNREFUSED 127\\.0\\.0\\.1:${closedPort}$`),
    );
    expect(result.stdout).toContain('1 up, 2 down');
    expect(result.stderr).not.toMatch(/\bat .+:\d+:\d+/); // no stack trace
  });

  it('checks only the named targets and exits 0 when they are up', async () => {
    const result = await runCli(['check', '--config', config, '--target', 'api']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('1 up, 0 down');
    expect(result.stdout).not.toContain('admin');
  });

  it('prints one JSON document with --json', async () => {
    const result = await runCli(['check', '--config', config, '--json', '--target', 'api,admin']);

    expect(result.code).toBe(1);
    const doc = JSON.parse(result.stdout) as { ok: boolean; up: number; down: number; results: unknown[] };
    expect(doc).toMatchObject({
      ok: false,
      up: 1,
      down: 1,
      results: [
        { target: 'api', kind: 'http', up: true, metrics: { Up: 1 } },
        { target: 'admin', kind: 'http', up: false, reason: 'status 503, expected 200', metrics: { Up: 0 } },
      ],
    });
  });

  it('exits 2 for an unknown --target, naming the configured ones', async () => {
    const result = await runCli(['check', '--config', config, '--target', 'nope']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'no health check target named "nope" — configured targets: api, admin, cache',
    );
  });

  it('exits 2 for an invalid config', async () => {
    const bad = write('bad.yaml', 'project: Shop!\nregion: eu-west-1\n');

    const result = await runCli(['check', '--config', bad]);

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
  });
});
