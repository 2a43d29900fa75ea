/**
 * The backup bucket's retention rules (docs/retention.md): one lifecycle rule per tier, filtered by the
 * `tier` tag the backup job sets at upload, expiring after lifecycleDays(retention). The DataStack adds
 * them to its bucket, whose own rules already abort incomplete multipart uploads after 1 day and remove
 * noncurrent versions and expired delete markers.
 */
import { Duration } from 'aws-cdk-lib';
import type { LifecycleRule } from 'aws-cdk-lib/aws-s3';
import { DEFAULT_ROOT } from '../../lambdas/backup/layout';
import { lifecycleDays, type RetentionCounts, TIER_TAG, TIERS } from '../../lambdas/backup/retention';

/** Key prefix of every backup object: `backups/<target>/…` (the job's key layout, layout.ts). */
export const BACKUP_ROOT = DEFAULT_ROOT;

export function backupLifecycleRules(retention: RetentionCounts): LifecycleRule[] {
  const days = lifecycleDays(retention);
  return TIERS.map((tier) => ({
    id: `backups-expire-${tier}`,
    prefix: `${BACKUP_ROOT}/`,
    tagFilters: { [TIER_TAG]: tier },
    expiration: Duration.days(days[tier]),
  }));
}
