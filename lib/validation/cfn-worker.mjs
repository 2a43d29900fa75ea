// The worker thread of lib/validation/worker.ts: aws-cdk-lib's own CloudFormationValidatePlugin, run off
// the main thread. Plain JavaScript because a worker does not inherit the tsx loader of the CLI.
//
// Starting its engine (a WebAssembly CloudFormation validator) costs about a second of CPU; the worker
// starts it as soon as it is created, so that it is ready by the time the main thread has loaded
// aws-cdk-lib and built the construct tree, and warms it up on an earlier template. It then answers
// validation requests: the main thread posts one on `port` and waits on `signal` until the reply is
// posted, blocking (Atomics.wait, since a validation plugin's validate() is synchronous) or not
// (Atomics.waitAsync, while `nightshift plan` builds the plan from the templates).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import { receiveMessageOnPort, workerData } from 'node:worker_threads';

// The engine's WebAssembly (9 MB) runs on V8's baseline compiler only. By default V8 also recompiles its
// hot functions with the optimizing compiler on background threads: on this 2-core machine that costs
// ~1.8 s of CPU per process (4.5 s → 2.7 s for engine, warm-up and one validation, measured with
// /usr/bin/time) and buys nothing for the few validations a process runs. The flags are process-wide
// but only concern WebAssembly, which nothing else in a plan or a synth runs; they are set before the
// engine's module is compiled (its require below). docs/development.md has the figures.
v8.setFlagsFromString('--liftoff-only');
v8.setFlagsFromString('--no-wasm-tier-up');
v8.setFlagsFromString('--no-wasm-dynamic-tiering');

/** @type {{ port: import('node:worker_threads').MessagePort, signal: Int32Array, resourceTypes: string[], warmUp?: object }} */
const { port, signal, resourceTypes, warmUp } = workerData;

let plugin;
let startError;
try {
  const { CloudFormationValidatePlugin } = createRequire(import.meta.url)('aws-cdk-lib');
  plugin = new CloudFormationValidatePlugin();
  // The engine for the resource types of earlier templates: the plugin reuses it for any template whose
  // types are among them (its own rule, isSubset in initializeEngine), and starts another otherwise.
  if (resourceTypes.length > 0) plugin.initializeEngine(new Set(resourceTypes));
} catch (error) {
  startError = error;
}
// A request that came while the engine started is answered at once: a warm-up would only delay it.
const early = receiveMessageOnPort(port);
if (early) answer(early.message);
else if (plugin && warmUp) {
  // One validation of an earlier template, result unused: the engine's code is compiled on first use,
  // so the validation the main thread waits for runs about twice as fast afterwards (0.12 s instead of
  // 0.3 s for the inventory example's jobs template). Done only while nothing is asked of the engine.
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-warm-up-'));
  try {
    const templatePath = join(dir, 'warm-up.template.json');
    writeFileSync(templatePath, JSON.stringify(warmUp));
    plugin.validate({ stackTemplates: [{ stackConstructPath: 'warm-up', templatePath }] });
  } catch {
    // a warm-up only saves time
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function reply(message) {
  port.postMessage(message);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}

port.on('message', answer);

/** @param {{ stackTemplates: object[], only: string[] }} request */
function answer(request) {
  try {
    if (!plugin) throw startError ?? new Error('the validation plugin did not start');
    // The engine's rules are chosen by the resource types of every template of the app, as the plugin
    // chooses them when it validates them all; then only the templates not known to be valid are read.
    plugin.initializeEngine(typesOf(request.stackTemplates));
    const stackTemplates = request.stackTemplates.filter((s) => request.only.includes(s.templatePath));
    reply({ report: plugin.validate({ stackTemplates }) });
  } catch (error) {
    reply({ error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
}

function typesOf(stackTemplates) {
  const types = new Set();
  for (const { templatePath } of stackTemplates) {
    const template = JSON.parse(readFileSync(templatePath, 'utf8'));
    for (const resource of Object.values(template?.Resources ?? {})) {
      if (resource && typeof resource.Type === 'string') types.add(resource.Type);
    }
  }
  return types;
}
