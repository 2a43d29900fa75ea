/**
 * What every maintenance task receives and returns. A task either returns a result (ok, or a problem
 * found) or throws TaskFailed / anything else; the core turns a throw into outcome "failed" with a reason.
 */

import type { MaintenanceKind } from '../../lib/config/schema';
import type { SecretsReader } from '../shared/connections';

export interface TaskContext {
  readonly secrets: SecretsReader;
  /** Aborted when the task's timeout elapses: tasks close their connections on it. */
  readonly signal: AbortSignal;
  /** Epoch ms by which the task must be done; statement timeouts never reach past it. */
  readonly deadline: number;
  /** Secret values resolved for this task; everything the task reports is redacted with them. */
  readonly known: string[];
}

export interface TaskFinding {
  /** True when the finding is a problem (over a threshold); false for report lines. */
  readonly problem: boolean;
  readonly text: string;
}

export interface TaskOutcome {
  /** One line: what was done and found, e.g. "3 tables vacuumed in 1.2 s". */
  readonly summary: string;
  /** Report lines, problems first. */
  readonly findings: readonly TaskFinding[];
  /** The measured value compared with the threshold, when there is one (dead %, ratio, bytes, result). */
  readonly value?: number | undefined;
  /** Machine-readable detail (tables, queries, keys) for --json and the log. */
  readonly detail?: unknown;
}

/** The task could not do its work; the message is a reason a person understands and can act on. */
export class TaskFailed extends Error {
  constructor(
    message: string,
    /** What was done before the failure (e.g. the tables that were vacuumed). */
    readonly partial?: TaskOutcome,
  ) {
    super(message);
    this.name = 'TaskFailed';
  }
}

export type Outcome = 'ok' | 'problem' | 'failed';

export interface TaskResult {
  readonly task: string;
  readonly kind: MaintenanceKind;
  readonly outcome: Outcome;
  readonly summary: string;
  /** Why the task failed (outcome failed). */
  readonly reason?: string | undefined;
  readonly findings: readonly TaskFinding[];
  readonly value?: number | undefined;
  readonly durationMs: number;
  readonly detail?: unknown;
}

/** Milliseconds left until `deadline`, at least 1. */
export function remainingMs(ctx: TaskContext): number {
  return Math.max(1, ctx.deadline - Date.now());
}

/** "850 ms", "1.3 s", "2 min". */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}
