#!/usr/bin/env node
// The `nightshift` CLI entry (package bin). Runs lib/cli/main.ts, which returns the exit code: from a
// prebuilt bundle of the sources when one is current or can be built (lib/cli/prebuilt.mjs), else
// through tsx's loader, which runs the TypeScript sources as they are.
import module from 'node:module';

// zstd streams (node:zlib) and the Lambda runtime need Node.js 24; older versions fail deep inside.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `nightshift needs Node.js 24 or newer; this is ${process.version}. Run it through npm (npm start, npx nightshift …), ` +
      'which puts the Node.js 24 from the devDependency "node" first on PATH, or install Node.js 24 (see .nvmrc).\n',
  );
  process.exit(2);
}
// plan, doctor and page start Node again with --single-threaded-gc (lib/cli/launch.mjs says why)
const { relaunchArgs } = await import('../lib/cli/launch.mjs');
const relaunch = relaunchArgs({
  script: import.meta.filename,
  args: process.argv.slice(2),
  execArgv: process.execArgv,
  env: process.env,
});
if (relaunch) {
  const { spawn } = await import('node:child_process');
  const { constants } = await import('node:os');
  const child = spawn(process.execPath, relaunch, { stdio: 'inherit' });
  // Ctrl-C reaches both processes (one process group); a signal sent to this one alone is passed on
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  // the child's exit code, or 128 + the signal's number, as a shell reports a process a signal ended
  child.on('exit', (code, signal) =>
    process.exit(code ?? 128 + ((signal && constants.signals[signal]) || 0)),
  );
} else {
  await runCli();
}

async function runCli() {
  // V8's compile cache on disk (the OS temp dir, or NODE_COMPILE_CACHE): a plan that synthesizes loads
  // hundreds of modules of aws-cdk-lib, whose compilation is then read back instead of redone.
  module.enableCompileCache?.();
  const debug = process.argv.includes('--verbose') || process.env.NIGHTSHIFT_DEBUG === '1';
  const { prebuiltCli } = await import('../lib/cli/prebuilt.mjs');
  const bundle = await prebuiltCli();
  let main;
  if (bundle) {
    // stack traces name the TypeScript sources when they are asked for (reading the map costs time)
    if (debug) process.setSourceMapsEnabled(true);
    ({ main } = module.createRequire(import.meta.url)(bundle));
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    ({ main } = await import('../lib/cli/main.ts'));
  }
  // output piped into a reader that stops early (`nightshift plan | head`): end quietly, as cat would
  process.stdout.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  const code = await main(process.argv);
  process.exitCode = code;
  // Exit even if a library left a handle open (a pool, a socket); unref'd, so a clean exit is not delayed.
  setTimeout(() => process.exit(code), 3000).unref();
}
