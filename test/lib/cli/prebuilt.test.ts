/**
 * The CLI's prebuilt bundle (lib/cli/prebuilt.mjs): built from the sources, run only while current with
 * them, the same program as the sources run through tsx, and never a reason for the CLI not to start.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCli, bundleKey, prebuiltCli } from '../../../lib/cli/prebuilt.mjs';
import { BIN, ROOT } from '../../support/cli';

const scratch = mkdtempSync(join(tmpdir(), 'nightshift-prebuilt-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function nightshift(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', NIGHTSHIFT_CONFIG: undefined, ...env },
  });
}

describe('the prebuilt CLI bundle', () => {
  it('builds without a warning, and every import.meta of the sources became a source location', async () => {
    const outfile = join(scratch, 'build', 'main.cjs');
    await buildCli({ outfile }); // throws on any esbuild warning, e.g. an import.meta left in CommonJS
    const text = readFileSync(outfile, 'utf8');
    // the validation worker and the Lambda entries are found beside their sources, not beside the bundle
    expect(text).toContain(JSON.stringify(join(ROOT, 'lib', 'validation')));
    expect(text).toContain(JSON.stringify(join(ROOT, 'lib', 'constructs')));
    // aws-cdk-lib stays a require() from the root, read when first touched (its lazy exports)
    expect(text).toMatch(/require\("aws-cdk-lib\/aws-ec2"\)/);
    expect(text).toContain(`createRequire(${JSON.stringify(join(ROOT, 'package.json'))})`);
  });

  it('runs the same program as the sources through tsx', () => {
    for (const args of [['--help'], ['validate', '--config', 'examples/inventory.yaml']]) {
      const bundled = nightshift(args);
      const sources = nightshift(args, { NIGHTSHIFT_CLI_BUNDLE: '0' });
      expect(bundled.status, bundled.stderr).toBe(0);
      expect(bundled.stdout).toBe(sources.stdout);
      expect(bundled.stdout.length).toBeGreaterThan(100);
    }
    // a failing command fails the same way (exit code and message)
    const bundled = nightshift(['validate', '--config', 'examples/no-such-file.yaml']);
    const sources = nightshift(['validate', '--config', 'examples/no-such-file.yaml'], {
      NIGHTSHIFT_CLI_BUNDLE: '0',
    });
    expect(bundled.status).toBe(2);
    expect(bundled.status).toBe(sources.status);
    expect(bundled.stderr).toBe(sources.stderr);
  });

  it('is keyed by the sources: a changed file is a new key, an unchanged tree the same one', () => {
    const root = join(scratch, 'root');
    for (const path of ['lib', 'lambdas', 'package.json'])
      cpSync(join(ROOT, path), join(root, path), { recursive: true });
    const before = bundleKey(root);
    expect(bundleKey(root)).toBe(before);
    const file = join(root, 'lambdas', 'shared', 'format.ts');
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n// changed\n`);
    expect(bundleKey(root)).not.toBe(before);
  });

  it('is built once and reused; a root it cannot be built for runs from the sources, leaving nothing', async () => {
    const dir = join(scratch, 'cache');
    const file = await prebuiltCli({ dir });
    expect(file).toBe(join(dir, bundleKey(), 'main.cjs'));
    expect(await prebuiltCli({ dir })).toBe(file);
    expect(readdirSync(dir)).toEqual([bundleKey()]);

    // no esbuild under this root (no node_modules): no bundle, and no half-built one left behind
    const bare = join(scratch, 'bare');
    cpSync(join(ROOT, 'lib'), join(bare, 'lib'), { recursive: true });
    const bareCache = join(scratch, 'bare-cache');
    expect(await prebuiltCli({ root: bare, dir: bareCache })).toBeUndefined();
    expect(existsSync(bareCache) ? readdirSync(bareCache) : []).toEqual([]);
  });
});
