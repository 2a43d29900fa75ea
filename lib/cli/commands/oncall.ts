/**
 * `nightshift oncall` — who is paged now at each level, and (for rotations) who takes over next and
 * when, in the config's time zone. Reads only the config: the same rotation core the alert router
 * uses at page time (lambdas/alert-router/rotation.ts), so what it shows is what would be paged.
 */
import type { Command } from 'commander';
import { formatTime } from '../../../lambdas/alert-router/format';
import { onCallAt } from '../../../lambdas/alert-router/rotation';
import { maskContact } from '../../../lambdas/shared/mask';
import type { NightshiftConfig } from '../../config/schema';
import { CliError, cliOptions, EXIT, loadConfigForCli, printJson, printTable } from '../output';

export interface OnCallPerson {
  readonly name: string;
  /** Masked addresses and numbers: enough to recognise, not enough to harvest. */
  readonly contacts: readonly string[];
}

export interface OnCallLevel {
  readonly level: string;
  readonly rotating: boolean;
  /** For a level without rotation: everyone on its lists ("everyone"). */
  readonly now: OnCallPerson;
  readonly since?: string | undefined;
  readonly next?: OnCallPerson | undefined;
  /** ISO instant of the next hand-off, and the same in the config's time zone. */
  readonly handoffAt?: string | undefined;
  readonly handoffLocal?: string | undefined;
}

export interface OnCallReport {
  readonly at: string;
  readonly timeZone: string;
  readonly levels: readonly OnCallLevel[];
}

const contactsOf = (entry: { email?: string | undefined; sms?: string | undefined }) =>
  [entry.email, entry.sms].filter((c): c is string => Boolean(c)).map(maskContact);

/** Who is on call at `at`, level by level. */
export function onCallReport(config: NightshiftConfig, at: Date): OnCallReport {
  const timeZone = config.timezone;
  return {
    at: at.toISOString(),
    timeZone,
    levels: config.alerts.levels.map((level): OnCallLevel => {
      if (!level.rotation) {
        return {
          level: level.name,
          rotating: false,
          now: { name: 'everyone', contacts: [...level.email, ...level.sms].map(maskContact) },
        };
      }
      const turn = onCallAt(level.rotation, timeZone, at);
      return {
        level: level.name,
        rotating: true,
        now: { name: turn.current.name, contacts: contactsOf(turn.current) },
        since: turn.since.toISOString(),
        next: { name: turn.next.name, contacts: contactsOf(turn.next) },
        handoffAt: turn.handoffAt.toISOString(),
        handoffLocal: formatTime(turn.handoffAt, timeZone),
      };
    }),
  };
}

/** Parses --at; throws CliError (exit 2) naming the flag and a correct form. */
export function parseAt(text: string | undefined, now: Date = new Date()): Date {
  if (text === undefined) return now;
  const ms = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(text)
    ? Date.parse(text)
    : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new CliError(
      `--at: "${text}" is not an ISO 8601 time — write e.g. 2026-03-30T09:00:00+02:00 or 2026-03-30T07:00:00Z`,
      EXIT.USAGE,
    );
  }
  return new Date(ms);
}

/** The `oncall` command's action (its definition: lib/cli/definitions/oncall.ts). */
export const oncallAction = (flags: { at?: string }, command: Command) => {
  const options = cliOptions(command);
  const at = parseAt(flags.at);
  const { config } = loadConfigForCli(options);
  const report = onCallReport(config, at);
  if (options.json) {
    printJson(report);
    return;
  }
  printTable(report.levels, [
    { header: 'level', value: 'level' },
    { header: 'on call now', value: (l) => l.now.name },
    { header: 'contacts', value: (l) => l.now.contacts.join(', ') || '—', shrink: true },
    { header: 'next', value: (l) => l.next?.name ?? '—' },
    { header: `hand-off (${report.timeZone})`, value: (l) => l.handoffLocal ?? '—' },
  ]);
};
