/**
 * The environment contract between the Alerting construct and the ack-link handler
 * (lambdas/shared/env.ts, ADR 004).
 *
 *   NIGHTSHIFT_ACK_LINK_TABLE   the ack-link table (links.ts)
 *   NIGHTSHIFT_ACK_TABLE        the acknowledgements table `nightshift ack` writes (alert-router/acks.ts)
 *   NIGHTSHIFT_TIME_ZONE        the project's time zone (times on the page)
 *   NODE_OPTIONS                read by Node.js
 */
import {
  type EnvContract,
  envReader,
  handlerVariable,
  NODE_OPTIONS,
  TIME_ZONE_VAR,
  type WrittenEnv,
  writeEnv,
} from '../shared/env';

export const ACK_LINK_TABLE_VAR = 'NIGHTSHIFT_ACK_LINK_TABLE';
export const ACK_TABLE_VAR = 'NIGHTSHIFT_ACK_TABLE';

export interface AckLinkEnv {
  readonly linkTable: string;
  readonly ackTable: string;
  readonly timeZone: string;
}

export const ackLinkEnv: EnvContract<AckLinkEnv> = {
  job: 'ack-link',
  variables: [
    handlerVariable(ACK_LINK_TABLE_VAR),
    handlerVariable(ACK_TABLE_VAR),
    handlerVariable(TIME_ZONE_VAR),
    NODE_OPTIONS,
  ],
  nodeFlags: [],
  read(env) {
    const r = envReader('ack-link', env);
    return {
      linkTable: r.required(ACK_LINK_TABLE_VAR),
      ackTable: r.required(ACK_TABLE_VAR),
      timeZone: r.timeZone(TIME_ZONE_VAR),
    };
  },
};

export function ackLinkEnvironment(options: {
  linkTable: string;
  ackTable: string;
  timeZone: string;
}): WrittenEnv {
  return writeEnv(ackLinkEnv, {
    [ACK_LINK_TABLE_VAR]: options.linkTable,
    [ACK_TABLE_VAR]: options.ackTable,
    [TIME_ZONE_VAR]: options.timeZone,
  });
}
