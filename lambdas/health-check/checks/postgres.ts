/**
 * postgres: connect and SELECT 1 (the latency), connections used against max_connections, replication
 * lag on a replica, and an optional custom query expecting a value. One connection, closed in finally.
 */
import type { HealthTarget } from '../../../lib/config/schema';
import { describePostgres, resolvePostgres, secretValuesOf } from '../../shared/connections';
import { pgClient } from '../../shared/pg-client';
import { HealthMetric } from '../metrics';
import {
  answered,
  type CheckContext,
  type CheckMetric,
  type CheckOutcome,
  elapsedMs,
  percent,
} from './types';

export type PostgresCheck = NonNullable<HealthTarget['postgres']>;

export async function checkPostgres(spec: PostgresCheck, ctx: CheckContext): Promise<CheckOutcome> {
  const params = await resolvePostgres(spec, ctx.secrets);
  ctx.known.push(...secretValuesOf(params));
  const client = pgClient(params, {
    applicationName: 'nightshift-health-check',
    connectTimeoutMs: ctx.timeoutMs,
    queryTimeoutMs: ctx.timeoutMs,
    signal: ctx.signal,
  });
  try {
    const start = performance.now();
    await client.connect();
    await client.query('SELECT 1');
    const latencyMs = elapsedMs(start);

    const metrics: CheckMetric[] = [];
    const warnings: string[] = [];
    const failures: string[] = [];
    const facts: string[] = [describePostgres(params)];

    const usage = await client.query<{ used: number; max: number; replica: boolean }>(
      `SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS used,
              current_setting('max_connections')::int AS max,
              pg_is_in_recovery() AS replica`,
    );
    const row = usage.rows[0];
    if (row) {
      const connectionsPercent = percent(row.used, row.max);
      metrics.push({ name: HealthMetric.ConnectionsPercent, unit: 'Percent', value: connectionsPercent });
      facts.push(`${row.used}/${row.max} connections`);
      if (connectionsPercent >= spec.maxConnectionsPercent) {
        warnings.push(
          `connections at ${connectionsPercent}% of max_connections (alarm at ${spec.maxConnectionsPercent}%)`,
        );
      }
      if (row.replica) {
        const lag = await client.query<{ lag: number | null }>(
          'SELECT EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8 AS lag',
        );
        const seconds = lag.rows[0]?.lag;
        if (seconds !== null && seconds !== undefined) {
          const rounded = Math.max(0, Math.round(seconds * 10) / 10);
          metrics.push({ name: HealthMetric.ReplicationLagSeconds, unit: 'Seconds', value: rounded });
          facts.push(`replica, ${rounded} s behind`);
          if (spec.replicationLagSeconds !== undefined && rounded > spec.replicationLagSeconds) {
            warnings.push(`replication lag ${rounded} s, above ${spec.replicationLagSeconds} s`);
          }
        } else {
          facts.push('replica, nothing replayed yet');
        }
      }
    }

    if (spec.query) {
      const result = await client.query({ text: spec.query.sql, rowMode: 'array' });
      const first = (result.rows[0] as unknown[] | undefined)?.[0];
      if (first === undefined) {
        failures.push(`query returned no rows, expected ${JSON.stringify(spec.query.expect)}`);
      } else if (String(first) !== String(spec.query.expect)) {
        failures.push(
          `query returned ${JSON.stringify(first)}, expected ${JSON.stringify(spec.query.expect)}`,
        );
      }
    }

    return answered({ latencyMs, detail: facts.join(', '), failures, warnings, metrics });
  } finally {
    await client.end().catch(() => {});
  }
}
