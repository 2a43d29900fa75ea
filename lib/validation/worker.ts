/**
 * aws-cdk-lib validates every synthesized template with a WebAssembly CloudFormation validator (the
 * `@aws-cdk/core:validateAgainstDefaultRules` flag makes its errors fail synthesis). Starting that engine
 * costs about a second of CPU, validating the two templates of an example most of another, all on the
 * main thread after the construct tree is built: half of a `nightshift plan` after a config change.
 *
 * So the engine runs in a worker thread (cfn-worker.mjs), started before aws-cdk-lib is even loaded:
 * it starts the engine on the second core while the main thread builds the app, and is ready when
 * synthesis asks (lib/validation/plugin.ts). This module has no aws-cdk-lib import, so that the worker
 * can start first. A template that validated without any finding is remembered by its content hash
 * (ValidTemplates) and not validated again: the engine is deterministic for a template, its rules and
 * the validator version, which are all in the key.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { writeFileAtomic } from '../cache.mjs';

/** The repository (or installed package) root. */
const ROOT = resolve(import.meta.dirname, '..', '..');

/** One stack's template as aws-cdk-lib hands it to a validation plugin (PolicyValidationStack). */
export interface StackTemplateRef {
  readonly stackConstructPath: string;
  readonly templatePath: string;
  readonly accountId?: string | undefined;
  readonly region?: string | undefined;
}

/** The plugin's report (PolicyValidationPluginReport), as plain data from the worker. */
export interface WorkerReport {
  readonly success: boolean;
  readonly violations: { readonly severity?: string }[];
}

export type WorkerAnswer = { readonly report: WorkerReport } | { readonly error: string };

/** How long a validation may take before the main thread gives up on the worker and validates itself. */
const REPLY_TIMEOUT_MS = 5 * 60_000;

/** A CloudFormation validation engine in a worker thread, answering synchronously. */
export class CfnValidationWorker {
  /**
   * Starts the worker; the engine starts at once when `earlier.types` names the types of the templates
   * to come (a superset is fine), else at the first request, and validates `earlier.warmUp` if given.
   */
  static start(earlier: EarlierTemplates = { types: new Set() }): CfnValidationWorker {
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(join(import.meta.dirname, 'cfn-worker.mjs'), {
      workerData: { port: port2, signal, resourceTypes: [...earlier.types], warmUp: earlier.warmUp },
      transferList: [port2],
    });
    // an idle worker never keeps the process alive; close() ends it when synthesis is done
    worker.unref();
    port1.unref();
    return new CfnValidationWorker(worker, port1, signal);
  }

  private closed = false;

  private constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    private readonly signal: Int32Array,
  ) {
    // A worker that dies answers no request: the timeout below then hands the validation back.
    worker.on('error', () => {});
  }

  /** Validates the templates in `only` (paths), with the rules the engine picks for all `stackTemplates`. */
  validate(stackTemplates: readonly StackTemplateRef[], only: readonly string[]): WorkerAnswer {
    if (!this.post(stackTemplates, only)) return { error: 'the validation worker is closed' };
    // a plugin's validate() is synchronous: block until the worker has posted its answer
    return this.answer(Atomics.wait(this.signal, 0, 0, REPLY_TIMEOUT_MS));
  }

  /** The same without blocking: the answer arrives while this thread goes on. */
  async validateLater(
    stackTemplates: readonly StackTemplateRef[],
    only: readonly string[],
  ): Promise<WorkerAnswer> {
    if (!this.post(stackTemplates, only)) return { error: 'the validation worker is closed' };
    // Atomics.waitAsync alone does not keep the process alive: the worker must, until it has answered
    this.worker.ref();
    try {
      const wait = Atomics.waitAsync(this.signal, 0, 0, REPLY_TIMEOUT_MS);
      return this.answer(wait.async ? await wait.value : wait.value);
    } finally {
      this.worker.unref();
    }
  }

  private post(stackTemplates: readonly StackTemplateRef[], only: readonly string[]): boolean {
    if (this.closed) return false;
    Atomics.store(this.signal, 0, 0);
    this.port.postMessage({ stackTemplates: stackTemplates.map((s) => ({ ...s })), only: [...only] });
    return true;
  }

  private answer(wait: 'ok' | 'not-equal' | 'timed-out'): WorkerAnswer {
    if (wait === 'timed-out') {
      void this.close();
      return { error: 'the validation worker did not answer' };
    }
    const message = receiveMessageOnPort(this.port)?.message as WorkerAnswer | undefined;
    return message ?? { error: 'the validation worker answered nothing' };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
    await this.worker.terminate();
  }
}

// ---------------------------------------------------------------------------------------------

const requireHere = createRequire(import.meta.filename);

/** The installed aws-cdk-lib's and its CloudFormation validator's versions (package.json, no WASM). */
export function validatorVersions(): { readonly cdk: string; readonly validator: string } {
  const cdkPackage = requireHere.resolve('aws-cdk-lib/package.json');
  const validatorPackage = createRequire(cdkPackage).resolve('@aws/cloudformation-validate/package.json');
  const version = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  return { cdk: version(cdkPackage), validator: version(validatorPackage) };
}

