import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary } from '../../lambdas/shared/binaries';
import { freePort } from './ports';
import {
  onProcessExit,
  removeDirSync,
  ServiceStartError,
  signal,
  spawnService,
  startWatchdog,
  waitUntilReady,
} from './process';

export interface StartRedisOptions {
  /** Keep RDB snapshots and the append-only file (in the temp dir). @default false */
  readonly persistence?: boolean;
  /** `maxmemory`, e.g. `'64mb'`. @default unlimited */
  readonly maxmemory?: string;
  /** Extra redis-server arguments, e.g. `['--maxmemory-policy', 'allkeys-lru']`. */
  readonly args?: readonly string[];
  /** Receives every line the server prints. @default discard */
  readonly logger?: (line: string) => void;
  /** How long to wait for PING to answer. @default 15_000 */
  readonly startTimeoutMs?: number;
  /** The redis-server executable. @default looked up on PATH (findBinary) */
  readonly redisServer?: string | undefined;
}

/** A disposable redis-server bound to 127.0.0.1. */
export interface LocalRedis {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
  readonly directory: string;
  readonly pid: number;
  /** SHUTDOWN NOSAVE (SIGTERM/SIGKILL as fallbacks), then removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL (simulates a crash). Call `stop()` later to clean up. */
  kill(): Promise<void>;
}

/**
 * Starts redis-server on a free port of 127.0.0.1 with its working dir in a temp dir.
 * @throws MissingBinaryError when redis-server is not installed.
 * @throws ServiceStartError when it does not answer PING in time.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<LocalRedis> {
  const redisServer = options.redisServer ?? findBinary('redis-server', 'redis-server');
  const directory = mkdtempSync(join(tmpdir(), 'nightshift-redis-'));
  const unregisterDir = onProcessExit(() => removeDirSync(directory));
  try {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      try {
        return await launch(redisServer, directory, port, options, unregisterDir);
      } catch (error) {
        if (attempt < 3 && error instanceof ServiceStartError && error.addressInUse) continue;
        throw error;
      }
    }
  } catch (error) {
    unregisterDir();
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

async function launch(
  redisServer: string,
  directory: string,
  port: number,
  options: StartRedisOptions,
  unregisterDir: () => void,
): Promise<LocalRedis> {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    directory,
    '--daemonize',
    'no',
    '--logfile',
    '',
    ...(options.persistence ? ['--appendonly', 'yes'] : ['--save', '', '--appendonly', 'no']),
    ...(options.maxmemory ? ['--maxmemory', options.maxmemory] : []),
    ...(options.args ?? []),
  ];
  const proc = spawnService(redisServer, args, { cwd: directory, logger: options.logger });
  const unregisterProc = onProcessExit(() => signal(proc.pid, 'SIGKILL'));
  const watchdog = proc.pid > 0 ? startWatchdog(proc.pid, 'SIGTERM', directory) : undefined;
  try {
    await waitUntilReady(
      `redis-server on 127.0.0.1:${port}`,
      proc,
      async () => (await command(port, 'PING', 1_000)).startsWith('+PONG'),
      options.startTimeoutMs ?? 15_000,
    );
  } catch (error) {
    signal(proc.pid, 'SIGKILL');
    await proc.exited;
    signal(watchdog, 'SIGKILL');
    unregisterProc();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (!proc.hasExited()) {
        // SHUTDOWN closes the connection without a reply on success
        await command(port, 'SHUTDOWN NOSAVE', 2_000).catch(() => '');
        if (!(await exitsWithin(proc.exited, 5_000))) {
          signal(proc.pid, 'SIGTERM');
          if (!(await exitsWithin(proc.exited, 5_000))) {
            signal(proc.pid, 'SIGKILL');
            await proc.exited;
          }
        }
      }
      signal(watchdog, 'SIGKILL');
      unregisterProc();
      await rm(directory, { recursive: true, force: true, maxRetries: 3 });
      unregisterDir();
    })();
    return stopping;
  };

  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    directory,
    pid: proc.pid,
    stop,
    async kill() {
      signal(proc.pid, 'SIGKILL');
      await proc.exited;
    },
  };
}

function exitsWithin(exited: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([
    exited.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref()),
  ]);
}

/** Sends one inline command and returns the first reply chunk ('' if the server closed without replying). */
function command(port: number, line: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(new Error(`no reply to ${line.split(' ')[0]} within ${timeoutMs} ms`)),
    );
    socket.once('connect', () => socket.write(`${line}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) socket.end();
    });
    socket.once('error', reject);
    socket.once('close', (hadError) => {
      if (!hadError) resolve(reply);
    });
  });
}
