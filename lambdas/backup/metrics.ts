/**
 * The metric contract of the backup job (DESIGN rule 11): metric names and their one dimension set.
 * The backup and verify cores write them; the Backups construct's alarms and dashboard read them.
 * test/lib/app/metric-contract.int.test.ts runs both sides.
 */
export const BackupMetric = {
  BackupSucceeded: 'BackupSucceeded',
  BackupFailed: 'BackupFailed',
  BackupBytes: 'BackupBytes',
  NewestBackupAgeHours: 'NewestBackupAgeHours',
  BackupVerified: 'BackupVerified',
} as const;

export type BackupMetricName = (typeof BackupMetric)[keyof typeof BackupMetric];

/** Every backup metric has exactly these dimensions. */
export function backupDimensions(project: string, target: string): { Project: string; Target: string } {
  return { Project: project, Target: target };
}
