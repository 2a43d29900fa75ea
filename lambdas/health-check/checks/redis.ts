/**
 * redis: PING (the latency), used_memory against maxmemory, connected and rejected clients, and the
 * master link on a replica. One connection, no retries, no offline queue, disconnected in finally.
 */
import type { HealthTarget } from '../../../lib/config/schema';
import { describeRedis, resolveRedis, secretValuesOf } from '../../shared/connections';
import { formatBytes } from '../../shared/format';
import { withRedisSession } from '../../shared/redis-session';
import { HealthMetric } from '../metrics';
import {
  answered,
  type CheckContext,
  CheckFailed,
  type CheckMetric,
  type CheckOutcome,
  elapsedMs,
  percent,
} from './types';

export type RedisCheck = NonNullable<HealthTarget['redis']>;

/** `INFO` text → field map. */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const at = line.indexOf(':');
    if (at > 0) fields.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return fields;
}

export async function checkRedis(spec: RedisCheck, ctx: CheckContext): Promise<CheckOutcome> {
  const params = await resolveRedis(spec, ctx.secrets);
  ctx.known.push(...secretValuesOf(params));
  const start = performance.now();
  return withRedisSession(
    params,
    { timeoutMs: ctx.timeoutMs, connectionName: 'nightshift-health-check', signal: ctx.signal },
    async (client, reason) => {
      const pong = await client.ping().catch((error: unknown) => {
        throw reason(error);
      });
      const latencyMs = elapsedMs(start);
      if (pong !== 'PONG') throw new CheckFailed(`PING answered ${JSON.stringify(pong)}, expected "PONG"`);

      const info = parseInfo(await client.info());
      const metrics: CheckMetric[] = [];
      const warnings: string[] = [];
      const failures: string[] = [];
      const facts: string[] = [describeRedis(params)];

      const used = Number(info.get('used_memory') ?? Number.NaN);
      const max = Number(info.get('maxmemory') ?? 0);
      if (!Number.isNaN(used)) {
        if (max > 0) {
          const memoryPercent = percent(used, max);
          metrics.push({ name: HealthMetric.MemoryPercent, unit: 'Percent', value: memoryPercent });
          facts.push(`memory ${formatBytes(used)}/${formatBytes(max)} (${memoryPercent}%)`);
          if (memoryPercent >= spec.maxMemoryPercent) {
            warnings.push(`memory at ${memoryPercent}% of maxmemory (alarm at ${spec.maxMemoryPercent}%)`);
          }
        } else {
          facts.push(`memory ${formatBytes(used)} (no maxmemory)`);
        }
      }
      // client counts are in the detail only: no alarm reads them, and a metric would cost $0.30 a month
      const clients = Number(info.get('connected_clients') ?? Number.NaN);
      if (!Number.isNaN(clients)) facts.push(`${clients} clients`);
      const rejected = Number(info.get('rejected_connections') ?? Number.NaN);
      if (!Number.isNaN(rejected) && rejected > 0) facts.push(`${rejected} rejected since start`);
      if (spec.replication) {
        const role = info.get('role') ?? 'unknown';
        if (role === 'slave' || role === 'replica') {
          const link = info.get('master_link_status') ?? 'unknown';
          facts.push(`replica, master link ${link}`);
          if (link !== 'up') {
            const since = Number(info.get('master_link_down_since_seconds') ?? -1);
            failures.push(`master link is ${link}${since > 0 ? ` for ${since} s` : ''}`);
          }
        } else {
          facts.push(`role ${role}`);
        }
      }
      return answered({ latencyMs, detail: facts.join(', '), failures, warnings, metrics });
    },
  );
}
