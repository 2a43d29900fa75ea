/**
 * One short Redis session for a check or a task: one connection, no retries, no offline queue, the
 * given timeout for connecting and for each command, dropped when `signal` aborts and disconnected in
 * finally. Shared by the health check and the maintenance tasks.
 */
import { Redis } from 'ioredis';
import type { RedisParams } from './connections';

export interface RedisSessionOptions {
  readonly timeoutMs: number;
  /** CLIENT SETNAME, to tell Nightshift's connections apart on the server. */
  readonly connectionName: string;
  readonly signal: AbortSignal;
}

/**
 * Connects and runs `fn`. ioredis rejects commands with "Connection is closed." and reports the cause
 * (ECONNREFUSED, WRONGPASS) only as an 'error' event: a failed connect throws that cause, and `fn` gets
 * `reason(error)` to do the same for the commands whose failures it reports.
 */
export async function withRedisSession<T>(
  params: RedisParams,
  options: RedisSessionOptions,
  fn: (client: Redis, reason: (error: unknown) => unknown) => Promise<T>,
): Promise<T> {
  const client = new Redis({
    host: params.host,
    port: params.port,
    username: params.username,
    password: params.password,
    db: params.db,
    ...(params.tls ? { tls: { servername: params.host } } : {}),
    connectTimeout: options.timeoutMs,
    commandTimeout: options.timeoutMs,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    retryStrategy: () => null,
    reconnectOnError: () => false,
    connectionName: options.connectionName,
  });
  let cause: unknown;
  client.on('error', (error) => {
    cause ??= error;
  });
  const reason = (error: unknown) => cause ?? error;
  const onAbort = () => client.disconnect();
  options.signal.addEventListener('abort', onAbort, { once: true });
  try {
    try {
      await client.connect();
    } catch (error) {
      throw reason(error);
    }
    return await fn(client, reason);
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    client.disconnect();
  }
}
