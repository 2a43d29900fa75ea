/**
 * The environment contract between the DbMaintenance construct and the db-maintenance handler
 * (lambdas/shared/env.ts). The task travels in the schedule's event (secret names only), not here.
 *
 *   NIGHTSHIFT_PROJECT  project name (metric dimension)
 *   NODE_OPTIONS        read by Node.js
 */
import {
  type EnvContract,
  envReader,
  handlerVariable,
  NODE_OPTIONS,
  PROJECT_VAR,
  type WrittenEnv,
  writeEnv,
} from '../shared/env';

export interface DbMaintenanceEnv {
  readonly project: string;
}

export const dbMaintenanceEnv: EnvContract<DbMaintenanceEnv> = {
  job: 'db-maintenance',
  variables: [handlerVariable(PROJECT_VAR), NODE_OPTIONS],
  nodeFlags: [],
  read(env) {
    const r = envReader('db-maintenance', env);
    return { project: r.required(PROJECT_VAR) };
  },
};

export function dbMaintenanceEnvironment(options: { project: string }): WrittenEnv {
  return writeEnv(dbMaintenanceEnv, { [PROJECT_VAR]: options.project });
}
