/**
 * The db-maintenance job core: runs tasks one after another, each under its own hard timeout, and
 * reports each through its metrics — MaintenanceProblem (found something) and MaintenanceFailed (could
 * not do its work) — and one log line. A failing task never stops the others and never fails the run:
 * its alarm pages instead. The Lambda handler (one task per schedule) and `nightshift run` call `run`.
 */

import { reasonFor } from '../health-check/checks/reasons';
import type { SecretsReader } from '../shared/connections';
import type { Log } from '../shared/log';
import type { MetricsSink } from '../shared/metrics';
import { redact } from '../shared/redact';
import type { TaskSpec } from './event';
import { findsProblems, MaintenanceMetric, maintenanceDimensions } from './metrics';
import { bloat, slowQueries, sqlCheck, vacuum } from './postgres';
import { bigKeys, redisMemory } from './redis';
import { type Outcome, type TaskContext, TaskFailed, type TaskOutcome, type TaskResult } from './types';

export interface MaintenanceDeps {
  /** Project name: the Project dimension of every metric. */
  readonly project: string;
  readonly secrets: SecretsReader;
  readonly metrics: MetricsSink;
  readonly log: Log;
}

class TaskTimedOut extends Error {
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms (the task's timeout) — raise \`timeout\` or narrow the task`);
    this.name = 'TaskTimedOut';
  }
}

type Runner = (spec: TaskSpec, ctx: TaskContext) => Promise<TaskOutcome>;

const RUNNERS: { [K in TaskSpec['kind']]: Runner } = {
  vacuum: (s, c) => vacuum(s as Extract<TaskSpec, { kind: 'vacuum' }>, c),
  bloat: (s, c) => bloat(s as Extract<TaskSpec, { kind: 'bloat' }>, c),
  slowQueries: (s, c) => slowQueries(s as Extract<TaskSpec, { kind: 'slowQueries' }>, c),
  sqlCheck: (s, c) => sqlCheck(s as Extract<TaskSpec, { kind: 'sqlCheck' }>, c),
  redisMemory: (s, c) => redisMemory(s as Extract<TaskSpec, { kind: 'redisMemory' }>, c),
  bigKeys: (s, c) => bigKeys(s as Extract<TaskSpec, { kind: 'bigKeys' }>, c),
};

/** Runs one task under its timeout and sends its metrics; never throws. */
export async function runTask(deps: MaintenanceDeps, spec: TaskSpec): Promise<TaskResult> {
  const controller = new AbortController();
  const known: string[] = [];
  const start = performance.now();
  const ctx: TaskContext = {
    secrets: deps.secrets,
    signal: controller.signal,
    deadline: Date.now() + spec.timeoutMs,
    known,
  };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const timedOut = new TaskTimedOut(spec.timeoutMs);
      controller.abort(timedOut);
      reject(timedOut);
    }, spec.timeoutMs);
  });
  let outcome: TaskOutcome | undefined;
  let reason: string | undefined;
  try {
    outcome = await Promise.race([RUNNERS[spec.kind](spec, ctx), deadline]);
  } catch (error) {
    if (error instanceof TaskFailed) {
      reason = error.message;
      outcome = error.partial;
    } else if (error instanceof TaskTimedOut) {
      reason = error.message;
    } else {
      reason = reasonFor(error, spec.timeoutMs, known);
    }
  } finally {
    clearTimeout(timer);
    if (!controller.signal.aborted) controller.abort(new Error('task finished'));
  }
  const findings = (outcome?.findings ?? []).map((f) => ({ ...f, text: redact(f.text, known) }));
  const state: Outcome = reason !== undefined ? 'failed' : findings.some((f) => f.problem) ? 'problem' : 'ok';
  const dimensions = maintenanceDimensions(deps.project, spec.name);
  deps.metrics.put(MaintenanceMetric.Failed, 'Count', state === 'failed' ? 1 : 0, dimensions);
  // a failed task found nothing either way: its Problem alarm keeps its state until a run succeeds
  if (state !== 'failed' && findsProblems(spec.kind))
    deps.metrics.put(MaintenanceMetric.Problem, 'Count', state === 'problem' ? 1 : 0, dimensions);
  const result: TaskResult = {
    task: spec.name,
    kind: spec.kind,
    outcome: state,
    summary: redact(outcome?.summary ?? `${spec.kind} did not complete`, known),
    reason: reason === undefined ? undefined : redact(reason, known),
    findings,
    value: outcome?.value,
    durationMs: Math.round(performance.now() - start),
    detail: outcome?.detail,
  };
  const line = {
    task: result.task,
    kind: result.kind,
    outcome: result.outcome,
    summary: result.summary,
    ...(result.reason ? { reason: result.reason } : {}),
    ...(result.value !== undefined ? { value: result.value } : {}),
    durationMs: result.durationMs,
    problems: findings.filter((f) => f.problem).map((f) => f.text),
  };
  if (state === 'failed') deps.log.error('maintenance task failed', line);
  else if (state === 'problem') deps.log.warn('maintenance task found a problem', line);
  else deps.log.info('maintenance task ok', line);
  return result;
}

export interface MaintenanceRunResult {
  readonly ok: number;
  readonly problems: number;
  readonly failed: number;
  readonly results: readonly TaskResult[];
}

/** Runs the tasks one after another (they share the database: never at once); never throws. */
export async function run(deps: MaintenanceDeps, tasks: readonly TaskSpec[]): Promise<MaintenanceRunResult> {
  const results: TaskResult[] = [];
  for (const task of tasks) results.push(await runTask(deps, task));
  return {
    ok: results.filter((r) => r.outcome === 'ok').length,
    problems: results.filter((r) => r.outcome === 'problem').length,
    failed: results.filter((r) => r.outcome === 'failed').length,
    results,
  };
}
