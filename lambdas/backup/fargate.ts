/**
 * The Fargate task's run (task.ts is its entry point): the same `runJob` as the Lambda handler, with
 * the environment read through the task's contract (env.ts backupTaskEnv: the Lambda variables plus
 * NIGHTSHIFT_DEADLINE_MS, the task's time budget). Exit code 0 on success, 1 on failure, 2 on a bad
 * invocation.
 */
import type { EnvSource } from '../shared/env';
import { EnvironmentInvalid } from '../shared/env';
import { backupTaskEnv } from './env';
import { runJob } from './handler';

const ACTIONS = ['backup', 'verify'] as const;
type Action = (typeof ACTIONS)[number];

export function parseAction(argv: readonly string[]): Action | undefined {
  const action = argv[0] ?? 'backup';
  return (ACTIONS as readonly string[]).includes(action) ? (action as Action) : undefined;
}

export async function runTask(argv: readonly string[], env: EnvSource): Promise<number> {
  const action = parseAction(argv);
  if (!action) {
    console.error(`usage: task.mjs <${ACTIONS.join('|')}> (got "${argv[0]}")`);
    return 2;
  }
  try {
    const taskEnv = backupTaskEnv.read(env);
    const outcome = await runJob({ action }, taskEnv, taskEnv.deadlineMs);
    console.log(JSON.stringify({ level: 'INFO', message: 'task done', ...outcome }));
    return 0;
  } catch (error) {
    // The job has already logged its redacted reason and emitted the failure metric; a broken
    // environment (names only, no secrets) is reported here.
    const name = error instanceof Error ? error.name : 'Error';
    const reason = error instanceof EnvironmentInvalid ? error.message : undefined;
    console.error(JSON.stringify({ level: 'ERROR', message: 'task failed', error: name, reason }));
    return 1;
  }
}
