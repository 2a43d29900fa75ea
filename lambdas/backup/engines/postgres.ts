/**
 * PostgreSQL: `pg_dump -Fc -Z0` (custom format, uncompressed — our zstd is faster than pg_dump's gzip)
 * inside an exported snapshot, so the row counts in the manifest are those of the dump. Optional
 * `pg_dumpall --globals-only` (roles, tablespaces) beside it. The password reaches the tools only through
 * PGPASSWORD in the child's environment.
 */
import type { Writable } from 'node:stream';
import type pg from 'pg';
import { findBinary, postgresBinDirs } from '../../shared/binaries';
import { describePostgres, type PostgresParams } from '../../shared/connections';
import type { Log } from '../../shared/log';
import { connectPg } from '../../shared/pg-client';
import { HEADERS } from '../../shared/stream-upload';
import { type RunningTool, runTool, toolOutput } from '../tool';
import type { CountEntry, Counts, DumpPlan, DumpStream, EngineContext, ToolPaths } from './types';

/** pg_dump's stdout in 1 MiB writes instead of 4 KiB ones (lambdas/backup/tool.ts stdoutBlockBytes). */
const PG_DUMP_STDOUT_BLOCK = 1024 * 1024;

/** pg_dump is older than the server: it refuses to dump it. */
export class PgDumpTooOld extends Error {
  override readonly name = 'PgDumpTooOld';
  constructor(
    readonly pgDumpMajor: number,
    readonly serverMajor: number,
    readonly target: string,
  ) {
    super(
      `pg_dump ${pgDumpMajor} cannot dump ${target}, which runs PostgreSQL ${serverMajor} — pg_dump must be at least the server's major version: install postgresql-client-${serverMajor} (or newer) or rebuild the backup image`,
    );
  }
}

/** Tables whose heap is below this many pages are counted exactly; bigger ones use pg_class.reltuples. */
const EXACT_COUNT_MAX_PAGES = 4096; // 32 MiB

const CONNECT_TIMEOUT_MS = 10_000;

export function pgTool(tools: ToolPaths, name: 'pg_dump' | 'pg_dumpall' | 'pg_restore' | 'psql'): string {
  const given = {
    pg_dump: tools.pgDump,
    pg_dumpall: tools.pgDumpall,
    pg_restore: tools.pgRestore,
    psql: tools.psql,
  }[name];
  // the newest /usr/lib/postgresql/<major>/bin first: Debian's /usr/bin wrappers may pick an older one
  return given ?? findBinary(name, 'postgresql-client', postgresBinDirs());
}

/** "pg_dump (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)" → 15 (9.6 → 9). */
export function parseToolMajor(versionLine: string): { major: number; version: string } {
  const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(versionLine);
  if (!match?.[1]) throw new Error(`cannot read the version from "${versionLine.trim().slice(0, 80)}"`);
  const first = Number(match[1]);
  return { major: first, version: versionLine.trim().replace(/^.*\(PostgreSQL\)\s+/, '') };
}

export function toolEnv(p: PostgresParams): Record<string, string | undefined> {
  return {
    PGPASSWORD: p.password,
    PGSSLMODE: p.ssl,
    PGCONNECT_TIMEOUT: String(CONNECT_TIMEOUT_MS / 1000),
    PGAPPNAME: 'nightshift',
  };
}

export function connectionArgs(p: PostgresParams): string[] {
  return ['--host', p.host, '--port', String(p.port), '--username', p.user, '--no-password'];
}

const DROP_PG_ENV = /^PG/;
const PG_ERROR = /\b(error|fatal|FATAL|ERROR):/;

function pgClient(p: PostgresParams): Promise<pg.Client> {
  return connectPg(p, { applicationName: 'nightshift', connectTimeoutMs: CONNECT_TIMEOUT_MS });
}

