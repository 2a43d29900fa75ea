/**
 * The Redis tasks: memory fragmentation (INFO memory) and big keys (SCAN with MEMORY USAGE, never KEYS,
 * so a big keyspace is sampled in small steps without blocking the server). One connection, no retries,
 * no offline queue, disconnected in finally.
 */
import type { Redis } from 'ioredis';
import { parseInfo } from '../health-check/checks/redis';
import { describeRedis, resolveRedis, secretValuesOf } from '../shared/connections';
import { formatBytes } from '../shared/format';
import { withRedisSession } from '../shared/redis-session';
import type { BigKeysSpec, RedisMemorySpec, RedisTarget } from './event';
import { remainingMs, type TaskContext, TaskFailed, type TaskOutcome } from './types';

/** Keys asked for per SCAN step (a hint to the server) and sized per MEMORY USAGE pipeline. */
const SCAN_COUNT = 1000;
/** Longest key name shown in a report. */
const KEY_CHARS = 120;

async function withRedis<T>(
  target: RedisTarget,
  ctx: TaskContext,
  fn: (client: Redis, where: string) => Promise<T>,
): Promise<T> {
  const params = await resolveRedis(target, ctx.secrets);
  ctx.known.push(...secretValuesOf(params));
  const timeout = Math.min(30_000, remainingMs(ctx));
  return withRedisSession(
    params,
    { timeoutMs: timeout, connectionName: 'nightshift-db-maintenance', signal: ctx.signal },
    (client, reason) =>
      fn(client, describeRedis(params)).catch((error: unknown) => {
        throw reason(error);
      }),
  );
}

export async function redisMemory(spec: RedisMemorySpec, ctx: TaskContext): Promise<TaskOutcome> {
  return withRedis(spec.redis, ctx, async (client, where) => {
    const info = parseInfo(await client.info('memory'));
    const ratio = Number(info.get('mem_fragmentation_ratio'));
    const used = Number(info.get('used_memory'));
    const rss = Number(info.get('used_memory_rss'));
    if (!Number.isFinite(ratio) || !Number.isFinite(used) || !Number.isFinite(rss)) {
      throw new TaskFailed(
        `${where} did not report mem_fragmentation_ratio, used_memory and used_memory_rss in INFO memory`,
      );
    }
    const fragmented = Math.max(0, rss - used);
    const problem = ratio > spec.maxFragmentationRatio && fragmented >= spec.minFragmentedBytes;
    const text =
      `mem_fragmentation_ratio ${ratio} (alarm above ${spec.maxFragmentationRatio}), rss ${formatBytes(rss)}, ` +
      `used ${formatBytes(used)}, fragmented ${formatBytes(fragmented)}` +
      (ratio > spec.maxFragmentationRatio && !problem
        ? ` (below the ${formatBytes(spec.minFragmentedBytes)} that counts)`
        : '');
    return {
      summary: `${where}: ${text}`,
      findings: [
        {
          problem,
          text: problem
            ? `${text} — consider activedefrag yes (Redis 4+ with jemalloc) or a restart in a quiet hour`
            : text,
        },
      ],
      value: ratio,
      detail: { ratio, usedBytes: used, rssBytes: rss, fragmentedBytes: fragmented },
    };
  });
}

export interface BigKey {
  readonly key: string;
  readonly bytes: number;
}

export async function bigKeys(spec: BigKeysSpec, ctx: TaskContext): Promise<TaskOutcome> {
  return withRedis(spec.redis, ctx, async (client, where) => {
    const total = await client.dbsize();
    const biggest: BigKey[] = [];
    let examined = 0;
    let cursor = '0';
    let complete = false;
    let stoppedByTime = false;
    const started = Date.now();
    do {
      const [next, keys] = spec.match
        ? await client.scan(cursor, 'MATCH', spec.match, 'COUNT', SCAN_COUNT)
        : await client.scan(cursor, 'COUNT', SCAN_COUNT);
      cursor = next;
      const batch = keys.slice(0, spec.sampleKeys - examined);
      if (batch.length) {
        const pipeline = client.pipeline();
        for (const key of batch) pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '5');
        const replies = (await pipeline.exec()) ?? [];
        replies.forEach(([error, bytes], i) => {
          // a key that expired between SCAN and MEMORY USAGE answers nil
          if (error || typeof bytes !== 'number') return;
          biggest.push({ key: batch[i] as string, bytes });
        });
        biggest.sort((a, b) => b.bytes - a.bytes);
        // keep every key above the threshold (they are the findings) and the top N for the report
        const over = biggest.filter((k) => k.bytes > spec.maxKeyBytes).length;
        biggest.length = Math.min(biggest.length, Math.max(spec.top, over));
        examined += batch.length;
      }
      // the scan is complete only when the cursor is back at 0 and no key of the last step was left out
      complete = cursor === '0' && batch.length === keys.length;
      // leave time to report: stop sampling with a tenth of the budget left
      if (!complete && remainingMs(ctx) < Math.max(1_000, spec.timeoutMs / 10)) stoppedByTime = true;
    } while (cursor !== '0' && examined < spec.sampleKeys && !stoppedByTime && !ctx.signal.aborted);
    const over = biggest.filter((k) => k.bytes > spec.maxKeyBytes);
    const shown = (k: BigKey) => (k.key.length > KEY_CHARS ? `${k.key.slice(0, KEY_CHARS - 1)}…` : k.key);
    const coverage = complete
      ? `all ${examined} keys${spec.match ? ` matching ${spec.match}` : ''}`
      : `${examined} of ${total} keys (a sample: ${stoppedByTime || ctx.signal.aborted ? 'time budget reached' : `sampleKeys ${spec.sampleKeys}`})`;
    return {
      summary:
        `${where}: examined ${coverage} in ${Date.now() - started} ms; ` +
        (over.length
          ? `${over.length} above ${formatBytes(spec.maxKeyBytes)}`
          : `none above ${formatBytes(spec.maxKeyBytes)}`),
      findings: biggest
        .slice(0, Math.max(spec.top, over.length))
        .map((k) => ({ problem: k.bytes > spec.maxKeyBytes, text: `${shown(k)}  ${formatBytes(k.bytes)}` })),
      value: biggest[0]?.bytes ?? 0,
      detail: { examined, total, complete, keys: biggest.map((k) => ({ key: shown(k), bytes: k.bytes })) },
    };
  });
}
