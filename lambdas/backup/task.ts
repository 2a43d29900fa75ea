/**
 * ECS Fargate entry (`runtime: fargate`, docs/retention.md): the same image and the same `runJob` as
 * the Lambda handler, run once per task: `node /var/task/task.mjs <backup|verify>`. The environment is
 * the one the Lambda function gets (env.ts) plus NIGHTSHIFT_DEADLINE_MS, the task's time budget. Metrics
 * go out as EMF on stdout (the awslogs driver ships them to CloudWatch Logs, which extracts them). Exit
 * code 0 on success, 1 on failure, 2 on a bad invocation.
 */
import { BackupEnvInvalid } from './env';
import { runJob } from './handler';

const ACTIONS = ['backup', 'verify'] as const;
type Action = (typeof ACTIONS)[number];

/** The task's time budget when NIGHTSHIFT_DEADLINE_MS is not set: 6 hours. */
export const DEFAULT_TASK_BUDGET_MS = 6 * 3_600_000;

export function taskBudgetMs(env: Record<string, string | undefined>): number {
  const value = Number(env.NIGHTSHIFT_DEADLINE_MS);
  return Number.isFinite(value) && value > 0 ? value : DEFAULT_TASK_BUDGET_MS;
}

export function parseAction(argv: string[]): Action | undefined {
  const action = argv[0] ?? 'backup';
  return (ACTIONS as readonly string[]).includes(action) ? (action as Action) : undefined;
}

async function main(): Promise<number> {
  const action = parseAction(process.argv.slice(2));
  if (!action) {
    console.error(`usage: task.mjs <${ACTIONS.join('|')}> (got "${process.argv[2]}")`);
    return 2;
  }
  try {
    const outcome = await runJob({ action }, taskBudgetMs(process.env));
    console.log(JSON.stringify({ level: 'INFO', message: 'task done', ...outcome }));
    return 0;
  } catch (error) {
    // The job has already logged its redacted reason and emitted the failure metric; a broken
    // environment (names only, no secrets) is reported here.
    const name = error instanceof Error ? error.name : 'Error';
    const reason = error instanceof BackupEnvInvalid ? error.message : undefined;
    console.error(JSON.stringify({ level: 'ERROR', message: 'task failed', error: name, reason }));
    return 1;
  }
}

process.exitCode = await main();