/** The resource types in a template's text. */
export function resourceTypesOf(text: string): Set<string> {
  const types = new Set<string>();
  try {
    const template = JSON.parse(text) as { Resources?: Record<string, { Type?: unknown } | null> };
    for (const resource of Object.values(template?.Resources ?? {})) {
      if (resource && typeof resource.Type === 'string') types.add(resource.Type);
    }
  } catch {
    // not JSON: no types (the validator reports the template itself)
  }
  return types;
}

/** What the templates synthesized before tell the worker (see earlierTemplates). */
export interface EarlierTemplates {
  /** Their resource types: the engine to start. */
  readonly types: Set<string>;
  /** The largest template of the newest synthesis: validated once to warm the engine up. */
  readonly warmUp?: unknown;
}

/**
 * The templates synthesized before: the plan cache's entries and the templates in cdk.out. Their
 * resource types predict the next templates' well (a config change rarely adds a resource type), so the
 * worker can start the right engine before synthesis; a type outside them only costs a restart. And
 * validating the newest one while the main thread builds the app roughly halves the time the next
 * validation takes (the engine's WebAssembly is compiled lazily, function by function, and optimized
 * as it runs).
 */
export function earlierTemplates(cacheDir: string, root: string = ROOT): EarlierTemplates {
  const types = new Set<string>();
  let warmUp: { template: unknown; size: number; mtime: number } | undefined;
  const add = (template: unknown, mtime: number) => {
    const resources = Object.values(
      (template as { Resources?: Record<string, { Type?: unknown } | null> } | null)?.Resources ?? {},
    );
    for (const resource of resources) {
      if (resource && typeof resource.Type === 'string') types.add(resource.Type);
    }
    const newer = !warmUp || mtime > warmUp.mtime;
    if (newer || (mtime === warmUp?.mtime && resources.length > warmUp.size)) {
      warmUp = { template, size: resources.length, mtime };
    }
  };
  for (const name of listDir(cacheDir)) {
    if (!name.startsWith('templates-') || !name.endsWith('.json')) continue;
    const file = join(cacheDir, name);
    const entry = parseOrUndefined(safeRead(file));
    const mtime = mtimeOf(file);
    for (const stack of Array.isArray(entry) ? entry : [])
      add((stack as { template?: unknown }).template, mtime);
  }
  const cdkOut = join(root, 'cdk.out');
  for (const name of listDir(cdkOut)) {
    const file = join(cdkOut, name);
    if (name.endsWith('.template.json')) add(parseOrUndefined(safeRead(file)), mtimeOf(file));
  }
  return { types, ...(warmUp ? { warmUp: warmUp.template } : {}) };
}

function mtimeOf(file: string): number {
  try {
    return Math.floor(statSync(file).mtimeMs / 1000); // one synthesis's files share the second
  } catch {
    return 0;
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // a corrupt or absent file predicts nothing
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------

/** Keys kept in the file; the oldest beyond this are dropped when one is added. */
const KEEP_VALID = 256;

/**
 * Templates the validator found nothing in, by a SHA-256 of everything its answer depends on: the
 * template text, the account and region it is validated for, the resource types of the whole app (they
 * choose the engine's rules) and the versions of aws-cdk-lib (its rules) and of the validator.
 */
export class ValidTemplates {
  private keys: string[] | undefined;
  private readonly versions = validatorVersions();

  constructor(private readonly file: string) {}

  key(
    template: string,
    stack: Pick<StackTemplateRef, 'accountId' | 'region'>,
    appTypes: Set<string>,
  ): string {
    return createHash('sha256')
      .update(
        JSON.stringify({
          ...this.versions,
          account: stack.accountId ?? null,
          region: stack.region ?? null,
          types: [...appTypes].sort(),
        }),
      )
      .update('\0')
      .update(template)
      .digest('hex');
  }

  has(key: string): boolean {
    return this.load().includes(key);
  }

  /** Remembers keys; a failure to write is ignored (the file only saves time). */
  add(keys: readonly string[]): void {
    const kept = [...this.load().filter((k) => !keys.includes(k)), ...keys].slice(-KEEP_VALID);
    this.keys = kept;
    try {
      writeFileAtomic(this.file, JSON.stringify(kept)); // a concurrent reader sees the old list or the new
    } catch {
      // read-only or full disk
    }
  }

  private load(): string[] {
    if (this.keys) return this.keys;
    try {
      if (statSync(this.file).isFile()) {
        const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as unknown;
        this.keys = Array.isArray(parsed) ? parsed.filter((k): k is string => typeof k === 'string') : [];
        return this.keys;
      }
    } catch {
      // absent or corrupt: nothing known
    }
    this.keys = [];
    return this.keys;
  }
}
