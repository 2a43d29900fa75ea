/**
 * The metric contract of the db-maintenance job (DESIGN rule 11): metric names and their one dimension
 * set. The core (db-maintenance.ts) writes them once per task run; the DbMaintenance construct's alarms
 * read them. test/lib/app/metric-contract.int.test.ts runs both sides.
 *
 *   MaintenanceProblem  1 when the task ran and found a problem (bloat, a slow query, a big key, a SQL
 *                       check over its threshold), 0 when it ran and found none; not sent when it failed
 *   MaintenanceFailed   1 when the task could not do its work (lock timeout, statement timeout, no
 *                       connection, pg_stat_statements missing, a write refused), 0 when it did
 *
 * VACUUM tasks send only MaintenanceFailed (findsProblems).
 */
export const MaintenanceMetric = {
  Problem: 'MaintenanceProblem',
  Failed: 'MaintenanceFailed',
} as const;

export type MaintenanceMetricName = (typeof MaintenanceMetric)[keyof typeof MaintenanceMetric];

/**
 * Whether a task of this kind can find a problem (and so sends MaintenanceProblem and has its alarm).
 * VACUUM only succeeds or fails: a Problem metric and alarm for it would cost $0.40 a month for nothing.
 */
export function findsProblems(kind: string): boolean {
  return kind !== 'vacuum';
}

/** Every maintenance metric has exactly these dimensions. */
export function maintenanceDimensions(project: string, task: string): { Project: string; Task: string } {
  return { Project: project, Task: task };
}
