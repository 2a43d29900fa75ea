/**
 * The one pg client recipe (lambdas/shared/pg-client.ts) against a disposable PostgreSQL: the session
 * is named, the query timeout is the server's statement_timeout, an abort ends a pending query, and a
 * refused connect throws and leaves nothing open.
 */
import { describe, expect, it } from 'vitest';
import type { PostgresParams } from '../../../lambdas/shared/connections';
import { connectPg, pgSsl } from '../../../lambdas/shared/pg-client';
import { freePort, withPostgres } from '../../support/services';

describe('pg client', () => {
  const server = withPostgres();
  const params = (): PostgresParams => ({
    host: '127.0.0.1',
    port: server().port,
    user: 'postgres',
    password: '',
    database: 'postgres',
    ssl: 'disable',
  });

  it('names the session and sets the query timeout on the server', async () => {
    const client = await connectPg(params(), {
      applicationName: 'nightshift-test',
      connectTimeoutMs: 5_000,
      queryTimeoutMs: 1_234,
    });
    try {
      const { rows } = await client.query<{ name: string; timeout: string }>(
        "SELECT current_setting('application_name') AS name, current_setting('statement_timeout') AS timeout",
      );
      expect(rows[0]).toEqual({ name: 'nightshift-test', timeout: '1234ms' });
      await expect(client.query('SELECT pg_sleep(5)')).rejects.toThrow(/timeout|canceling statement/);
    } finally {
      await client.end();
    }
  });

  it('ends the client, and so its pending query, when the signal aborts', async () => {
    const abort = new AbortController();
    const client = await connectPg(params(), {
      applicationName: 'nightshift-test',
      connectTimeoutMs: 5_000,
      signal: abort.signal,
    });
    const pending = client.query('SELECT pg_sleep(30)');
    setTimeout(() => abort.abort(), 200);
    await expect(pending).rejects.toThrow();
  });

  it('throws the driver error for a refused connect', async () => {
    const port = await freePort();
    await expect(
      connectPg({ ...params(), port }, { applicationName: 'nightshift-test', connectTimeoutMs: 2_000 }),
    ).rejects.toThrow(/ECONNREFUSED/);
  });

  it('maps sslmode the same way for every job', () => {
    expect(pgSsl('disable', 'db')).toBe(false);
    expect(pgSsl('require', 'db')).toEqual({ rejectUnauthorized: false });
    expect(pgSsl('verify-full', 'db.example.com')).toEqual({
      rejectUnauthorized: true,
      servername: 'db.example.com',
    });
  });
});
