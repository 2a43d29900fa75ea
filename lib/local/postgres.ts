import { chownSync, existsSync, mkdtempSync, realpathSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { findBinary, MissingBinaryError } from '../../lambdas/shared/binaries';
import { freePort } from './ports';
import {
  childPids,
  onProcessExit,
  removeDirSync,
  runToCompletion,
  type ServiceProcess,
  ServiceStartError,
  signal,
  spawnService,
  startWatchdog,
  unprivilegedUser,
  waitUntilReady,
} from './process';

export interface StartPostgresOptions {
  /** Receives every line the server (and initdb) prints. @default discard */
  readonly logger?: (line: string) => void;
  /** Extra server settings passed as `-c name=value`, e.g. `{ max_connections: '20' }`. */
  readonly settings?: Readonly<Record<string, string>>;
  /** How long to wait for the server to accept connections. @default 30_000 */
  readonly startTimeoutMs?: number;
}

/** A disposable PostgreSQL server: trust auth, listening on 127.0.0.1 only, data in a temp dir. */
export interface LocalPostgres {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly user: 'postgres';
  readonly database: 'postgres';
  /** `postgres://postgres@127.0.0.1:PORT/postgres` (no password: trust auth). */
  readonly url: string;
  /** Directory of the server binaries (pg_dump/pg_restore of the same major usually live here). */
  readonly binDir: string;
  /** Server major version, e.g. 15. */
  readonly version: number;
  /** Temp directory holding the data directory and the unix socket. */
  readonly directory: string;
  /** Postmaster pid. */
  readonly pid: number;
  /** Fast shutdown, then removes the temp dir. Idempotent; safe after `kill()`. */
  stop(): Promise<void>;
  /** SIGKILLs the postmaster and its children (simulates a crash). Call `stop()` later to clean up. */
  kill(): Promise<void>;
  /** Creates a database and returns its connection URL. */
  createDatabase(name: string): Promise<string>;
}

const DEFAULT_SETTINGS: Readonly<Record<string, string>> = {
  // disposable: durability does not matter, speed does
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  logging_collector: 'off',
};

/**
 * initdb into a fresh temp dir and start PostgreSQL on a free port of 127.0.0.1.
 * As root, runs initdb/postgres as the `postgres` system user (they refuse to run as root).
 *
 * @throws MissingBinaryError when initdb/postgres are not installed.
 * @throws ServiceStartError when the server does not come up (message includes its log).
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<LocalPostgres> {
  // /usr/local/bin/initdb may be a symlink into /usr/lib/postgresql/<major>/bin: resolve it so the
  // matching postgres (and pg_dump/pg_restore of the same major) are found next to it.
  const binDir = dirname(realpathSync(findBinary('initdb', 'postgresql')));
  const initdb = join(binDir, 'initdb');
  const postgres = join(binDir, 'postgres');
  if (!existsSync(postgres)) {
    throw new MissingBinaryError('postgres', 'postgresql', [binDir]);
  }
  const user = unprivilegedUser(['postgres']);
  const directory = mkdtempSync(join(tmpdir(), 'nightshift-pg-'));
  const unregisterDir = onProcessExit(() => removeDirSync(directory));
  try {
    if (user) chownSync(directory, user.uid, user.gid);
    const dataDir = join(directory, 'data');
    const env = { ...process.env, LC_ALL: 'C', LANG: 'C', PGTZ: 'UTC' };
    await runToCompletion(
      initdb,
      [
        '--pgdata',
        dataDir,
        '--username',
        'postgres',
        '--auth',
        'trust',
        '--encoding',
        'UTF8',
        '--locale',
        'C',
        '--no-sync',
        '--no-instructions',
      ],
      { cwd: directory, user, env, timeoutMs: 60_000, logger: options.logger },
    );
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      try {
        return await launch({
          postgres,
          binDir,
          dataDir,
          directory,
          port,
          user,
          env,
          options,
          unregisterDir,
        });
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

async function launch(ctx: {
  postgres: string;
  binDir: string;
  dataDir: string;
  directory: string;
  port: number;
  user: ReturnType<typeof unprivilegedUser>;
  env: NodeJS.ProcessEnv;
  options: StartPostgresOptions;
  unregisterDir: () => void;
}): Promise<LocalPostgres> {
  const { directory, port, options } = ctx;
  const settings = {
    ...DEFAULT_SETTINGS,
    ...options.settings,
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: directory,
  };
  const args = [
    '-D',
    ctx.dataDir,
    ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
  ];
  const proc = spawnService(ctx.postgres, args, {
    cwd: directory,
    user: ctx.user,
    env: ctx.env,
    logger: options.logger,
  });
  const killTree = () => killPostgresTree(proc);
  const unregisterProc = onProcessExit(killTree);
  const watchdog = proc.pid > 0 ? startWatchdog(proc.pid, 'SIGQUIT', directory) : undefined;
  const connect = async (database = 'postgres') => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'postgres',
      database,
      connectionTimeoutMillis: 2_000,
    });
    client.on('error', () => {}); // a killed server must not crash the host process
    await client.connect();
    return client;
  };
  const query = async (sql: string): Promise<pg.QueryResult> => {
    const client = await connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end().catch(() => {});
    }
  };

  let version = 0;
  try {
    const timeoutMs = options.startTimeoutMs ?? 30_000;
    await waitUntilReady(
      `postgres on 127.0.0.1:${port}`,
      proc,
      async () => {
        const result = await query('SHOW server_version_num');
        version = Math.floor(Number(result.rows[0]?.server_version_num) / 10_000);
        return true;
      },
      timeoutMs,
    );
  } catch (error) {
    killTree();
    await proc.exited;
    signal(watchdog, 'SIGKILL');
    unregisterProc();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (!proc.hasExited()) {
        signal(proc.pid, 'SIGINT'); // fast shutdown: abort transactions, disconnect clients, checkpoint
        const done = await Promise.race([proc.exited.then(() => true), sleep(15_000).then(() => false)]);
        if (!done) {
          killTree();
          await proc.exited;
        }
      }
      signal(watchdog, 'SIGKILL');
      unregisterProc();
      await rm(directory, { recursive: true, force: true, maxRetries: 3 });
      ctx.unregisterDir();
    })();
    return stopping;
  };

  return {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    database: 'postgres',
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    binDir: ctx.binDir,
    version,
    directory,
    pid: proc.pid,
    stop,
    async kill() {
      killTree();
      await proc.exited;
    },
    async createDatabase(name: string) {
      await query(`CREATE DATABASE ${quoteIdentifier(name)}`);
      return `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(name)}`;
    },
  };
}

/** SIGKILL the postmaster and its backends (children are collected first, before they are orphaned). */
function killPostgresTree(proc: ServiceProcess): void {
  if (proc.hasExited()) return;
  const children = childPids(proc.pid);
  signal(proc.pid, 'SIGKILL');
  for (const child of children) signal(child, 'SIGKILL');
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
