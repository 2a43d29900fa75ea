/**
 * The jobs `nightshift run` executes, in order. Each capability adds its LocalJob here (one line).
 */

import { alertsJob } from './alert-preview';
import { backupJob } from './backup-job';
import { dbMaintenanceJob } from './db-maintenance-job';
import { healthCheckJob } from './health-check-job';
import type { LocalJob } from './jobs';
import { logArchiveJob } from './log-archive-job';

// alerts runs last: it previews the messages for failures the jobs before it reported.
export const LOCAL_JOBS: LocalJob[] = [healthCheckJob, backupJob, logArchiveJob, dbMaintenanceJob, alertsJob];
