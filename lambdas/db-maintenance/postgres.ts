/**
 * The PostgreSQL tasks: VACUUM (ANALYZE) table by table under lock_timeout and statement_timeout, the
 * dead-tuple report, the slowest queries from pg_stat_statements, and a custom SQL check inside a READ
 * ONLY transaction. One connection per task, opened with explicit timeouts and closed in finally.
 */
import type pg from 'pg';
import { describePostgres, resolvePostgres, secretValuesOf } from '../shared/connections';
import { formatBytes } from '../shared/format';
import { connectPg } from '../shared/pg-client';
import type { BloatSpec, PostgresTarget, SlowQueriesSpec, SqlCheckSpec, VacuumSpec } from './event';
import {
  formatMs,
  remainingMs,
  type TaskContext,
  TaskFailed,
  type TaskFinding,
  type TaskOutcome,
} from './types';

/** SQLSTATEs a task explains in its own words. */
const LOCK_NOT_AVAILABLE = '55P03';
const QUERY_CANCELED = '57014';
const READ_ONLY_TRANSACTION = '25006';
const UNDEFINED_TABLE = '42P01';

type PgError = Error & { code?: string };

/** Connects with the task's deadline as the connect timeout; the caller ends the client. */
export async function connectPostgres(
  target: PostgresTarget,
  ctx: TaskContext,
  applicationName: string,
): Promise<{ client: pg.Client; where: string }> {
  const params = await resolvePostgres(target, ctx.secrets);
  ctx.known.push(...secretValuesOf(params));
  const client = await connectPg(params, {
    applicationName,
    connectTimeoutMs: Math.min(30_000, remainingMs(ctx)),
    signal: ctx.signal,
  });
  return { client, where: describePostgres(params) };
}

async function withClient<T>(
  target: PostgresTarget,
  ctx: TaskContext,
  fn: (client: pg.Client, where: string) => Promise<T>,
): Promise<T> {
  const { client, where } = await connectPostgres(target, ctx, 'nightshift-db-maintenance');
  try {
    return await fn(client, where);
  } finally {
    await client.end().catch(() => {});
  }
}

/** `SET name = <ms>` for a timeout (an integer: no injection possible). */
function setTimeoutSql(name: 'lock_timeout' | 'statement_timeout', ms: number, local = false): string {
  return `SET ${local ? 'LOCAL ' : ''}${name} = ${Math.max(1, Math.floor(ms))}`;
}

/** The named tables as quoted `schema.table`; a missing one fails the task with its name. */
async function resolveTables(client: pg.Client, names: readonly string[] | undefined): Promise<string[]> {
  if (!names) {
    const all = await client.query<{ name: string }>(
      `SELECT format('%I.%I', schemaname, relname) AS name FROM pg_stat_user_tables ORDER BY schemaname, relname`,
    );
    return all.rows.map((r) => r.name);
  }
  const found = await client.query<{ given: string; name: string | null }>(
    `SELECT given, (SELECT format('%I.%I', n.nspname, c.relname)
                      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE c.oid = to_regclass(given)) AS name
       FROM unnest($1::text[]) AS given`,
    [names],
  );
  const missing = found.rows.filter((r) => r.name === null).map((r) => r.given);
  if (missing.length) {
    throw new TaskFailed(
      `no table ${missing.join(', ')} in this database — fix \`tables\` (write schema.table) or create it`,
    );
  }
  return found.rows.map((r) => r.name as string);
}

// ---------------------------------------------------------------------------------------------
// vacuum
// ---------------------------------------------------------------------------------------------

export interface VacuumedTable {
  readonly table: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly error?: string | undefined;
}

function vacuumError(error: unknown, spec: VacuumSpec, statementMs: number): string {
  const e = error as PgError;
  if (e.code === LOCK_NOT_AVAILABLE)
    return `lock not obtained within ${formatMs(spec.lockTimeoutMs)} (lock_timeout): another session holds a conflicting lock on it`;
  if (e.code === QUERY_CANCELED) return `stopped by statement_timeout after ${formatMs(statementMs)}`;
  return e.message;
}

