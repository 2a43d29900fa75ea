/**
 * The jobs `nightshift run` executes, in order. Each capability adds its LocalJob here (one line).
 */
import { backupJob } from './backup-job';
import { healthCheckJob } from './health-check-job';
import type { LocalJob } from './jobs';
import { logArchiveJob } from './log-archive-job';

export const LOCAL_JOBS: LocalJob[] = [healthCheckJob, backupJob, logArchiveJob];
