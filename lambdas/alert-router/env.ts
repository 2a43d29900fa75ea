/**
 * The environment contract between the Alerting construct and the alert-router handler
 * (lambdas/shared/env.ts).
 *
 *   NIGHTSHIFT_ALERTS              RouterSettings JSON (settings.ts): levels, severities, maintenance
 *   ESCALATION_STATE_MACHINE_ARN   the escalation state machine the router starts
 *   NIGHTSHIFT_ACK_LINK_BASE       the ack-link Function URL: pages carry `<base><id>` (ADR 006)
 *   NIGHTSHIFT_ACK_LINK_TABLE      the ack-link table the router writes minted links to
 *   NODE_OPTIONS                   read by Node.js
 */

import { ACK_LINK_TABLE_VAR as ACK_LINK_TABLE } from '../ack-link/env';
import {
  type EnvContract,
  envReader,
  handlerVariable,
  NODE_OPTIONS,
  type WrittenEnv,
  writeEnv,
} from '../shared/env';
import { isObject } from '../shared/json';
import type { RouterSettings } from './settings';

export const ALERTS_VAR = 'NIGHTSHIFT_ALERTS';
export const ESCALATION_VAR = 'ESCALATION_STATE_MACHINE_ARN';
export const ACK_LINK_BASE_VAR = 'NIGHTSHIFT_ACK_LINK_BASE';

export interface AlertRouterEnv {
  readonly settings: RouterSettings;
  readonly stateMachineArn: string;
  readonly ackLinkBase: string;
  readonly ackLinkTable: string;
}

function settingsOf(r: ReturnType<typeof envReader>): RouterSettings {
  const settings = r.json(ALERTS_VAR);
  if (
    !isObject(settings) ||
    typeof settings.project !== 'string' ||
    !Array.isArray(settings.levels) ||
    settings.levels.length === 0 ||
    !isObject(settings.severities) ||
    !isObject(settings.aliases)
  ) {
    throw r.fail(ALERTS_VAR, 'has no project, levels, severities or aliases');
  }
  return settings as unknown as RouterSettings;
}

/** The router's settings from the text of NIGHTSHIFT_ALERTS, checked as the handler checks them (used by `plan`). */
export function readRouterSettings(text: string | undefined): RouterSettings {
  return settingsOf(envReader('alert-router', { [ALERTS_VAR]: text }));
}

export const alertRouterEnv: EnvContract<AlertRouterEnv> = {
  job: 'alert-router',
  variables: [
    handlerVariable(ALERTS_VAR),
    handlerVariable(ESCALATION_VAR),
    handlerVariable(ACK_LINK_BASE_VAR),
    handlerVariable(ACK_LINK_TABLE),
    NODE_OPTIONS,
  ],
  nodeFlags: [],
  read(env) {
    const r = envReader('alert-router', env);
    const settings = settingsOf(r);
    const stateMachineArn = r.required(ESCALATION_VAR);
    if (!stateMachineArn.startsWith('arn:')) throw r.fail(ESCALATION_VAR, 'is not an ARN');
    const ackLinkBase = r.required(ACK_LINK_BASE_VAR);
    if (!/^https:\/\/[^/\s]+\/$/.test(ackLinkBase)) {
      throw r.fail(ACK_LINK_BASE_VAR, `is not an https:// base URL ending in "/" ("${ackLinkBase}")`);
    }
    return {
      settings,
      stateMachineArn,
      ackLinkBase,
      ackLinkTable: r.required(ACK_LINK_TABLE),
    };
  },
};

/** `settings` is the JSON text (a token string at synth time: it holds the topic ARNs). */
export function alertRouterEnvironment(options: {
  settings: string;
  stateMachineArn: string;
  ackLinkBase: string;
  ackLinkTable: string;
}): WrittenEnv {
  return writeEnv(alertRouterEnv, {
    [ALERTS_VAR]: options.settings,
    [ESCALATION_VAR]: options.stateMachineArn,
    [ACK_LINK_BASE_VAR]: options.ackLinkBase,
    [ACK_LINK_TABLE]: options.ackLinkTable,
  });
}
