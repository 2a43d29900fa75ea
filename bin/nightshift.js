#!/usr/bin/env node
// The `nightshift` CLI entry (package bin). Registers tsx's ESM loader so the TypeScript sources run
// as they are, then hands over to lib/cli/main.ts, which returns the exit code.
import module from 'node:module';
import { register } from 'tsx/esm/api';

// zstd streams (node:zlib) and the Lambda runtime need Node.js 24; older versions fail deep inside.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `nightshift needs Node.js 24 or newer; this is ${process.version}. Run it through npm (npm start, npx nightshift …), ` +
      'which puts the Node.js 24 from the devDependency "node" first on PATH, or install Node.js 24 (see .nvmrc).\n',
  );
  process.exit(2);
}
// V8's compile cache on disk (the OS temp dir, or NODE_COMPILE_CACHE): a plan that synthesizes loads
// ~1,100 modules of aws-cdk-lib, whose compilation is then read back instead of redone.
module.enableCompileCache?.();
register();
const { main } = await import('../lib/cli/main.ts');
const code = await main(process.argv);
process.exitCode = code;
// Exit even if a library left a handle open (a pool, a socket); unref'd, so a clean exit is not delayed.
setTimeout(() => process.exit(code), 3000).unref();
