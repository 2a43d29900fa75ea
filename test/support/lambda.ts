/**
 * Runs real Lambda handlers as deployed: bundled with the esbuild settings the construct uses
 * (handlerBundleOptions in lib/constructs/bundle.ts), then invoked once in a child Node
 * process (lambda-runner.mjs) with a given event and exactly the environment the caller passes
 * (the template's variables plus local endpoints), never the test process's own environment.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { handlerBundleOptions } from '../../lib/constructs/bundle';
import { type EmittedMetric, emfMetrics } from './emf';
import { runProcess } from './process';

const RUNNER = resolve(import.meta.dirname, 'lambda-runner.mjs');

/** Bundles each entry (name → TypeScript handler) into `<dir>/<name>.mjs`; returns name → bundle path. */
export async function bundleHandlers(
  entries: Record<string, string>,
  dir: string,
): Promise<Record<string, string>> {
  await build({
    ...handlerBundleOptions(),
    entryPoints: entries,
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'error',
  });
  return Object.fromEntries(Object.keys(entries).map((name) => [name, join(dir, `${name}.mjs`)]));
}

export interface InvokeOptions {
  readonly bundle: string;
  readonly event: unknown;
  /** The function's environment: the template's variables and local endpoints. */
  readonly env: Record<string, string>;
  readonly functionName: string;
  /** @default 60 s */
  readonly timeoutMs?: number;
}

export interface Invocation {
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: { readonly name?: string; readonly message: string };
  readonly stdout: string;
  readonly stderr: string;
  /** The EMF metrics in stdout. */
  readonly metrics: EmittedMetric[];
  /** Wall time of the child process, cold start included. */
  readonly durationMs: number;
}

/** Invokes the bundled handler once in a fresh Node process (a cold start). */
export async function invokeHandler(options: InvokeOptions): Promise<Invocation> {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-invoke-'));
  try {
    const eventFile = join(dir, 'event.json');
    const outcomeFile = join(dir, 'outcome.json');
    writeFileSync(eventFile, JSON.stringify(options.event));
    const timeoutMs = options.timeoutMs ?? 60_000;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      // s3rver's own key pair: s3rver checks signatures, the fake AWS endpoint does not.
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_LAMBDA_FUNCTION_NAME: options.functionName,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      TZ: 'UTC',
      ...options.env,
    };
    const started = Date.now();
    const { code, stdout, stderr } = await runProcess(
      process.execPath,
      [RUNNER, options.bundle, eventFile, String(timeoutMs), outcomeFile],
      { env, timeoutMs: timeoutMs + 10_000 },
    );
    let outcome: { ok: boolean; result?: unknown; error?: { name?: string; message: string } };
    try {
      outcome = JSON.parse(readFileSync(outcomeFile, 'utf8')) as typeof outcome;
    } catch {
      outcome = { ok: false, error: { message: `runner exited with ${code} before the handler returned` } };
    }
    return { ...outcome, stdout, stderr, metrics: emfMetrics(stdout), durationMs: Date.now() - started };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
