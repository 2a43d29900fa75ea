/**
 * Running a dump/restore tool (pg_dump, mongodump, redis-cli, …) as a child process: stdout is the data
 * stream, stderr is logged line by line with secrets redacted, and `done` settles only once the process
 * has exited — rejecting with ToolFailed when it exits non-zero, is killed, or writes an error line.
 * Credentials go through the child's environment or an extra pipe (fd 3), never through argv.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { PassThrough } from 'node:stream';
import type { Log } from '../shared/log';
import { redact } from '../shared/redact';

/** A dump or restore tool failed; `stderr` holds its last (redacted) lines. */
export class ToolFailed extends Error {
  override readonly name = 'ToolFailed';
  constructor(
    readonly tool: string,
    readonly how: string,
    readonly stderr: string,
  ) {
    super(`${tool} ${how}${stderr ? `: ${stderr}` : ''}`);
  }
}

/** The tool binary is missing or not executable. */
export class ToolMissing extends Error {
  override readonly name = 'ToolMissing';
  constructor(
    readonly tool: string,
    reason: string,
  ) {
    super(
      `cannot run ${tool}: ${reason} — install it (the Nightshift backup image ships it) or point deps.tools at it`,
    );
  }
}

export interface ToolOptions {
  /** Short name for messages, e.g. "pg_dump". */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Variables added to a scrubbed copy of process.env (credentials go here, e.g. PGPASSWORD). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Names of inherited variables to drop (e.g. every PG* variable of the parent). */
  readonly dropEnv?: RegExp;
  /** Values redacted from every logged line and error. */
  readonly secrets: readonly (string | undefined)[];
  readonly log: Log;
  /** stderr lines that mean failure even when the exit code is 0. */
  readonly errorLine?: RegExp;
  /** stderr lines that are noise (progress) and logged at debug. */
  readonly quietLine?: RegExp;
  /** Whether stdin is a pipe the caller writes (restores) or ignored (dumps). @default 'ignore' */
  readonly stdin?: 'pipe' | 'ignore';
  /** Bytes written to an extra pipe on fd 3 then closed (config files with credentials). */
  readonly fd3?: string;
  /**
   * Buffer the tool's stdout (C stdio) in blocks of this many bytes, through coreutils' libstdbuf
   * (what `stdbuf -o` does) when it is installed; a no-op otherwise. pg_dump writes its archive with
   * fwrite, which flushes every 4 KiB into a pipe: ≈ 250,000 writes per GB, each waking the event
   * loop for one small read. In 1 MiB blocks the same dump costs ≈ 12 % less CPU (bench/backup).
   */
  readonly stdoutBlockBytes?: number;
}

/** Where distributions install coreutils' libstdbuf.so (Debian/Ubuntu, Amazon Linux/RHEL, others). */
export const LIBSTDBUF_PATHS = [
  '/usr/libexec/coreutils/libstdbuf.so',
  '/usr/lib/coreutils/libstdbuf.so',
  '/usr/lib64/coreutils/libstdbuf.so',
  '/usr/lib/x86_64-linux-gnu/coreutils/libstdbuf.so',
  '/usr/lib/aarch64-linux-gnu/coreutils/libstdbuf.so',
];

/** The first readable libstdbuf.so of `paths`, or undefined. */
export function findLibstdbuf(paths: readonly string[] = LIBSTDBUF_PATHS): string | undefined {
  return paths.find(readable);
}

