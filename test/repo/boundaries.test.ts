/**
 * Module boundaries: Lambda code (lambdas/) is bundled into functions and containers, so it must not
 * reach into the CLI's local harness (lib/local), the CLI, the constructs or the stacks. The one part
 * of lib/ it may use is lib/config (the parsed config's types and pure helpers), and that only as long
 * as lib/config itself stays free of the rest of lib/ and of the CDK. Relative paths are resolved, so
 * `../../lib/local/x` and `../../../lib/local/x` are caught alike; dynamic imports and re-exports count.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const SPECIFIER =
  /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Import specifiers of a TypeScript source. */
function specifiers(source: string): string[] {
  return [...source.matchAll(SPECIFIER)].map((m) => (m[1] ?? m[2] ?? m[3]) as string);
}

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)).split(sep).join('/'));
}

/** Repository-relative target of a relative specifier (no extension), or undefined for a package. */
function target(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  return relative(ROOT, resolve(ROOT, dirname(file), specifier))
    .split(sep)
    .join('/');
}

/** What `file` may not import: a reason, or undefined when allowed. */
function violation(file: string, specifier: string): string | undefined {
  const to = target(file, specifier);
  if (file.startsWith('lambdas/')) {
    if (to === undefined) return /^(aws-cdk-lib|constructs)(\/|$)/.test(specifier) ? 'the CDK' : undefined;
    if (to === 'lib' || to.startsWith('lib/')) {
      return to.startsWith('lib/config/') ? undefined : `${to} (lambdas may use only lib/config from lib/)`;
    }
    return undefined;
  }
  if (file.startsWith('lib/config/')) {
    if (to === undefined) return /^(aws-cdk-lib|constructs)(\/|$)/.test(specifier) ? 'the CDK' : undefined;
    if (to.startsWith('lib/') && !to.startsWith('lib/config/'))
      return `${to} (lib/config is imported by lambdas, so it may not depend on the rest of lib/)`;
  }
  return undefined;
}

describe('module boundaries', () => {
  it('the rule catches what it is for (resolved relative paths, re-exports, dynamic imports)', () => {
    const source = [
      "import { findBinary } from '../../../lib/local/binaries';",
      "export { startRedis } from '../../lib/local/redis';",
      "const cli = await import('../../lib/cli/main');",
      "import type { LogArchiveConfig } from '../../lib/config/schema';",
      "import { Redis } from 'ioredis';",
    ].join('\n');
    const file = 'lambdas/backup/engines/redis.ts';
    expect(specifiers(source).map((s) => violation(file, s))).toEqual([
      'lib/local/binaries (lambdas may use only lib/config from lib/)',
      // two levels up from lambdas/backup/engines is lambdas/lib, not lib/: not a violation
      undefined,
      undefined,
      // ../../lib/config from lambdas/backup/engines is lambdas/lib/config: allowed either way
      undefined,
      undefined,
    ]);
    expect(violation('lambdas/shared/x.ts', '../../lib/local/redis')).toMatch(/^lib\/local\/redis/);
    expect(violation('lambdas/shared/x.ts', '../../lib/cli/main')).toMatch(/^lib\/cli\/main/);
    expect(violation('lambdas/shared/x.ts', 'aws-cdk-lib/aws-s3')).toBe('the CDK');
    expect(violation('lib/config/schema.ts', '../local/redis')).toMatch(/^lib\/local\/redis/);
    expect(violation('lib/local/redis.ts', '../../lambdas/shared/binaries')).toBeUndefined();
  });

  it('lambdas/ imports nothing from lib/ but lib/config, and lib/config nothing from the rest of lib/', () => {
    const files = [...tsFiles('lambdas'), ...tsFiles('lib/config')];
    expect(files.length).toBeGreaterThan(50);
    const found: string[] = [];
    for (const file of files) {
      for (const specifier of specifiers(readFileSync(join(ROOT, file), 'utf8'))) {
        const why = violation(file, specifier);
        if (why) found.push(`${file} imports ${specifier}: ${why}`);
      }
    }
    expect(found).toEqual([]);
  });
});