export async function vacuum(spec: VacuumSpec, ctx: TaskContext): Promise<TaskOutcome> {
  return withClient(spec.postgres, ctx, async (client, where) => {
    // warnings such as "skipping x --- only table or database owner can vacuum it" arrive as notices
    const notices: string[] = [];
    client.on('notice', (notice) => notices.push(notice.message ?? ''));
    await client.query(setTimeoutSql('lock_timeout', spec.lockTimeoutMs));
    const tables = await resolveTables(client, spec.tables);
    const results: VacuumedTable[] = [];
    const command = spec.analyze ? 'VACUUM (ANALYZE)' : 'VACUUM';
    for (const table of tables) {
      if (ctx.signal.aborted) break;
      const statementMs = Math.min(spec.statementTimeoutMs, remainingMs(ctx));
      await client.query(setTimeoutSql('statement_timeout', statementMs));
      const before = notices.length;
      const start = performance.now();
      try {
        // the name comes from format('%I.%I') on the server: quoted, never user text
        await client.query(`${command} ${table}`);
        const skipped = notices.slice(before).find((n) => /skipping/i.test(n));
        results.push({
          table,
          ok: skipped === undefined,
          ms: performance.now() - start,
          error: skipped,
        });
      } catch (error) {
        if ((error as PgError).code === undefined) throw error; // the connection is gone
        results.push({
          table,
          ok: false,
          ms: performance.now() - start,
          error: vacuumError(error, spec, statementMs),
        });
      }
    }
    const failed = results.filter((r) => !r.ok);
    const notReached = tables.length - results.length;
    const totalMs = results.reduce((sum, r) => sum + r.ms, 0);
    const findings: TaskFinding[] = results.map((r) => ({
      problem: !r.ok,
      text: r.ok ? `${r.table}  vacuumed in ${formatMs(r.ms)}` : `${r.table}  FAILED: ${r.error}`,
    }));
    const outcome: TaskOutcome = {
      summary: `${command} ${where}: ${results.length - failed.length} of ${tables.length} tables in ${formatMs(totalMs)}`,
      findings: [...findings.filter((f) => f.problem), ...findings.filter((f) => !f.problem)],
      detail: { tables: results },
    };
    if (failed.length || notReached) {
      const parts = failed.map((r) => `${r.table}: ${r.error}`);
      if (notReached) parts.push(`${notReached} tables not reached before the task's timeout`);
      throw new TaskFailed(
        `${command} failed on ${failed.length + notReached} of ${tables.length} tables — ${parts.join('; ')}`,
        outcome,
      );
    }
    return outcome;
  });
}

// ---------------------------------------------------------------------------------------------
// bloat
// ---------------------------------------------------------------------------------------------

export interface TableBloat {
  readonly table: string;
  readonly live: number;
  readonly dead: number;
  readonly deadPercent: number;
  readonly bytes: number;
  readonly lastVacuum: string | null;
  readonly bloated: boolean;
}

