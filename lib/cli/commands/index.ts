/**
 * Every CLI command registers itself on the commander program through one function here.
 * Capabilities add their command definition's `register` to this list (one line each). Definitions
 * (lib/cli/definitions/) hold name, options and help text only and import their action from
 * lib/cli/commands/ when it runs, so `nightshift --help` and `<command> --help` load little.
 */
import type { Command } from 'commander';
import { registerAck } from '../definitions/ack';
import { registerAlarms } from '../definitions/alarms';
import { registerArchiveLogs } from '../definitions/archive-logs';
import { registerBackup } from '../definitions/backup';
import { registerBackups } from '../definitions/backups';
import { registerCheck } from '../definitions/check';
import { registerDoctor } from '../definitions/doctor';
import { registerLogs } from '../definitions/logs';
import { registerOncall } from '../definitions/oncall';
import { registerPage } from '../definitions/page';
import { registerPlan } from '../definitions/plan';
import { registerRestore } from '../definitions/restore';
import { registerRun } from '../definitions/run';
import { registerStatus } from '../definitions/status';
import { registerValidate } from '../definitions/validate';
import { registerVerify } from '../definitions/verify';

export type RegisterCommand = (program: Command) => void;

export const COMMANDS: RegisterCommand[] = [
  registerValidate,
  registerPlan,
  registerRun,
  registerArchiveLogs,
  registerLogs,
  registerCheck,
  registerAlarms,
  registerAck,
  registerBackup,
  registerBackups,
  registerRestore,
  registerVerify,
  registerDoctor,
  registerPage,
  registerOncall,
  registerStatus,
];