/** User tables whose data pg_dump writes (ordinary tables and partitions, not extension members). */
const TABLES_SQL = `
  SELECT n.nspname AS schema, c.relname AS name, c.reltuples::float8 AS reltuples, c.relpages AS relpages
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r'
    AND n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
  ORDER BY 1, 2`;

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Row counts of every user table: exact for small tables (or `exact: true`), reltuples for big ones. */
export async function countRows(client: pg.Client, options: { exact?: boolean } = {}): Promise<Counts> {
  const tables = await client.query<{ schema: string; name: string; reltuples: number; relpages: number }>(
    TABLES_SQL,
  );
  const items: CountEntry[] = [];
  for (const t of tables.rows) {
    const name = `${t.schema}.${t.name}`;
    if (options.exact || t.relpages <= EXACT_COUNT_MAX_PAGES || t.reltuples < 0) {
      const result = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${quoteIdent(t.schema)}.${quoteIdent(t.name)}`,
      );
      items.push({ name, count: Number(result.rows[0]?.n ?? 0), exact: true });
    } else {
      items.push({ name, count: Math.round(t.reltuples), exact: false });
    }
  }
  return { unit: 'rows', items };
}

export async function preparePostgres(
  p: PostgresParams,
  options: { globals: boolean; secrets: readonly string[] },
  context: EngineContext,
): Promise<DumpPlan> {
  const { log } = context;
  const pgDump = pgTool(context.tools, 'pg_dump');
  const toolLine = await toolOutput({
    name: 'pg_dump',
    command: pgDump,
    args: ['--version'],
    secrets: [],
    log,
  });
  const tool = parseToolMajor(toolLine);
  const client = await pgClient(p);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await client.query('COMMIT').catch(() => {});
    await client.end().catch(() => {});
  };
  try {
    const versionRow = await client.query<{ num: string; text: string; size: string }>(
      `SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS text,
              pg_database_size(current_database())::text AS size`,
    );
    const row = versionRow.rows[0];
    const serverMajor = Math.floor(Number(row?.num) / 10_000);
    if (tool.major < serverMajor) throw new PgDumpTooOld(tool.major, serverMajor, describePostgres(p));
    // One snapshot for the counts and the dump: the manifest describes exactly what was dumped.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    let snapshot: string | undefined;
    try {
      snapshot = (await client.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]?.s;
    } catch (error) {
      // standbys before PostgreSQL 10 and some poolers cannot export snapshots: counts are then approximate
      log.warn('cannot export a snapshot; counts are taken just before the dump', {
        reason: (error as Error).message,
      });
      await client.query('ROLLBACK');
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    }
    const counts = await countRows(client);
    const databaseBytes = Number(row?.size ?? 0);
    const streams: DumpStream[] = [
      {
        role: 'data',
        ext: 'pgdump',
        header: HEADERS.pgCustom,
        expectedBytes: databaseBytes,
        start: () =>
          sourceOf(
            runTool({
              name: 'pg_dump',
              command: pgDump,
              args: [
                '--format=custom',
                '--compress=0',
                ...(snapshot ? [`--snapshot=${snapshot}`] : []),
                ...connectionArgs(p),
                '--dbname',
                p.database,
              ],
              env: toolEnv(p),
              dropEnv: DROP_PG_ENV,
              secrets: options.secrets,
              log,
              errorLine: PG_ERROR,
              stdoutBlockBytes: PG_DUMP_STDOUT_BLOCK,
            }),
          ),
      },
    ];
    if (options.globals) streams.push(globalsStream(p, options.secrets, context));
    return {
      serverVersion: row?.text ?? String(serverMajor),
      toolVersion: `pg_dump ${tool.version}`,
      counts,
      details: { database: p.database, snapshot: snapshot !== undefined, databaseBytes },
      streams,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

function globalsStream(p: PostgresParams, secrets: readonly string[], context: EngineContext): DumpStream {
  const pgDumpall = pgTool(context.tools, 'pg_dumpall');
  return {
    role: 'globals',
    ext: 'globals.sql',
    header: HEADERS.sqlText,
    expectedBytes: 1024 * 1024,
    start: () =>
      sourceOf(
        runTool({
          name: 'pg_dumpall',
          command: pgDumpall,
          // managed servers (RDS, Cloud SQL) do not let anyone read pg_authid: dump roles without passwords
          args: ['--globals-only', '--no-role-passwords', ...connectionArgs(p), '--database', p.database],
          env: toolEnv(p),
          dropEnv: DROP_PG_ENV,
          secrets,
          log: context.log,
          errorLine: PG_ERROR,
        }),
      ),
  };
}

export function sourceOf(tool: RunningTool) {
  return { stream: tool.stdout, done: tool.done, stop: tool.stop };
}

// ------------------------------------------------------------------------------------------------
// Restore side
// ------------------------------------------------------------------------------------------------

/** Number of user relations (tables, views, sequences, …) — 0 means an empty database. */
export async function postgresObjectCount(p: PostgresParams): Promise<number> {
  const client = await pgClient(p);
  try {
    const result = await client.query<{ n: string }>(`
      SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r','p','v','m','S','f')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'`);
    return Number(result.rows[0]?.n ?? 0);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Empties a scratch database: drops every non-system schema, recreates `public`. */
export async function wipePostgres(p: PostgresParams): Promise<void> {
  const client = await pgClient(p);
  try {
    const schemas = await client.query<{ nspname: string }>(`
      SELECT nspname FROM pg_namespace
      WHERE nspname NOT IN ('pg_catalog', 'information_schema')
        AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp%'`);
    for (const s of schemas.rows) await client.query(`DROP SCHEMA ${quoteIdent(s.nspname)} CASCADE`);
    await client.query('CREATE SCHEMA IF NOT EXISTS public');
  } finally {
    await client.end().catch(() => {});
  }
}

export async function countPostgres(p: PostgresParams): Promise<Counts> {
  const client = await pgClient(p);
  try {
    return await countRows(client, { exact: true });
  } finally {
    await client.end().catch(() => {});
  }
}

/** Starts pg_restore reading a custom-format archive on stdin, in one transaction. */
export function startPgRestore(
  p: PostgresParams,
  options: { clean: boolean; noOwner: boolean; secrets: readonly string[]; tools: ToolPaths; log: Log },
): RunningTool & { stdin: Writable } {
  const tool = runTool({
    name: 'pg_restore',
    command: pgTool(options.tools, 'pg_restore'),
    args: [
      '--single-transaction',
      '--exit-on-error',
      ...(options.clean ? ['--clean', '--if-exists'] : []),
      ...(options.noOwner ? ['--no-owner', '--no-privileges'] : []),
      ...connectionArgs(p),
      '--dbname',
      p.database,
    ],
    env: toolEnv(p),
    dropEnv: DROP_PG_ENV,
    secrets: options.secrets,
    log: options.log,
    errorLine: PG_ERROR,
    stdin: 'pipe',
  });
  tool.stdout.resume();
  if (!tool.stdin) throw new Error('pg_restore has no stdin');
  return tool as RunningTool & { stdin: Writable };
}
