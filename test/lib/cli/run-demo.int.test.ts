/**
 * `nightshift run --demo` end to end: real disposable PostgreSQL and Redis, the embedded S3 store, no AWS
 * credentials. The newcomer's first contact must exit 0, print the report and leave nothing behind.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_JOBS } from '../../../lib/local/registry';
import { runCli } from '../../support/cli';

const dataDir = mkdtempSync(join(tmpdir(), 'nightshift-demo-data-'));
const home = mkdtempSync(join(tmpdir(), 'nightshift-demo-home-'));
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

/** Env without any AWS credential source. */
const noAws = Object.fromEntries(
  Object.keys(process.env)
    .filter((k) => k.startsWith('AWS_'))
    .map((k) => [k, undefined]),
);

/** Whether something still accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('nightshift run --demo', () => {
  it('exits 0 without AWS credentials, prints the report and the plan, and stops everything', async () => {
    const result = await runCli(['run', '--demo', '--data-dir', dataDir], {
      env: { ...noAws, HOME: home },
      // the run synthesizes the CDK app for the plan and the alert preview
      timeoutMs: 150_000,
    });
    expect(result.stderr).toContain('starting PostgreSQL');
    expect(result.code, `${result.stderr}\n${result.stdout}`).toBe(0);
    expect(result.stdout).toMatch(
      /PostgreSQL \d+ on 127\.0\.0\.1:\d+: database shop, 200 customers, 1000 orders/,
    );
    expect(result.stdout).toMatch(/Redis on 127\.0\.0\.1:\d+: 200 keys \(90 with a TTL\)/);
    expect(result.stdout).toContain('secrets: none (no AWS credentials');
    expect(result.stdout).toContain('config valid: 4 health checks, 2 backup targets');
    for (const job of LOCAL_JOBS.filter((j) => ['health-check', 'backup'].includes(j.name))) {
      expect(result.stdout).toMatch(new RegExp(`✓ ${job.name}`));
    }
    if (LOCAL_JOBS.length === 0) expect(result.stdout).toContain('No local jobs are registered yet');
    expect(result.stdout).toContain('Deployment plan for demo');
    expect(result.stdout).toMatch(/health-check +every 5 minutes/);
    expect(result.stdout).toMatch(/backup +every day at 02:00/);
    expect(result.stdout).not.toContain('+15555550123');
    expect(result.stdout).toMatch(/Alarms \(\d+\) .*critical.* as synthesized/);
    // the store was created under --data-dir with both buckets
    expect(readdirSync(join(dataDir, 's3')).sort()).toEqual(['demo-backups', 'demo-logs']);
    // no disposable server survives the run
    const ports = [...result.stdout.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
    expect(ports.length).toBeGreaterThanOrEqual(4); // PostgreSQL, Redis, web app, S3
    for (const port of new Set(ports)) expect(await listening(port), `port ${port} still open`).toBe(false);
  }, 170_000);
});