let installed: string | null | undefined;
/** This machine's libstdbuf.so, looked up once per process. */
function installedLibstdbuf(): string | undefined {
  installed ??= findLibstdbuf() ?? null;
  return installed ?? undefined;
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** The variables that make a C program's stdout fully buffered in `bytes` blocks (libstdbuf). */
export function stdoutBlockEnv(
  bytes: number,
  inherited: Readonly<Record<string, string | undefined>>,
  library: string | null = installedLibstdbuf() ?? null,
): Record<string, string> {
  if (!library) return {};
  const preload = inherited.LD_PRELOAD ? `${inherited.LD_PRELOAD}:${library}` : library;
  return { LD_PRELOAD: preload, _STDBUF_O: String(bytes) };
}

export interface RunningTool {
  readonly stdout: Readable;
  readonly stdin: Writable | null;
  /** Settles once the process has exited; rejects with ToolFailed/ToolMissing. */
  readonly done: Promise<void>;
  /** Kills the tool (SIGTERM, SIGKILL after 2 s); idempotent. */
  stop(): void;
  readonly child: ChildProcess;
}

const KEEP = 20;

export function runTool(options: ToolOptions): RunningTool {
  const env: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) if (!options.dropEnv?.test(k)) env[k] = v;
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
  if (options.stdoutBlockBytes) Object.assign(env, stdoutBlockEnv(options.stdoutBlockBytes, env));
  const stdio: ('pipe' | 'ignore')[] = [options.stdin ?? 'ignore', 'pipe', 'pipe'];
  if (options.fd3 !== undefined) stdio.push('pipe');
  const child = spawn(options.command, [...options.args], { env, stdio });
  const tail: string[] = [];
  let errorSeen: string | undefined;
  let stopTimer: NodeJS.Timeout | undefined;
  const stop = () => {
    if (child.exitCode !== null || child.signalCode !== null || child.killed) return;
    child.kill('SIGTERM');
    stopTimer = setTimeout(() => child.kill('SIGKILL'), 2_000);
    stopTimer.unref();
  };
  if (child.stderr) {
    createInterface({ input: child.stderr }).on('line', (raw) => {
      const line = redact(raw, options.secrets);
      if (!line.trim()) return;
      tail.push(line);
      if (tail.length > KEEP) tail.shift();
      if (options.errorLine?.test(line)) {
        options.log.error(`${options.name}: ${line}`);
        if (!errorSeen) {
          errorSeen = line;
          stop();
        }
      } else if (options.quietLine?.test(line)) options.log.debug(`${options.name}: ${line}`);
      else options.log.info(`${options.name}: ${line}`);
    });
  }
  if (options.fd3 !== undefined) {
    const pipe = child.stdio[3] as Writable | null | undefined;
    pipe?.on('error', () => {}); // the tool may exit before reading it; the exit code tells
    pipe?.end(options.fd3);
  }
  child.stdin?.on('error', () => {}); // EPIPE when the tool dies: reported through `done`
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT' || error.code === 'EACCES'
          ? new ToolMissing(options.name, `${options.command}: ${error.code}`)
          : new ToolFailed(options.name, `could not start (${error.message})`, ''),
      );
    });
    child.once('close', (code, signal) => {
      if (stopTimer) clearTimeout(stopTimer);
      const stderr = tail.slice(-5).join(' | ');
      if (errorSeen) reject(new ToolFailed(options.name, `reported an error`, errorSeen));
      else if (code === 0) resolve();
      else
        reject(
          new ToolFailed(
            options.name,
            signal ? `was killed by ${signal}` : `exited with code ${code}`,
            stderr,
          ),
        );
    });
  });
  done.catch(() => {}); // observed by the caller; never an unhandled rejection
  if (!child.stdout) throw new ToolFailed(options.name, 'has no stdout', '');
  // Node resumes, and so discards, a child's unread stdout once the child exits (child_process'
  // flushStdio): a small dump (pg_dumpall --globals-only) that finishes before its upload attaches a
  // reader would arrive empty. Reading it at once into our own buffer keeps every byte; when that buffer
  // is full, backpressure pauses the pipe and the tool waits, as before.
  const stdout = new PassThrough({ highWaterMark: 1024 * 1024 });
  child.stdout.on('error', (error) => stdout.destroy(error));
  child.stdout.pipe(stdout);
  return { stdout, stdin: child.stdin, done, stop, child };
}

/** Runs a tool to completion and returns its stdout as text (version probes, small outputs). */
export async function toolOutput(options: ToolOptions): Promise<string> {
  const tool = runTool(options);
  const chunks: Buffer[] = [];
  tool.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  await tool.done;
  return Buffer.concat(chunks).toString('utf8');
}
