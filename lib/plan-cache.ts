/**
 * A cache of the templates `nightshift plan` synthesizes. Synthesis loads aws-cdk-lib and builds every
 * construct (seconds on a small machine) although the templates depend only on the config and on the
 * code: so they are stored under a key that hashes both, and read back while neither has changed.
 *
 * The key covers everything synthesis reads: the parsed config, the sources of the app and of the
 * Lambda handlers (lib/, lambdas/: their folders are the assets whose fingerprints are in the
 * templates), the Docker build context of the backup image (its allow-list .dockerignore, docker/,
 * package.json, package-lock.json, tsconfig.json), the installed aws-cdk-lib version and the Node.js
 * version. A change to any of them is a new key, hence a fresh synthesis. NIGHTSHIFT_PLAN_CACHE=0 turns
 * the cache off. Templates hold no secret values (the config names secrets, it never holds them).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, hashFiles, pruneCache, ROOT, writeFileAtomic } from './cache.mjs';
import type { NightshiftConfig } from './config/schema';

export { cacheDir };

/** What synthesis reads besides the config, relative to ROOT (folders are read whole). */
export const SYNTH_INPUTS = [
  'lib',
  'lambdas',
  'docker',
  '.dockerignore',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'cdk.json',
  'node_modules/aws-cdk-lib/package.json',
] as const;

/** Entries kept; the oldest beyond this are removed when one is written. */
const KEEP = 8;

export interface TemplateCacheOptions {
  /** Where entries live. @default node_modules/.cache/nightshift under the root, else the temp dir */
  readonly dir?: string;
  /** The root the inputs are read under. @default the root of this package */
  readonly root?: string;
}

/** The cache key of a config and the code it is synthesized with (sha256, hex). */
export function templateCacheKey(
  config: NightshiftConfig,
  variant: Record<string, unknown>,
  root: string = ROOT,
): string {
  const hash = createHash('sha256').update(JSON.stringify({ config, variant, node: process.version }));
  return hashFiles(hash, SYNTH_INPUTS, root).digest('hex');
}

/**
 * The value cached under the key of (config, variant), or `produce()`'s, which is then stored. A missing
 * or unreadable entry is a miss; a failure to store one is ignored (the cache only saves time).
 */
export async function cachedTemplates<T>(
  config: NightshiftConfig,
  variant: Record<string, unknown>,
  produce: () => Promise<T>,
  options: TemplateCacheOptions = {},
): Promise<T> {
  const root = options.root ?? ROOT;
  const dir = options.dir ?? cacheDir(root);
  const file = join(dir, `templates-${templateCacheKey(config, variant, root)}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    // a miss
  }
  const value = await produce();
  try {
    writeFileAtomic(file, JSON.stringify(value)); // a concurrent reader sees the whole entry or none
    pruneCache(dir, KEEP, /^templates-[0-9a-f]{64}\.json$/);
  } catch {
    // read-only or full disk: the next run synthesizes again
  }
  return value;
}
