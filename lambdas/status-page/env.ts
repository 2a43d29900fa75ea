/**
 * The environment contract between the StatusPage construct and the status-page handler
 * (lambdas/shared/env.ts, ADR 004).
 *
 *   NIGHTSHIFT_STATUS_PAGE   StatusPageSettings JSON (settings.ts): title, targets, their alarms, cache
 *   NIGHTSHIFT_STATUS_TABLE  the incident table (incidents.ts)
 *   NODE_OPTIONS             read by Node.js
 */
import {
  type EnvContract,
  envReader,
  handlerVariable,
  NODE_OPTIONS,
  type WrittenEnv,
  writeEnv,
} from '../shared/env';
import { isObject } from '../shared/json';
import type { StatusPageSettings } from './settings';

export const STATUS_PAGE_VAR = 'NIGHTSHIFT_STATUS_PAGE';
export const STATUS_TABLE_VAR = 'NIGHTSHIFT_STATUS_TABLE';

export interface StatusPageEnv {
  readonly settings: StatusPageSettings;
  readonly table: string;
}

export const statusPageEnv: EnvContract<StatusPageEnv> = {
  job: 'status-page',
  variables: [handlerVariable(STATUS_PAGE_VAR), handlerVariable(STATUS_TABLE_VAR), NODE_OPTIONS],
  nodeFlags: [],
  read(env) {
    const r = envReader('status-page', env);
    const settings = r.json(STATUS_PAGE_VAR);
    if (
      !isObject(settings) ||
      typeof settings.project !== 'string' ||
      typeof settings.title !== 'string' ||
      typeof settings.public !== 'boolean' ||
      typeof settings.cacheSeconds !== 'number' ||
      !Array.isArray(settings.targets) ||
      settings.targets.length === 0 ||
      !settings.targets.every(
        (t) =>
          isObject(t) &&
          typeof t.target === 'string' &&
          typeof t.display === 'string' &&
          typeof t.periodMs === 'number' &&
          isObject(t.alarms),
      )
    ) {
      throw r.fail(STATUS_PAGE_VAR, 'has no project, title, public, cacheSeconds or targets');
    }
    return { settings: settings as unknown as StatusPageSettings, table: r.required(STATUS_TABLE_VAR) };
  },
};

/** `settings` is JSON text (a token string at synth time: alarm names are tokens). */
export function statusPageEnvironment(options: { settings: string; table: string }): WrittenEnv {
  return writeEnv(statusPageEnv, { [STATUS_PAGE_VAR]: options.settings, [STATUS_TABLE_VAR]: options.table });
}
