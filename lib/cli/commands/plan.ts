/**
 * `nightshift plan` — what `cdk deploy` would create for a config: stacks, jobs and their next runs in
 * the configured time zone, alarms, alert levels. `formatPlan` is reused by `nightshift run`.
 */
import type { Command } from 'commander';
import { SEVERITIES } from '../../config/primitives';
import type { NightshiftConfig } from '../../config/schema';
import type { DeploymentPlan, PlanOptions } from '../../plan';
import { formatEstimate } from '../../pricing/render';
import type { UsageAssumptions } from '../../pricing/usage';
import {
  CliError,
  cliOptions,
  color,
  EXIT,
  formatTable,
  loadConfigForCli,
  print,
  printJson,
  progress,
} from '../output';

export interface FormatPlanOptions {
  /** One line per job and counts only (for the end of `nightshift run`). @default false */
  readonly compact?: boolean;
}

/** The plan as text lines. */
export function formatPlan(plan: DeploymentPlan, options: FormatPlanOptions = {}): string[] {
  const lines: string[] = [];
  const where = `${plan.region}${plan.account ? `, account ${plan.account}` : ''}`;
  lines.push(`${color.bold(`Deployment plan for ${plan.project}`)} — ${where}, times in ${plan.timeZone}`);
  lines.push('');

  lines.push(color.bold('Stacks'));
  for (const stack of plan.stacks) {
    const count = Object.values(stack.resources).reduce((a, b) => a + b, 0);
    lines.push(
      `  ${color.cyan(stack.name)}  ${stack.description} (${count} resource${count === 1 ? '' : 's'})`,
    );
    if (!options.compact) for (const item of stack.contents) lines.push(`    · ${item}`);
  }
  lines.push('');

  lines.push(color.bold(`Jobs (times in ${plan.timeZone})`));
  const width = Math.max(...plan.jobs.map((job) => job.name.length));
  for (const job of plan.jobs) {
    const name = job.name.padEnd(width);
    if (job.schedules.length === 0) {
      lines.push(`  ${color.cyan(name)}  on ${job.trigger ?? 'demand'}`);
    }
    for (const [i, schedule] of job.schedules.entries()) {
      const label = i === 0 ? color.cyan(name) : ' '.repeat(width);
      const forTargets = schedule.targets ? ` (${schedule.targets.join(', ')})` : '';
      const described =
        schedule.description === schedule.expression
          ? schedule.expression
          : `${schedule.description}  ${color.dim(schedule.expression)}`;
      lines.push(`  ${label}  ${described}${forTargets}`);
      const runs = options.compact ? schedule.nextRunsLocal.slice(0, 1) : schedule.nextRunsLocal;
      lines.push(`  ${' '.repeat(width)}  next: ${runs.join(' · ')}`);
    }
    if (!options.compact) {
      lines.push(`  ${' '.repeat(width)}  ${job.description}`);
      if (job.targets.length) lines.push(`  ${' '.repeat(width)}  ${color.dim(job.targets.join(', '))}`);
    }
  }
  lines.push('');

  const origin =
    'as synthesized: names from the template, severity and levels as the alert router routes them';
  if (options.compact) {
    const bySeverity = [...SEVERITIES, 'unrouted']
      .map((s) => [s, plan.alarms.filter((a) => a.severity === s).length] as const)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${n} ${plan.severities.find((p) => p.severity === s)?.name ?? s}`);
    lines.push(
      `${color.bold(`Alarms (${plan.alarms.length})`)}  ${bySeverity.join(', ')}  ${color.dim(origin)}`,
    );
  } else {
    lines.push(`${color.bold(`Alarms (${plan.alarms.length})`)}  ${color.dim(origin)}`);
    lines.push(
      ...formatTable(
        plan.alarms,
        [
          { header: 'ALARM', value: 'name' },
          { header: 'SEVERITY', value: 'severityName' },
          { header: 'NOTIFIES', value: (a) => a.levels.join(' → ') || '-' },
          { header: 'TARGET', value: (a) => a.target ?? '' },
          { header: 'WHAT', value: 'summary', shrink: true },
        ],
        { indent: '  ' },
      ),
    );
  }
  lines.push('');

  lines.push(color.bold('Alert levels (SNS topics, notified in this order)'));
  lines.push(
    ...formatTable(
      plan.levels,
      [
        {
          header: 'LEVEL',
          value: (l) => (l.rotation ? `${l.name} (rotation: ${l.rotation.join(', ')})` : l.name),
        },
        { header: 'TOPIC', value: 'topic' },
        { header: 'SUBSCRIBERS', value: 'subscribers', align: 'right' },
        { header: 'EMAIL', value: (l) => l.email.join(', ') || '-', shrink: true },
        { header: 'SMS', value: (l) => l.sms.join(', ') || '-' },
        ...(plan.levels.some((l) => l.chat)
          ? [{ header: 'CHAT', value: (l: (typeof plan.levels)[number]) => l.chat?.join(', ') || '-' }]
          : []),
      ],
      { indent: '  ' },
    ),
  );
  if (!options.compact) {
    lines.push('');
    lines.push(color.bold('Severities'));
    lines.push(
      ...formatTable(
        plan.severities,
        [
          { header: 'SEVERITY', value: 'name' },
          { header: 'NOTIFIES FIRST', value: 'notifyFirst' },
          { header: 'ESCALATES AFTER', value: 'escalateAfter' },
          { header: 'REPEATS EVERY', value: 'repeatEvery' },
          { header: 'RAISED TO', value: (s) => s.raisedTo ?? '-' },
        ],
        { indent: '  ' },
      ),
    );
    lines.push('');
    if ('unavailable' in plan.cost) lines.push(`Monthly cost estimate: ${plan.cost.unavailable}`);
    else lines.push(...formatEstimate(plan.cost));
  } else if (!('unavailable' in plan.cost)) {
    const base = plan.cost.totals.base;
    lines.push(
      `  monthly cost of the app itself ≈ $${base.listUsd.toFixed(2)} at list prices, $${base.afterFreeTierUsd.toFixed(2)} with the free tier (nightshift plan shows every line)`,
    );
  }
  return lines;
}

/** A positive number option, e.g. --backup-size 2.5. */
function positiveNumber(flag: string, value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > max) {
    throw new CliError(`${flag} "${value}" must be a number from 0 to ${max}`, EXIT.USAGE);
  }
  return n;
}

interface CostFlags {
  backupSize?: string;
  backupMinutes?: string;
  pages?: string;
  logVolume?: string;
  network?: string;
  pricingRegion?: string;
}

/** The cost estimate's assumptions from the command line. */
export function costAssumptions(raw: CostFlags): UsageAssumptions {
  if (raw.network !== undefined && raw.network !== 'nat' && raw.network !== 'endpoints') {
    throw new CliError(`--network "${raw.network}" must be nat or endpoints`, EXIT.USAGE);
  }
  const backupSizeGb = positiveNumber('--backup-size', raw.backupSize, 100_000);
  const backupMinutes = positiveNumber('--backup-minutes', raw.backupMinutes, 12 * 60);
  const pagesPerMonth = positiveNumber('--pages', raw.pages, 100_000);
  const archivedGbPerDay = positiveNumber('--log-volume', raw.logVolume, 100_000);
  return {
    ...(backupSizeGb !== undefined ? { backupSizeGb } : {}),
    ...(backupMinutes !== undefined ? { backupSeconds: backupMinutes * 60 } : {}),
    ...(pagesPerMonth !== undefined ? { pagesPerMonth } : {}),
    ...(archivedGbPerDay !== undefined ? { archivedGbPerDay } : {}),
    ...(raw.network ? { network: raw.network as 'nat' | 'endpoints' } : {}),
  };
}

/** Parses --now. */
export function parseNow(value: string | undefined): Date {
  if (value === undefined) return new Date();
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new CliError(
      `--now "${value}" is not a date — write ISO 8601, e.g. 2025-06-01T12:00:00Z`,
      EXIT.USAGE,
    );
  }
  return date;
}

/** The `plan` command's action (its definition: lib/cli/definitions/plan.ts). */
export const planAction = async (raw: { now?: string; runs: string } & CostFlags, command: Command) => {
  const options = cliOptions(command);
  const now = parseNow(raw.now);
  const runs = Number(raw.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 50) {
    throw new CliError(`--runs "${raw.runs}" must be a whole number from 1 to 50`, EXIT.USAGE);
  }
  const { config } = loadConfigForCli(options);
  progress('synthesizing the CDK app…');
  const cost = costAssumptions(raw);
  const plan = await planOrExit(config, {
    now,
    runs,
    cost,
    ...(raw.pricingRegion ? { pricingRegion: raw.pricingRegion } : {}),
  });
  if (options.json) printJson(plan);
  else print(...formatPlan(plan));
};

/**
 * The synthesized plan; a config the app cannot be built from is a usage error (exit 2). The templates
 * are cached while config and code are unchanged (lib/plan-cache.ts), unless NIGHTSHIFT_PLAN_CACHE=0.
 */
export async function planOrExit(
  config: NightshiftConfig,
  options: PlanOptions = {},
): Promise<DeploymentPlan> {
  const { synthesizePlan, SynthesisFailed } = await import('../../plan');
  try {
    return await synthesizePlan(config, options, { cache: process.env.NIGHTSHIFT_PLAN_CACHE !== '0' });
  } catch (error) {
    if (error instanceof SynthesisFailed) throw new CliError(error.message, EXIT.USAGE);
    throw error;
  }
}
