// The `nightshift` CLI runs from a prebuilt bundle of its TypeScript (lib/cli/main.ts with the lib/ and
// lambdas/ modules it imports), built with esbuild into the cache and rebuilt when a source changes.
//
// Why: run through tsx, every `nightshift plan` loaded its ~250 TypeScript modules through tsx's loader
// hooks, and as ES modules its `import { Vpc } from 'aws-cdk-lib/aws-ec2'` made Node read every export
// of each aws-cdk-lib module it named, which defeats aws-cdk-lib's lazy exports: all of aws-ec2,
// aws-cloudfront, aws-ecs… loaded whether the config uses them or not. The bundle is CommonJS, so an
// aws-cdk-lib class is required when the code first touches it. `nightshift plan` after a config change
// went from 2.5 s to 1.5 s of main-thread work (docs/development.md).
//
// The bundle's key hashes every file under lib/ (this builder included) and lambdas/, package.json, the
// esbuild and Node.js versions and the root it was built for; a stale bundle is never run. Dependencies stay in
// node_modules, required from the root (as the sources would require them). If the bundle cannot be
// built (no esbuild, a read-only disk), the CLI runs through tsx as before; NIGHTSHIFT_DEBUG=1 says why,
// and NIGHTSHIFT_CLI_BUNDLE=0 always runs through tsx.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { cacheDir, cachedDirectory, hashFiles, ROOT } from '../cache.mjs';

/** What the bundle is built from, relative to the root. */
const SOURCES = ['lib', 'lambdas', 'package.json'];

/** The bundle's key: its sources (this builder among them), the esbuild and Node.js versions, the root. */
export function bundleKey(root = ROOT) {
  const hash = createHash('sha256').update(
    JSON.stringify({ root, node: process.version, esbuild: esbuildVersion(root) }),
  );
  return hashFiles(hash, SOURCES, root).digest('hex').slice(0, 32);
}

function esbuildVersion(root) {
  try {
    return JSON.parse(readFileSync(join(root, 'node_modules', 'esbuild', 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

/**
 * The path of a bundle of lib/cli/main.ts that is current with the sources, built now if there is none;
 * undefined when it cannot be built (then run the sources through tsx).
 */
export async function prebuiltCli({ root = ROOT, dir = join(cacheDir(root), 'cli') } = {}) {
  if (process.env.NIGHTSHIFT_CLI_BUNDLE === '0') return undefined;
  try {
    const key = bundleKey(root);
    const target = await cachedDirectory(
      dir,
      key,
      async (into) => {
        await buildCli({ root, outfile: join(into, 'main.cjs') });
        // a source saved during the build: the bundle may hold either version, so it is not kept
        if (bundleKey(root) !== key) throw new Error('a source changed while the bundle was built');
      },
      { keep: 4, pattern: /^[0-9a-f]{32}$/ },
    );
    return join(target, 'main.cjs');
  } catch (error) {
    if (process.env.NIGHTSHIFT_DEBUG === '1') {
      process.stderr.write(
        `nightshift: running from the TypeScript sources (no prebuilt bundle: ${error})\n`,
      );
    }
    return undefined;
  }
}

/**
 * Bundles lib/cli/main.ts into one CommonJS file. Each module's `import.meta.dirname` and
 * `import.meta.filename` become its own source location, so that paths the code builds from them (the
 * Lambda entries, cdk.json, the validation worker) still point into the repository. A warning fails
 * the build: the bundle would not behave as the sources do.
 */
export async function buildCli({ root = ROOT, outfile }) {
  const { build } = createRequire(join(root, 'package.json'))('esbuild');
  const result = await build({
    entryPoints: [join(root, 'lib', 'cli', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    packages: 'external',
    // dependencies resolve from the root, wherever the cache is
    banner: {
      js: `require = require('node:module').createRequire(${JSON.stringify(join(root, 'package.json'))});`,
    },
    // linked, read only when NIGHTSHIFT_DEBUG=1 or --verbose turn source maps on (bin/nightshift.js)
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'silent',
    plugins: [sourceLocations()],
  });
  if (result.warnings.length > 0) {
    const [first] = result.warnings;
    throw new Error(
      `esbuild warned: ${first.text}${first.location ? ` (${first.location.file}:${first.location.line})` : ''}`,
    );
  }
  return outfile;
}

/** esbuild plugin: `import.meta.dirname` / `import.meta.filename` → the module's own source location. */
function sourceLocations() {
  return {
    name: 'nightshift-source-locations',
    setup(build) {
      build.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
        if (args.path.split(/[\\/]/).includes('node_modules')) return undefined;
        const text = readFileSync(args.path, 'utf8')
          .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
          .replaceAll('import.meta.filename', JSON.stringify(args.path));
        return { contents: text, loader: /\.[cm]?ts$/.test(args.path) ? 'ts' : 'js' };
      });
    },
  };
}