export async function bloat(spec: BloatSpec, ctx: TaskContext): Promise<TaskOutcome> {
  return withClient(spec.postgres, ctx, async (client, where) => {
    await client.query(setTimeoutSql('statement_timeout', remainingMs(ctx)));
    const tables = spec.tables ? await resolveTables(client, spec.tables) : undefined;
    const rows = await client.query<{
      name: string;
      live: number;
      dead: number;
      bytes: number;
      last: Date | null;
    }>(
      `SELECT format('%I.%I', schemaname, relname) AS name, n_live_tup::float8 AS live, n_dead_tup::float8 AS dead,
              pg_total_relation_size(relid)::float8 AS bytes, greatest(last_vacuum, last_autovacuum) AS last
         FROM pg_stat_user_tables
        WHERE $1::text[] IS NULL OR format('%I.%I', schemaname, relname) = ANY ($1::text[])
        ORDER BY n_dead_tup DESC, relname`,
      [tables ?? null],
    );
    const report: TableBloat[] = rows.rows.map((r) => {
      const total = r.live + r.dead;
      const deadPercent = total > 0 ? Math.round((r.dead / total) * 1000) / 10 : 0;
      return {
        table: r.name,
        live: r.live,
        dead: r.dead,
        deadPercent,
        bytes: r.bytes,
        lastVacuum: r.last ? r.last.toISOString() : null,
        bloated: r.dead >= spec.minDeadTuples && deadPercent > spec.maxDeadPercent,
      };
    });
    const considered = report.filter((t) => t.dead >= spec.minDeadTuples);
    const worst = considered.reduce((max, t) => Math.max(max, t.deadPercent), 0);
    const bloated = report.filter((t) => t.bloated);
    const line = (t: TableBloat) =>
      `${t.table}  ${t.deadPercent}% dead (${t.dead} dead, ${t.live} live)  ${formatBytes(t.bytes)}  last vacuum ${t.lastVacuum ?? 'never'}`;
    return {
      summary: bloated.length
        ? `${where}: ${bloated.length} of ${report.length} tables above ${spec.maxDeadPercent}% dead tuples (worst ${worst}%)`
        : `${where}: ${report.length} tables, none above ${spec.maxDeadPercent}% dead tuples (worst ${worst}%)`,
      findings: [
        ...bloated.map((t) => ({ problem: true, text: line(t) })),
        ...report
          .filter((t) => !t.bloated)
          .slice(0, Math.max(0, 10 - bloated.length))
          .map((t) => ({ problem: false, text: line(t) })),
      ],
      value: worst,
      detail: { tables: report.slice(0, 50) },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// slowQueries
// ---------------------------------------------------------------------------------------------

export interface SlowQuery {
  readonly queryId: string;
  readonly calls: number;
  readonly totalMs: number;
  readonly meanMs: number;
  readonly rows: number;
  /** Normalized text (pg_stat_statements replaces constants with $n), whitespace folded, ≤ 200 chars. */
  readonly query: string;
}

export async function slowQueries(spec: SlowQueriesSpec, ctx: TaskContext): Promise<TaskOutcome> {
  return withClient(spec.postgres, ctx, async (client, where) => {
    await client.query(setTimeoutSql('statement_timeout', remainingMs(ctx)));
    const ext = await client.query<{ version: string; server: number }>(
      `SELECT extversion AS version, current_setting('server_version_num')::int AS server
         FROM pg_extension WHERE extname = 'pg_stat_statements'`,
    );
    const installed = ext.rows[0];
    if (!installed) {
      throw new TaskFailed(
        `pg_stat_statements is not installed in ${where} — add pg_stat_statements to shared_preload_libraries (on RDS: the DB parameter group), restart, then run CREATE EXTENSION pg_stat_statements in this database`,
      );
    }
    const [total, mean] =
      installed.server >= 130000 ? ['total_exec_time', 'mean_exec_time'] : ['total_time', 'mean_time'];
    let rows: SlowQuery[];
    try {
      const result = await client.query<SlowQuery>(
        `SELECT queryid::text AS "queryId", calls::float8 AS calls, ${total}::float8 AS "totalMs",
                ${mean}::float8 AS "meanMs", rows::float8 AS rows,
                left(regexp_replace(query, '\\s+', ' ', 'g'), 200) AS query
           FROM pg_stat_statements
          WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND calls >= $1
          ORDER BY ${total} DESC
          LIMIT $2`,
        [spec.minCalls, spec.top],
      );
      rows = result.rows;
    } catch (error) {
      const message = (error as Error).message;
      if (/shared_preload_libraries/.test(message)) {
        throw new TaskFailed(
          `pg_stat_statements is created in ${where} but not loaded — add it to shared_preload_libraries (on RDS: the DB parameter group) and restart the server`,
        );
      }
      throw error;
    }
    const slow = (q: SlowQuery) => spec.maxMeanMs !== undefined && q.meanMs > spec.maxMeanMs;
    const worst = rows.reduce((max, q) => Math.max(max, q.meanMs), 0);
    const line = (q: SlowQuery) =>
      `${formatMs(q.meanMs)} mean  ${q.calls} calls  ${formatMs(q.totalMs)} total  ${q.query}`;
    const problems = rows.filter(slow);
    return {
      summary:
        rows.length === 0
          ? `${where}: pg_stat_statements ${installed.version} has no query called ${spec.minCalls}+ times yet`
          : `${where}: top ${rows.length} queries by total time` +
            (spec.maxMeanMs === undefined
              ? ''
              : problems.length
                ? `, ${problems.length} averaging above ${formatMs(spec.maxMeanMs)}`
                : `, none averaging above ${formatMs(spec.maxMeanMs)}`),
      findings: rows.map((q) => ({ problem: slow(q), text: line(q) })),
      value: Math.round(worst * 10) / 10,
      detail: { queries: rows },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// sqlCheck
// ---------------------------------------------------------------------------------------------

export function compare(value: number, comparison: SqlCheckSpec['comparison'], threshold: number): boolean {
  switch (comparison) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

export async function sqlCheck(spec: SqlCheckSpec, ctx: TaskContext): Promise<TaskOutcome> {
  return withClient(spec.postgres, ctx, async (client, where) => {
    await client.query('BEGIN READ ONLY');
    try {
      const statementMs = Math.min(spec.statementTimeoutMs, remainingMs(ctx));
      await client.query(setTimeoutSql('statement_timeout', statementMs, true));
      let result: pg.QueryArrayResult;
      try {
        // the extended protocol runs exactly one statement: "…; COMMIT; UPDATE …" cannot leave the
        // read-only transaction
        result = await client.query({
          text: spec.sql,
          rowMode: 'array',
          queryMode: 'extended',
        } as pg.QueryArrayConfig);
      } catch (error) {
        const e = error as PgError;
        if (e.code === READ_ONLY_TRANSACTION)
          throw new TaskFailed(
            `refused: the query writes (${e.message}) — an sqlCheck runs in a READ ONLY transaction; make it a SELECT`,
          );
        if (e.code === QUERY_CANCELED)
          throw new TaskFailed(`stopped by statement_timeout after ${formatMs(statementMs)}`);
        if (e.code === UNDEFINED_TABLE) throw new TaskFailed(`${e.message} in ${where} — fix the sql`);
        if (e.code === '42601' && /multiple commands/.test(e.message))
          throw new TaskFailed('the sql holds several statements — give exactly one SELECT');
        throw error;
      }
      const row = result.rows[0];
      if (result.rows.length !== 1 || !row || row.length !== 1) {
        throw new TaskFailed(
          `the query returned ${result.rows.length} rows of ${result.fields.length} columns — an sqlCheck returns one row with one number`,
        );
      }
      const raw = row[0];
      const value =
        typeof raw === 'number'
          ? raw
          : typeof raw === 'string' && raw.trim() !== ''
            ? Number(raw)
            : Number.NaN;
      if (!Number.isFinite(value))
        throw new TaskFailed(`the query returned ${JSON.stringify(raw)}, not a number — return one number`);
      const problem = compare(value, spec.comparison, spec.threshold);
      const text = `result ${value} ${problem ? '' : 'not '}${spec.comparison} ${spec.threshold}`;
      return {
        summary: `${where}: ${text}`,
        findings: [{ problem, text }],
        value,
      };
    } finally {
      await client.query('ROLLBACK').catch(() => {});
    }
  });
}
