/**
 * The one way a job opens a PostgreSQL connection with the `pg` driver (health check, maintenance
 * tasks, the backup's table listing and verification): the resolved parameters, the TLS mode mapped
 * the same way everywhere, explicit timeouts, an application name that tells Nightshift's sessions
 * apart in pg_stat_activity, and a client that never crashes the process on a late socket error.
 * pg_dump and pg_restore get the same parameters through their environment (backup/engines/postgres.ts).
 */
import pg from 'pg';
import type { PostgresParams } from './connections';

export interface PgClientOptions {
  /** `application_name`, e.g. "nightshift-health-check". */
  readonly applicationName: string;
  readonly connectTimeoutMs: number;
  /** Client-side `query_timeout` and server-side `statement_timeout` for every query; none when absent. */
  readonly queryTimeoutMs?: number;
  /** Ends the client (and so any pending query) when it aborts. */
  readonly signal?: AbortSignal;
}

/** sslmode → the driver's `ssl`: verify-full checks the certificate against the host name. */
export function pgSsl(mode: PostgresParams['ssl'], host: string): pg.ClientConfig['ssl'] {
  if (mode === 'disable') return false;
  if (mode === 'require') return { rejectUnauthorized: false };
  return { rejectUnauthorized: true, servername: host };
}

/** A client not yet connected (the caller may time `connect()`); the caller ends it. */
export function pgClient(params: PostgresParams, options: PgClientOptions): pg.Client {
  const client = new pg.Client({
    host: params.host,
    port: params.port,
    user: params.user,
    password: params.password,
    database: params.database,
    ssl: pgSsl(params.ssl, params.host),
    connectionTimeoutMillis: options.connectTimeoutMs,
    application_name: options.applicationName,
    ...(options.queryTimeoutMs === undefined
      ? {}
      : { query_timeout: options.queryTimeoutMs, statement_timeout: options.queryTimeoutMs }),
  });
  // a dropped connection after connect surfaces through the pending query, not as a process crash
  client.on('error', () => {});
  const { signal } = options;
  if (signal) {
    const onAbort = () => {
      client.end().catch(() => {});
    };
    signal.addEventListener('abort', onAbort, { once: true });
    client.once('end', () => signal.removeEventListener('abort', onAbort));
  }
  return client;
}

/** Connects, or ends the client and throws the driver's error. */
export async function connectPg(params: PostgresParams, options: PgClientOptions): Promise<pg.Client> {
  const client = pgClient(params, options);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
  return client;
}
