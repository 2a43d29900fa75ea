/** The handler bundles: the same bytes whatever the checkout's path, so deploys do not churn functions. */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLE_FILE, bundleHandler, handlerBundleKey } from '../../../lib/constructs/bundle';
import { REPO } from '../../support/cdk';

describe('bundleHandler', () => {
  it('writes source paths relative to the repository, never the checkout path or the temp dir', () => {
    const outdir = bundleHandler(join(REPO, 'lambdas/ack-link/handler.ts'));
    const map = JSON.parse(readFileSync(join(outdir, `${BUNDLE_FILE}.map`), 'utf8')) as { sources: string[] };
    expect(map.sources).toContain('lambdas/ack-link/handler.ts');
    expect(map.sources.length).toBeGreaterThan(10);
    for (const source of map.sources) {
      expect(source).toMatch(/^(lambdas|lib|node_modules)\//);
    }
    const bundle = readFileSync(join(outdir, BUNDLE_FILE), 'utf8');
    expect(bundle).not.toContain(REPO);
    expect(JSON.stringify(map)).not.toContain(REPO);
  }, 120_000);

  it('is built once per handler and version of the code, then read from the cache', () => {
    const entry = join(REPO, 'lambdas/ack-link/handler.ts');
    const outdir = bundleHandler(entry);
    const built = statSync(join(outdir, BUNDLE_FILE)).mtimeMs;
    // a second synthesis (another process, the same code) gets the same directory, not a new build
    expect(bundleHandler(entry)).toBe(outdir);
    expect(statSync(join(outdir, BUNDLE_FILE)).mtimeMs).toBe(built);
    expect(outdir).toContain(handlerBundleKey(entry));
    // every handler has its own key
    expect(handlerBundleKey(join(REPO, 'lambdas/alert-router/handler.ts'))).not.toBe(handlerBundleKey(entry));
  }, 120_000);
});
