/**
 * mongodb check against a real server. There is no MongoDB binary here, so these tests run only when
 * MONGODB_URL points at one (e.g. mongodb://127.0.0.1:27017) and report themselves skipped otherwise.
 * The "unreachable" case needs no server and always runs.
 */
import { describe, expect, it } from 'vitest';
import { checkOne } from '../../../lambdas/health-check/health-check';
import { freePort } from '../../../lib/local/ports';
import { target, testDeps } from './support';

const url = process.env.MONGODB_URL;

describe.skipIf(!url)('mongodb check against MONGODB_URL (skipped: needs MONGODB_URL)', () => {
  it('is up with latency and ConnectionsPercent', async () => {
    const deps = testDeps();
    const result = await checkOne(deps, target({ name: 'docs', mongodb: { url: url ?? '' } }));

    expect(result.up).toBe(true);
    expect(result.latencyMs).toBeGreaterThan(0);
    expect(result.detail).toMatch(/^mongodb /);
    if (!result.detail.includes('connections unknown')) {
      expect(result.metrics.ConnectionsPercent).toBeGreaterThan(0);
    }
  });

  it('with replicaSet on, fails a standalone server or passes a set with a primary', async () => {
    const result = await checkOne(
      testDeps(),
      target({ name: 'docs', mongodb: { url: url ?? '', replicaSet: true } }),
    );

    if (result.up) expect(result.detail).toMatch(/replica set \S+, primary /);
    else expect(result.reason).toMatch(/^(not a replica set member|replica set \S+ has no primary)/);
  });
});

describe('mongodb check without a server', () => {
  it('is down with a timeout reason when nothing answers', async () => {
    const port = await freePort();
    const result = await checkOne(
      testDeps(),
      target({ name: 'docs', timeout: '500ms', mongodb: { url: `mongodb://127.0.0.1:${port}/app` } }),
    );

    expect(result.up).toBe(false);
    expect(result.reason).toMatch(/^(timed out after 500 ms|ECONNREFUSED 127\.0\.0\.1:\d+)$/);
  });
});
