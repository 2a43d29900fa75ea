/**
 * Config task → the event's TaskSpec: defaults are already applied by the schema; here every duration
 * becomes milliseconds and every size bytes, so the job never parses durations (and never bundles zod).
 * Used by the DbMaintenance construct (schedule inputs) and by the local runner.
 */
import { durationMs } from '../../lib/config/primitives';
import type { MaintenanceTask } from '../../lib/config/schema';
import type { TaskSpec } from './event';

const MB = 1024 * 1024;

export function taskSpec(task: MaintenanceTask): TaskSpec {
  const common = { name: task.name, timeoutMs: durationMs(task.timeout) };
  switch (task.kind) {
    case 'vacuum':
      return {
        ...common,
        kind: task.kind,
        postgres: task.postgres,
        tables: task.tables,
        analyze: task.analyze,
        lockTimeoutMs: durationMs(task.lockTimeout),
        statementTimeoutMs: Math.min(
          common.timeoutMs,
          task.statementTimeout ? durationMs(task.statementTimeout) : common.timeoutMs,
        ),
      };
    case 'bloat':
      return {
        ...common,
        kind: task.kind,
        postgres: task.postgres,
        tables: task.tables,
        maxDeadPercent: task.maxDeadPercent,
        minDeadTuples: task.minDeadTuples,
      };
    case 'slowQueries':
      return {
        ...common,
        kind: task.kind,
        postgres: task.postgres,
        top: task.top,
        maxMeanMs: task.maxMeanTime ? durationMs(task.maxMeanTime) : undefined,
        minCalls: task.minCalls,
      };
    case 'sqlCheck':
      return {
        ...common,
        kind: task.kind,
        postgres: task.postgres,
        sql: task.sql,
        comparison: task.comparison,
        threshold: task.threshold,
        statementTimeoutMs: Math.min(common.timeoutMs, durationMs(task.statementTimeout)),
      };
    case 'redisMemory':
      return {
        ...common,
        kind: task.kind,
        redis: task.redis,
        maxFragmentationRatio: task.maxFragmentationRatio,
        minFragmentedBytes: Math.round(task.minFragmentedMb * MB),
      };
    case 'bigKeys':
      return {
        ...common,
        kind: task.kind,
        redis: task.redis,
        maxKeyBytes: Math.round(task.maxKeyMb * MB),
        sampleKeys: task.sampleKeys,
        match: task.match,
        top: task.top,
      };
  }
}
