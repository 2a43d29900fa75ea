/**
 * The environment contract between the HealthChecks construct and the health-check handler
 * (lambdas/shared/env.ts). The targets travel in the schedule's event, not here.
 *
 *   NIGHTSHIFT_PROJECT             project name (metric dimension)
 *   NIGHTSHIFT_HEALTH_CONCURRENCY  targets checked at once (healthChecks.concurrency)
 *   NIGHTSHIFT_SCRAPE_TABLE        DynamoDB table of the prometheus targets' previous scrapes; set only
 *                                  when the config has a prometheus target (prometheus/state.ts)
 *   NODE_OPTIONS                   read by Node.js
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

export const HEALTH_CONCURRENCY_VAR = 'NIGHTSHIFT_HEALTH_CONCURRENCY';
export const SCRAPE_TABLE_VAR = 'NIGHTSHIFT_SCRAPE_TABLE';

export interface HealthCheckEnv {
  readonly project: string;
  readonly concurrency: number;
  /** Undefined: no prometheus target, or a local run; scrapes are then kept in memory. */
  readonly scrapeTable?: string | undefined;
}

export const healthCheckEnv: EnvContract<HealthCheckEnv> = {
  job: 'health-check',
  variables: [
    handlerVariable(PROJECT_VAR),
    handlerVariable(HEALTH_CONCURRENCY_VAR),
    handlerVariable(SCRAPE_TABLE_VAR, false),
    NODE_OPTIONS,
  ],
  nodeFlags: [],
  read(env) {
    const r = envReader('health-check', env);
    return {
      project: r.required(PROJECT_VAR),
      concurrency: r.integer(HEALTH_CONCURRENCY_VAR, 1, 256),
      scrapeTable: r.optional(SCRAPE_TABLE_VAR),
    };
  },
};

export function healthCheckEnvironment(options: {
  project: string;
  concurrency: number;
  scrapeTable?: string | undefined;
}): WrittenEnv {
  return writeEnv(healthCheckEnv, {
    [PROJECT_VAR]: options.project,
    [HEALTH_CONCURRENCY_VAR]: String(options.concurrency),
    [SCRAPE_TABLE_VAR]: options.scrapeTable,
  });
}
