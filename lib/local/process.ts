import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * Plumbing shared by the local services: exit-hook backstop, parent-death watchdog, bounded
 * waits, running as an unprivileged user. Not exported from the package index.
 */

type Cleanup = () => void;
const cleanups = new Set<Cleanup>();
let exitHookInstalled = false;

/**
 * Registers a synchronous cleanup that runs on process 'exit' (the backstop when `stop()` was never
 * called). Returns a function that unregisters it.
 */
export function onProcessExit(cleanup: Cleanup): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const fn of cleanups) {
        try {
          fn();
        } catch {
          // best effort: the process is exiting
        }
      }
      cleanups.clear();
    });
  }
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** Sends a signal, ignoring "no such process". */
export function signal(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, sig);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Direct children of `pid` (Linux /proc scan; empty elsewhere). */
export function childPids(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ..." — comm may contain spaces/parens, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // process vanished while scanning
    }
  }
  return children;
}

/** Removes a directory tree, ignoring errors (used from exit hooks). */
export function removeDirSync(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    // best effort
  }
}

/** uid/gid to drop to when running as root (initdb/postgres refuse to run as root). */
export interface ServiceUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/**
 * When running as root, the unprivileged account to run a server as (from /etc/passwd);
 * `undefined` when not root (run as the current user).
 */
export function unprivilegedUser(names: readonly string[] = ['postgres', 'nobody']): ServiceUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n');
  for (const name of names) {
    const fields = passwd.find((line) => line.startsWith(`${name}:`))?.split(':');
    if (fields && fields.length >= 4) {
      return { name, uid: Number(fields[2]), gid: Number(fields[3]) };
    }
  }
  throw new Error(
    `running as root and none of the users ${names.join(', ')} exists — PostgreSQL refuses to run as root; create one (apt-get install postgresql creates "postgres") or run as a normal user`,
  );
}

/** A spawned server process with its output captured line by line. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with the exit code/signal once the process has exited (never rejects). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Whether the process has exited. */
  hasExited(): boolean;
  /** The last lines of stdout/stderr, for error messages. */
  recentOutput(): string;
}

const KEEP_LINES = 40;

export function spawnService(
  command: string,
  args: readonly string[],
  options: {
    cwd: string;
    user?: ServiceUser | undefined;
    env?: NodeJS.ProcessEnv;
    logger?: ((line: string) => void) | undefined;
  },
): ServiceProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
  });
  const lines: string[] = [];
  const collect = (line: string) => {
    lines.push(line);
    if (lines.length > KEEP_LINES) lines.shift();
    options.logger?.(line);
  };
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', collect);
  }
  let exited = false;
  const exitedPromise = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (error) => {
      collect(`spawn ${command} failed: ${error.message}`);
      exited = true;
      resolve({ code: null, signal: null });
    });
    child.once('exit', (code, sig) => {
      exited = true;
      resolve({ code, signal: sig });
    });
  });
  if (child.pid === undefined) {
    // spawn failed synchronously-ish (ENOENT/EACCES): 'error' fires on next tick
    return {
      child,
      pid: -1,
      exited: exitedPromise,
      hasExited: () => true,
      recentOutput: () => lines.join('\n'),
    };
  }
  return {
    child,
    pid: child.pid,
    exited: exitedPromise,
    hasExited: () => exited,
    recentOutput: () => lines.join('\n'),
  };
}

/** Runs a command to completion; rejects with its output when it fails. */
export async function runToCompletion(
  command: string,
  args: readonly string[],
  options: {
    cwd: string;
    user?: ServiceUser | undefined;
    env?: NodeJS.ProcessEnv;
    timeoutMs: number;
    logger?: ((line: string) => void) | undefined;
  },
): Promise<void> {
  const proc = spawnService(command, args, options);
  const timer = setTimeout(() => signal(proc.pid, 'SIGKILL'), options.timeoutMs);
  const { code, signal: sig } = await proc.exited;
  clearTimeout(timer);
  if (code !== 0) {
    const how = sig
      ? `was killed by ${sig}${sig === 'SIGKILL' ? ` (timeout ${options.timeoutMs} ms?)` : ''}`
      : `exited with code ${code}`;
    throw new Error(`${command} ${how}:\n${proc.recentOutput()}`);
  }
}

/**
 * Polls `probe` until it returns true, the process exits, or `timeoutMs` elapses.
 * @throws Error naming the service, with the recent process output.
 */
export async function waitUntilReady(
  what: string,
  proc: ServiceProcess,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (proc.hasExited()) {
      throw new ServiceStartError(what, `exited during startup`, proc.recentOutput());
    }
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new ServiceStartError(
    what,
    `did not accept connections within ${timeoutMs} ms${lastError ? ` (last error: ${lastError})` : ''}`,
    proc.recentOutput(),
  );
}

/** A local service failed to start; `output` holds its last log lines. */
export class ServiceStartError extends Error {
  override readonly name = 'ServiceStartError';
  constructor(
    readonly service: string,
    reason: string,
    readonly output: string,
  ) {
    super(`${service} ${reason}${output ? `\n--- ${service} output ---\n${output}` : ''}`);
  }

  /** Whether the failure was a port race (someone else bound the port first). */
  get addressInUse(): boolean {
    return /address already in use/i.test(this.output);
  }
}

/**
 * Starts a detached shell that waits for this Node process to die (even by SIGKILL, when no exit
 * hook runs) and then stops `pid` (if given) and removes `dir`. It exits by itself once `pid` is
 * gone. Returns the watchdog's pid so `stop()` can end it early.
 */
export function startWatchdog(pid: number | undefined, sig: NodeJS.Signals, dir: string): number | undefined {
  const script = [
    'while kill -0 "$1" 2>/dev/null; do',
    '  if [ "$2" != 0 ]; then kill -0 "$2" 2>/dev/null || exit 0; fi',
    '  sleep 1',
    'done',
    'if [ "$2" != 0 ]; then',
    '  kill -s "$3" "$2" 2>/dev/null',
    '  i=0; while kill -0 "$2" 2>/dev/null && [ $i -lt 10 ]; do sleep 1; i=$((i+1)); done',
    '  kill -s KILL "$2" 2>/dev/null',
    'fi',
    'rm -rf "$4"',
  ].join('\n');
  try {
    const watchdog = spawn(
      'sh',
      [
        '-c',
        script,
        'nightshift-watchdog',
        String(process.pid),
        String(pid ?? 0),
        sig.replace(/^SIG/, ''),
        dir,
      ],
      { detached: true, stdio: 'ignore' },
    );
    watchdog.on('error', () => {});
    watchdog.unref();
    return watchdog.pid;
  } catch {
    return undefined;
  }
}
