/**
 * `nightshift run`: backs up every configured target once into the embedded store, with the same
 * core as the Lambda job. One failing target does not stop the others.
 */
import { BackupFailed, run } from '../../lambdas/backup/backup';
import { reasonOf } from '../../lambdas/shared/redact';
import { effectiveBackupTargets } from '../config/resolved';
import type { LocalJob } from './jobs';

export const backupJob: LocalJob = {
  name: 'backup',
  enabled: (config) => (config.backups?.targets.length ?? 0) > 0,
  async run(context) {
    const { config } = context;
    const section = config.backups;
    const lines: string[] = [];
    const detail: {
      target: string;
      ok: boolean;
      key?: string;
      tier?: string;
      bytes?: number;
      error?: string;
    }[] = [];
    if (!section) return { job: 'backup', ok: true, lines, detail };
    for (const { target, compressionLevel } of effectiveBackupTargets(config)) {
      try {
        const result = await run(
          {
            s3: context.s3,
            bucket: context.buckets.backups,
            secrets: context.secrets,
            log: context.log,
            metrics: context.metrics,
            now: context.now,
            project: config.project,
            timeZone: config.timezone,
            retention: section.retention,
            onProgress: ({ bytesIn }) =>
              context.progress(`backup ${target.name}  ${(bytesIn / 1048576).toFixed(1)} MB`),
          },
          { target, compressionLevel },
        );
        const m = result.manifest;
        lines.push(`${target.name}  ${m.tier}  ${(m.bytesOut / 1048576).toFixed(1)} MB  ${m.key}`);
        detail.push({ target: target.name, ok: true, key: m.key, tier: m.tier, bytes: m.bytesOut });
      } catch (error) {
        const reason = error instanceof BackupFailed ? error.reason : reasonOf(error);
        lines.push(`${target.name}  failed  ${reason}`);
        detail.push({ target: target.name, ok: false, error: reason });
      }
    }
    return { job: 'backup', ok: detail.every((d) => d.ok), lines, detail };
  },
};
