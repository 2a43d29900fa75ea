/**
 * Every CLI command registers itself on the commander program through one function here.
 * Capabilities add their command module's `register` to this list (one line each).
 */
import type { Command } from 'commander';
import { registerAck } from './ack';
import { registerAlarms } from './alarms';
import { registerArchiveLogs } from './archive-logs';
import { registerBackup } from './backup';
import { registerBackups } from './backups';
import { registerCheck } from './check';
import { registerDoctor } from './doctor';
import { registerLogs } from './logs';
import { registerOncall } from './oncall';
import { registerPage } from './page';
import { registerPlan } from './plan';
import { registerRestore } from './restore';
import { registerRun } from './run';
import { registerStatus } from './status';
import { registerValidate } from './validate';
import { registerVerify } from './verify';

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
