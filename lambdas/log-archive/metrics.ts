/**
 * The metric contract of the log archive job (DESIGN rule 11): metric names and their one dimension
 * set (per project, not per group). The core writes them; the LogArchive construct's alarms and
 * dashboard read them. test/lib/app/metric-contract.int.test.ts runs both sides.
 */
export const LogArchiveMetric = {
  LogEventsArchived: 'LogEventsArchived',
  LogArchiveThrottles: 'LogArchiveThrottles',
  ArchivedDay: 'ArchivedDay',
  ArchiveLagHours: 'ArchiveLagHours',
} as const;

export type LogArchiveMetricName = (typeof LogArchiveMetric)[keyof typeof LogArchiveMetric];

/** Every log archive metric has exactly these dimensions. */
export function logArchiveDimensions(project: string): { Project: string } {
  return { Project: project };
}
