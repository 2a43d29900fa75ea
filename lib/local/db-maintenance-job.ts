/**
 * `nightshift run` (and `nightshift run --only db-maintenance`): every maintenance task once, one after
 * another, with the same core as the Lambda function. A failing task does not stop the others.
 */
import type { TaskResult } from '../../lambdas/db-maintenance/types';
import type { LocalJob } from './jobs';

/** One line per task: "weekly-vacuum  vacuum  ok  VACUUM (ANALYZE) … 3 of 3 tables in 40 ms". */
export function taskLine(result: TaskResult): string {
  const state = result.outcome === 'ok' ? 'ok' : result.outcome === 'problem' ? 'PROBLEM' : 'FAILED';
  return [result.task, result.kind, state, result.outcome === 'failed' ? result.reason : result.summary]
    .filter((part) => part)
    .join('  ');
}

export const dbMaintenanceJob: LocalJob = {
  name: 'db-maintenance',
  enabled: (config) => (config.maintenance?.tasks.length ?? 0) > 0,
  async run(context) {
    const tasks = context.config.maintenance?.tasks ?? [];
    context.progress(`running ${tasks.length} maintenance tasks…`);
    // the drivers load only when tasks actually run
    const { run } = await import('../../lambdas/db-maintenance/db-maintenance');
    const { taskSpec } = await import('../../lambdas/db-maintenance/spec');
    const result = await run(
      {
        project: context.config.project,
        secrets: context.secrets,
        metrics: context.metrics,
        log: context.log,
      },
      tasks.map(taskSpec),
    );
    const lines = [`${result.ok} ok, ${result.problems} found a problem, ${result.failed} failed`];
    for (const task of result.results) {
      lines.push(taskLine(task));
      for (const finding of task.findings.filter((f) => f.problem).slice(0, 5))
        lines.push(`  ! ${finding.text}`);
    }
    return { job: 'db-maintenance', ok: result.problems === 0 && result.failed === 0, lines, detail: result };
  },
};
