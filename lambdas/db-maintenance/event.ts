/**
 * The db-maintenance job's event: one task per schedule, with its defaults applied and every duration in
 * milliseconds (spec.ts builds it from the validated config at synth time). Secret names only, never
 * values. Checked at run time without pulling the config schema (zod) into the bundle.
 */
import type { MaintenanceKind } from '../../lib/config/schema';

export interface PostgresTarget {
  readonly secret?: string | undefined;
  readonly url?: string | undefined;
  readonly ssl?: 'disable' | 'require' | 'verify-full' | undefined;
  readonly database?: string | undefined;
}

export interface RedisTarget {
  readonly secret?: string | undefined;
  readonly url?: string | undefined;
}

interface Common {
  readonly name: string;
  /** The whole task's budget: statement timeouts never exceed what is left of it. */
  readonly timeoutMs: number;
}

export type VacuumSpec = Common & {
  readonly kind: 'vacuum';
  readonly postgres: PostgresTarget;
  readonly tables?: readonly string[] | undefined;
  readonly analyze: boolean;
  readonly lockTimeoutMs: number;
  readonly statementTimeoutMs: number;
};
export type BloatSpec = Common & {
  readonly kind: 'bloat';
  readonly postgres: PostgresTarget;
  readonly tables?: readonly string[] | undefined;
  readonly maxDeadPercent: number;
  readonly minDeadTuples: number;
};
export type SlowQueriesSpec = Common & {
  readonly kind: 'slowQueries';
  readonly postgres: PostgresTarget;
  readonly top: number;
  readonly maxMeanMs?: number | undefined;
  readonly minCalls: number;
};
export type SqlCheckSpec = Common & {
  readonly kind: 'sqlCheck';
  readonly postgres: PostgresTarget;
  readonly sql: string;
  readonly comparison: '>' | '>=' | '<' | '<=' | '==' | '!=';
  readonly threshold: number;
  readonly statementTimeoutMs: number;
};
export type RedisMemorySpec = Common & {
  readonly kind: 'redisMemory';
  readonly redis: RedisTarget;
  readonly maxFragmentationRatio: number;
  readonly minFragmentedBytes: number;
};
export type BigKeysSpec = Common & {
  readonly kind: 'bigKeys';
  readonly redis: RedisTarget;
  readonly maxKeyBytes: number;
  readonly sampleKeys: number;
  readonly match?: string | undefined;
  readonly top: number;
};

export type TaskSpec =
  | VacuumSpec
  | BloatSpec
  | SlowQueriesSpec
  | SqlCheckSpec
  | RedisMemorySpec
  | BigKeysSpec;

export interface MaintenanceEvent {
  /** Name of the schedule that sent the event (informational). */
  readonly schedule?: string | undefined;
  readonly task: TaskSpec;
}

/** The event is not what the DbMaintenance construct writes: redeploy, or fix a hand-written test event. */
export class InvalidMaintenanceEvent extends Error {
  constructor(detail: string) {
    super(
      `db-maintenance event is invalid: ${detail} — the schedule input is written by "cdk deploy"; redeploy, or copy the input of the task's schedule when invoking by hand`,
    );
    this.name = 'InvalidMaintenanceEvent';
  }
}

// a copy of MAINTENANCE_KINDS: importing the schema at run time would bundle zod and cron-parser
const KINDS: Record<MaintenanceKind, 'postgres' | 'redis'> = {
  vacuum: 'postgres',
  bloat: 'postgres',
  slowQueries: 'postgres',
  sqlCheck: 'postgres',
  redisMemory: 'redis',
  bigKeys: 'redis',
};

/** Numbers each kind needs (besides timeoutMs). */
const NUMBERS: Record<MaintenanceKind, readonly string[]> = {
  vacuum: ['lockTimeoutMs', 'statementTimeoutMs'],
  bloat: ['maxDeadPercent', 'minDeadTuples'],
  slowQueries: ['top', 'minCalls'],
  sqlCheck: ['threshold', 'statementTimeoutMs'],
  redisMemory: ['maxFragmentationRatio', 'minFragmentedBytes'],
  bigKeys: ['maxKeyBytes', 'sampleKeys', 'top'],
};

export function parseMaintenanceEvent(event: unknown): MaintenanceEvent {
  if (event === null || typeof event !== 'object') throw new InvalidMaintenanceEvent('not an object');
  const { schedule, task } = event as Record<string, unknown>;
  if (task === null || typeof task !== 'object') throw new InvalidMaintenanceEvent('"task" is missing');
  const t = task as Record<string, unknown>;
  if (typeof t.name !== 'string' || t.name === '') throw new InvalidMaintenanceEvent('task.name is missing');
  const kind = t.kind as MaintenanceKind;
  if (typeof kind !== 'string' || !(kind in KINDS))
    throw new InvalidMaintenanceEvent(`task ${t.name} has no valid kind (${Object.keys(KINDS).join(', ')})`);
  const connection = t[KINDS[kind]];
  if (connection === null || typeof connection !== 'object')
    throw new InvalidMaintenanceEvent(`task ${t.name} (${kind}) has no ${KINDS[kind]} connection`);
  for (const field of ['timeoutMs', ...NUMBERS[kind]]) {
    if (typeof t[field] !== 'number' || !Number.isFinite(t[field]))
      throw new InvalidMaintenanceEvent(`task ${t.name} (${kind}) has no number ${field}`);
  }
  if (kind === 'sqlCheck' && typeof t.sql !== 'string')
    throw new InvalidMaintenanceEvent(`task ${t.name} (sqlCheck) has no sql`);
  return { schedule: typeof schedule === 'string' ? schedule : undefined, task: t as unknown as TaskSpec };
}
