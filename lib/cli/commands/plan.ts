/**
 * `nightshift plan` — what `cdk deploy` would create for a config: stacks, jobs and their next runs in
 * the configured time zone, alarms, alert levels. `formatPlan` is reused by `nightshift run`.
 */
import type { Command } from 'commander';
import type { DeploymentPlan } from '../../plan';
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
  if (plan.note) lines.push(color.yellow(`  note: ${plan.note}`));
  lines.push('');

  lines.push(color.bold('Stacks'));
  for (const stack of plan.stacks) {
    const count = stack.resources ? Object.values(stack.resources).reduce((a, b) => a + b, 0) : undefined;
    lines.push(
      `  ${color.cyan(stack.name)}  ${stack.description}${count !== undefined ? ` (${count} resource${count === 1 ? '' : 's'})` : ''}`,
    );
    if (!options.compact) for (const item of stack.contents) lines.push(`    · ${item}`);
  }
  lines.push('');

  lines.push(color.bold(`Jobs (times in ${plan.timeZone})`));
  const width = Math.max(...plan.jobs.map((job) => job.name.length));
  for (const job of plan.jobs) {
    const name = job.name.padEnd(width);
    const pending = job.inApp === false ? color.dim('  (not in the CDK app yet)') : '';
    if (job.schedules.length === 0) {
      lines.push(`  ${color.cyan(name)}  on ${job.trigger ?? 'demand'}${pending}`);
    }
    for (const [i, schedule] of job.schedules.entries()) {
      const label = i === 0 ? color.cyan(name) : ' '.repeat(width);
      const forTargets = schedule.targets ? ` (${schedule.targets.join(', ')})` : '';
      const described =
        schedule.description === schedule.expression
          ? schedule.expression
          : `${schedule.description}  ${color.dim(schedule.expression)}`;
      lines.push(`  ${label}  ${described}${forTargets}${i === 0 ? pending : ''}`);
      const runs = options.compact ? schedule.nextRunsLocal.slice(0, 1) : schedule.nextRunsLocal;
      lines.push(`  ${' '.repeat(width)}  next: ${runs.join(' · ')}`);
    }
    if (!options.compact) {
      lines.push(`  ${' '.repeat(width)}  ${job.description}`);
      if (job.targets.length) lines.push(`  ${' '.repeat(width)}  ${color.dim(job.targets.join(', '))}`);
    }
  }
  lines.push('');

  const fromConfig = plan.alarms.filter((a) => a.source === 'config').length;
  const fromApp = plan.alarms.length - fromConfig;
  const origin =
    plan.source !== 'app'
      ? 'derived from the config'
      : fromConfig === 0
        ? 'from the CDK app'
        : `${fromApp} from the CDK app, ${fromConfig} derived from the config for jobs not in the app yet`;
  if (options.compact) {
    const bySeverity = ['critical', 'high', 'medium', 'low']
      .map((s) => [s, plan.alarms.filter((a) => a.severity === s).length] as const)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${n} ${s}`);
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
          { header: 'SEVERITY', value: 'severity' },
          { header: 'TARGET', value: (a) => a.target ?? '' },
          { header: 'WHAT', value: (a) => (a.source === 'config' ? `${a.summary} *` : a.summary) },
        ],
        { indent: '  ' },
      ),
    );
    if (plan.source === 'app' && fromConfig) lines.push(color.dim('  * not in the CDK app yet'));
  }
  lines.push('');

  lines.push(color.bold('Alert levels (SNS topics, notified in this order)'));
  lines.push(
    ...formatTable(
      plan.levels,
      [
        { header: 'LEVEL', value: 'name' },
        { header: 'TOPIC', value: 'topic' },
        { header: 'SUBSCRIBERS', value: 'subscribers', align: 'right' },
        { header: 'EMAIL', value: (l) => l.email.join(', ') || '-', shrink: true },
        { header: 'SMS', value: (l) => l.sms.join(', ') || '-' },
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
          { header: 'SEVERITY', value: 'severity' },
          { header: 'NOTIFIES FIRST', value: 'notifyFirst' },
          { header: 'ESCALATES AFTER', value: 'escalateAfter' },
          { header: 'REPEATS EVERY', value: 'repeatEvery' },
        ],
        { indent: '  ' },
      ),
    );
  }
  return lines;
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

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('show what would be deployed: stacks, jobs with their next runs, alarms, alert levels')
    .option('--now <iso>', 'compute next runs from this time (ISO 8601) instead of the current time')
    .option('--runs <n>', 'next run times shown per schedule', '3')
    .option('--no-synth', 'plan from the config alone (faster; alarms are derived from the config)')
    .addHelpText(
      'after',
      `
Examples:
  $ nightshift plan                                   ./nightshift.config.yaml
  $ nightshift plan --config examples/inventory.yaml --no-synth
  $ nightshift plan --now 2025-12-24T00:00:00Z --runs 5
  $ nightshift plan --json | jq '.jobs[] | {name, next: .schedules[0].nextRunsLocal}'

Phone numbers are masked except their last 2 digits. By default the CDK app is synthesized (without
bundling) so the alarms listed are the ones \`cdk deploy\` creates.
Exit codes: 0 ok, 2 invalid config or options.`,
    )
    .action(async (raw: { now?: string; runs: string; synth: boolean }, command: Command) => {
      const options = cliOptions(command);
      const now = parseNow(raw.now);
      const runs = Number(raw.runs);
      if (!Number.isInteger(runs) || runs < 1 || runs > 50) {
        throw new CliError(`--runs "${raw.runs}" must be a whole number from 1 to 50`, EXIT.USAGE);
      }
      const { config } = loadConfigForCli(options);
      const { buildPlan, synthesizePlan } = await import('../../plan');
      let plan: DeploymentPlan;
      if (raw.synth) {
        progress('synthesizing the CDK app…');
        plan = await synthesizePlan(config, { now, runs });
      } else {
        plan = buildPlan(config, { now, runs });
      }
      if (options.json) printJson(plan);
      else print(...formatPlan(plan));
    });
}
