import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, parseConfigText } from '../../lib/config/load';
import { buildPlan, synthesizeTemplates } from '../../lib/plan';
import { cachedTemplates, SYNTH_INPUTS, templateCacheKey } from '../../lib/plan-cache';
import { REPO } from '../support/cdk';

const config = parseConfigText(`
project: shop
region: eu-central-1
alerts:
  levels:
    - { name: team, email: [a@example.com] }
healthChecks:
  targets:
    - { name: api, http: { url: "https://shop.example.com/health" } }
`);

describe('the template cache of nightshift plan', () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'nightshift-cache-root-'));
    mkdirSync(join(root, 'lib'));
    mkdirSync(join(root, 'lambdas', 'router'), { recursive: true });
    writeFileSync(join(root, 'lib', 'app.ts'), 'export const app = 1;\n');
    writeFileSync(join(root, 'lambdas', 'router', 'index.ts'), 'export const handler = 1;\n');
    writeFileSync(join(root, 'package-lock.json'), '{"lockfileVersion":3}');
    dir = join(root, 'cache');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const produceCounting = () => {
    const calls: number[] = [];
    const produce = async () => {
      calls.push(calls.length);
      return [{ stackName: `shop-${calls.length}`, template: { Resources: {} } }];
    };
    return { calls, produce };
  };

  it('reads an entry back while config and code are unchanged', async () => {
    const { calls, produce } = produceCounting();
    const first = await cachedTemplates(config, { kind: 'plan' }, produce, { root, dir });
    const second = await cachedTemplates(config, { kind: 'plan' }, produce, { root, dir });
    expect(calls).toHaveLength(1);
    expect(second).toEqual(first);
  });

  it('synthesizes again after a change to the config, a handler, the app code or the lock file', async () => {
    const { calls, produce } = produceCounting();
    const run = (c = config) => cachedTemplates(c, { kind: 'plan' }, produce, { root, dir });
    await run();
    await run({ ...config, region: 'us-east-1' });
    expect(calls).toHaveLength(2);
    writeFileSync(join(root, 'lambdas', 'router', 'index.ts'), 'export const handler = 2;\n');
    expect((await run())[0]?.stackName).toBe('shop-3');
    writeFileSync(join(root, 'lib', 'new-construct.ts'), 'export {};\n');
    expect((await run())[0]?.stackName).toBe('shop-4');
    writeFileSync(join(root, 'package-lock.json'), '{"lockfileVersion":3,"packages":{}}');
    expect((await run())[0]?.stackName).toBe('shop-5');
    expect((await run())[0]?.stackName).toBe('shop-5');
    expect(calls).toHaveLength(5);
  });

  it('keys different variants apart, and covers every synthesis input', () => {
    expect(templateCacheKey(config, { kind: 'plan' }, root)).not.toBe(
      templateCacheKey(config, { kind: 'doctor' }, root),
    );
    expect(SYNTH_INPUTS).toEqual(
      expect.arrayContaining(['lib', 'lambdas', 'docker', '.dockerignore', 'package-lock.json']),
    );
  });

  it('treats a corrupt entry as a miss and replaces it', async () => {
    const { calls, produce } = produceCounting();
    await cachedTemplates(config, {}, produce, { root, dir });
    const [entry] = readdirSync(dir);
    writeFileSync(join(dir, entry as string), '{"truncated');
    expect(await cachedTemplates(config, {}, produce, { root, dir })).toEqual([
      { stackName: 'shop-2', template: { Resources: {} } },
    ]);
    expect(await cachedTemplates(config, {}, produce, { root, dir })).toEqual([
      { stackName: 'shop-2', template: { Resources: {} } },
    ]);
    expect(calls).toHaveLength(2);
  });

  it('does not cache a failed synthesis', async () => {
    await expect(
      cachedTemplates(config, {}, () => Promise.reject(new Error('no router')), { root, dir }),
    ).rejects.toThrow('no router');
    const { calls, produce } = produceCounting();
    await cachedTemplates(config, {}, produce, { root, dir });
    expect(calls).toHaveLength(1);
  });

  it('keeps the 8 newest entries', async () => {
    const { produce } = produceCounting();
    const written: string[] = [];
    for (let i = 0; i < 10; i++) {
      await cachedTemplates({ ...config, project: `p${i}` }, {}, produce, { root, dir });
      const entry = readdirSync(dir).find((name) => !written.includes(name)) as string;
      written.push(entry);
      // the order of the writes as mtimes, whatever the file system's time resolution
      utimesSync(join(dir, entry), 1_000_000 + i, 1_000_000 + i);
    }
    expect(readdirSync(dir).sort()).toEqual(written.slice(2).sort());
  });

  it('gives the plan of the real app exactly as a fresh synthesis does', async () => {
    const inventory = loadConfig(join(REPO, 'examples', 'inventory.yaml'));
    const now = new Date('2026-03-01T12:00:00Z');
    const fresh = await synthesizeTemplates(inventory);
    await cachedTemplates(inventory, { kind: 'plan' }, async () => fresh, { dir });
    const cached = await cachedTemplates(
      inventory,
      { kind: 'plan' },
      () => Promise.reject(new Error('should have been a hit')),
      { dir },
    );
    expect(JSON.stringify(buildPlan(inventory, cached, { now }))).toBe(
      JSON.stringify(buildPlan(inventory, fresh, { now })),
    );
  }, 120_000);
});
