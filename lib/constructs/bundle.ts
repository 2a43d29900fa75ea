/**
 * Bundles a Node.js handler with esbuild, in this process, with the settings every deployed function
 * uses (handlerBundleOptions): one bundle per entry and version of the code, kept in the cache, which
 * the function's asset then copies into the cloud assembly.
 *
 * Why not NodejsFunction's bundling: it spawns the esbuild binary once per function and CDK prints
 * "Bundling asset …" and esbuild's size table for each, so `cdk synth -q` was never quiet; building
 * in-process is also faster. Stacks that skip bundling (`aws:cdk:bundling-stacks: []`, used by the
 * tests, `plan` and `doctor`) get the handler's source folder as a stand-in asset instead.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { buildSync, version as esbuildVersion } from 'esbuild';
import { cacheDir, cachedDirectory, hashFiles } from '../cache.mjs';

/** Modules the bundle must not include: optional native add-ons of pg and mongodb that we do not use. */
export const BUNDLE_EXTERNALS = [
  'pg-native',
  'kerberos',
  '@mongodb-js/zstd',
  'snappy',
  'socks',
  'aws4',
  'mongodb-client-encryption',
  'gcp-metadata',
  '@aws-sdk/credential-providers',
];

/**
 * Modules replaced at bundle time: the MongoDB driver's `whatwg-url` (240 kB of IDNA tables) by
 * Node's built-in WHATWG URL classes (lambdas/shared/whatwg-url.ts).
 */
export const BUNDLE_ALIASES: Record<string, string> = {
  'whatwg-url': resolve(import.meta.dirname, '../../lambdas/shared/whatwg-url.ts'),
};

/** ESM output needs `require` for the CommonJS dependencies esbuild inlines. */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __nightshiftCreateRequire } from 'node:module'; const require = __nightshiftCreateRequire(import.meta.url);";

/**
 * The esbuild settings every Node.js handler is bundled with, in esbuild's own option names. The
 * construct maps them onto NodejsFunction's bundling props; the metric contract test bundles the real
 * handlers with the same object, so what the test runs is what is deployed.
 */
export interface HandlerBundleOptions {
  readonly bundle: true;
  readonly platform: 'node';
  readonly format: 'esm';
  readonly target: 'node24';
  readonly minify: boolean;
  readonly sourcemap: boolean;
  readonly mainFields: string[];
  readonly banner: { readonly js: string };
  readonly external: string[];
  readonly alias: Record<string, string>;
}

export function handlerBundleOptions(): HandlerBundleOptions {
  return {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    sourcemap: true,
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    external: [...BUNDLE_EXTERNALS],
    alias: { ...BUNDLE_ALIASES },
  };
}

/** The file the bundle's handler is in, and the handler setting for it. */
export const BUNDLE_FILE = 'index.mjs';
export const BUNDLED_HANDLER = 'index.handler';

/** What a handler bundle is built from besides its options: the code it may import and the dependencies. */
const BUNDLE_INPUTS = ['lambdas', 'lib', 'package-lock.json'];
let inputsHash: string | undefined;

/** The cache key of a handler's bundle: its entry, the options, esbuild's version and the inputs. */
export function handlerBundleKey(entry: string): string {
  inputsHash ??= hashFiles(createHash('sha256'), BUNDLE_INPUTS, REPO_ROOT).digest('hex');
  return createHash('sha256')
    .update(
      JSON.stringify({
        entry: relative(REPO_ROOT, resolve(entry)).split(sep).join('/'),
        options: handlerBundleOptions(),
        esbuild: esbuildVersion,
        inputs: inputsHash,
      }),
    )
    .digest('hex');
}

/**
 * Builds `entry` and returns the directory holding index.mjs and its source map. Bundles are kept in
 * the cache (node_modules/.cache/nightshift/handlers) under handlerBundleKey: a `cdk synth` after a
 * config change bundles nothing (2.3 s of the inventory example's synth before), one after a code or
 * dependency change bundles every handler again.
 */
export function bundleHandler(entry: string): string {
  return cachedDirectory(
    join(cacheDir(), 'handlers'),
    handlerBundleKey(entry),
    (into) => {
      buildSync({
        ...handlerBundleOptions(),
        entryPoints: [resolve(entry)],
        outfile: join(into, BUNDLE_FILE),
        // errors throw with esbuild's own message; warnings and the size summary are not printed
        logLevel: 'error',
      });
      repoRelativeSources(join(into, `${BUNDLE_FILE}.map`), into);
    },
    // the handlers of two or three source versions (about ten a version)
    { keep: 32 },
  );
}

/** The repository root: what the source map's paths are relative to. */
const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/**
 * esbuild writes each source's path relative to the bundle's directory, a temp dir: the map would say
 * "../../home/ana/nightshift/lambdas/…", so the asset's hash (and so every function) would change
 * with the checkout's path, and a deploy from CI after one from a laptop would update every function
 * for nothing. Paths relative to the repository ("lambdas/backup/backup.ts",
 * "node_modules/pg/lib/client.js") are the same in every checkout and read better in stack traces.
 */
function repoRelativeSources(mapFile: string, outdir: string): void {
  const map = JSON.parse(readFileSync(mapFile, 'utf8')) as { sources: string[] };
  map.sources = map.sources.map((source) =>
    relative(REPO_ROOT, resolve(outdir, source)).split(sep).join('/'),
  );
  writeFileSync(mapFile, JSON.stringify(map));
}

/** The Lambda code for a handler file: its bundle, or its folder when the stack skips bundling. */
export function handlerCode(scope: Construct, entry: string): Code {
  if (!Stack.of(scope).bundlingRequired) return Code.fromAsset(dirname(resolve(entry)));
  return Code.fromAsset(bundleHandler(entry));
}
