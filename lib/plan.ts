/**
 * The deployment plan of a config: the stacks, the jobs with their schedules (next runs shown in the
 * configured time zone), the alarms and the alert topics. `buildPlan` is pure (config + clock in, plan
 * out); `synthesizePlan` also synthesizes the real CDK app (lib/app.ts) and takes the alarms and
 * schedules from its templates, so the plan shows what `cdk deploy` would create.
 */

import { decodeAlarmDescription } from '../lambdas/shared/alarm-metadata';
import { formatDuration, nextRuns, parseSchedule, SEVERITIES, type Severity } from './config/primitives';
import { effectiveBackupTargets, effectiveHealthTargets, severityPolicy } from './config/resolved';
import type { NightshiftConfig } from './config/schema';
import { levelTopicName } from './constructs/names';

export interface PlanStack {
  readonly name: string;
  readonly description: string;
  /** What the stack holds, in words. */
  readonly contents: string[];
  /** Resource counts by CloudFormation type, when the app was synthesized. */
  readonly resources?: Record<string, number>;
}

export interface PlanSchedule {
  /** The Scheduler expression, e.g. cron(0 2 * * ? *). */
  readonly expression: string;
  /** The same in words, e.g. "every day at 02:00". */
  readonly description: string;
  readonly timeZone: string;
  /** The next run times (ISO 8601, UTC). */
  readonly nextRuns: string[];
  /** The same, formatted in `timeZone`, e.g. "Tue 2025-06-03 02:00 EDT". */
  readonly nextRunsLocal: string[];
  /** Targets this schedule runs, when a job runs different targets at different times. */
  readonly targets?: string[];
}

export interface PlanJob {
  /** Job name, e.g. "backup" (resources are named `<project>-<name>-…`). */
  readonly name: string;
  readonly description: string;
  /** Empty for event-driven jobs (see `trigger`). */
  readonly schedules: PlanSchedule[];
  /** What starts the job when it has no schedule. */
  readonly trigger?: string;
  /** What the job works on, e.g. "api (http)". */
  readonly targets: string[];
  /** Whether the synthesized CDK app contains this job (undefined when not synthesized). */
  readonly inApp?: boolean;
}

export interface PlanAlarm {
  /** Full alarm name, `<project>-<name>`. */
  readonly name: string;
  readonly severity: Severity;
  /** Target or job the alarm is about. */
  readonly target?: string;
  /** The job whose construct creates the alarm (config-derived alarms). */
  readonly job?: string;
  readonly summary: string;
  /** "app": read from the synthesized templates; "config": derived from the config (not yet in the app). */
  readonly source: 'app' | 'config';
}

export interface PlanLevel {
  readonly name: string;
  /** The SNS topic name. */
  readonly topic: string;
  readonly email: string[];
  /** E.164 numbers, masked except the last 2 digits. */
  readonly sms: string[];
  readonly subscribers: number;
}

export interface PlanSeverity {
  readonly severity: Severity;
  readonly notifyFirst: string;
  readonly escalateAfter: string;
  readonly repeatEvery: string;
}

export interface DeploymentPlan {
  readonly project: string;
  readonly region: string;
  readonly account?: string;
  readonly timeZone: string;
  /** The clock the next runs were computed from (ISO). */
  readonly at: string;
  readonly stacks: PlanStack[];
  readonly jobs: PlanJob[];
  readonly alarms: PlanAlarm[];
  readonly levels: PlanLevel[];
  readonly severities: PlanSeverity[];
  /** "app" when the CDK app was synthesized, "config" when the plan comes from the config alone. */
  readonly source: 'app' | 'config';
  /** Why synthesis was skipped or failed, when it was. */
  readonly note?: string;
}

export interface PlanOptions {
  /** The clock. @default new Date() */
  readonly now?: Date;
  /** Next runs shown per schedule. @default 3 */
  readonly runs?: number;
}

// ---------------------------------------------------------------------------------------------
// Formatting helpers
// ---------------------------------------------------------------------------------------------

/** "+4915112345678" → "+***********78": every digit but the last 2 masked. */
export function maskPhone(number: string): string {
  const digits = number.replace(/\D/g, '');
  const keep = digits.slice(-2);
  return `${number.startsWith('+') ? '+' : ''}${'*'.repeat(Math.max(0, digits.length - 2))}${keep}`;
}

/** "Tue 2025-06-03 02:00 EDT": a date as the wall clock of `timeZone` shows it. */
export function formatInZone(date: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).formatToParts(date);
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('weekday')} ${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} ${get('timeZoneName')}`;
}

const DAYS: Record<string, string> = {
  '1': 'Sunday',
  '2': 'Monday',
  '3': 'Tuesday',
  '4': 'Wednesday',
  '5': 'Thursday',
  '6': 'Friday',
  '7': 'Saturday',
  SUN: 'Sunday',
  MON: 'Monday',
  TUE: 'Tuesday',
  WED: 'Wednesday',
  THU: 'Thursday',
  FRI: 'Friday',
  SAT: 'Saturday',
};

/** A schedule expression in words for the common shapes; the expression itself otherwise. */
export function describeSchedule(expression: string): string {
  const parsed = parseSchedule(expression);
  if (parsed.kind === 'rate') {
    const [, value, unit] = /^rate\((\d+) (\w+?)s?\)$/.exec(parsed.expression) ?? [];
    return value === '1' ? `every ${unit}` : `every ${value} ${unit}s`;
  }
  const [min, hour, dom, month, dow, year] = parsed.fields;
  const fixedTime = /^\d+$/.test(min ?? '') && /^\d+$/.test(hour ?? '');
  if (!fixedTime || month !== '*' || year !== '*') return expression;
  const at = `${String(hour).padStart(2, '0')}:${String(min).padStart(2, '0')}`;
  if (dom === '*' && dow === '?') return `every day at ${at}`;
  if (dom === '?' && dow && DAYS[dow.toUpperCase()]) return `every ${DAYS[dow.toUpperCase()]} at ${at}`;
  if (dom === '?' && dow && /^(MON-FRI|2-6)$/i.test(dow)) return `weekdays at ${at}`;
  if (dow === '?' && dom && /^\d+$/.test(dom)) return `day ${dom} of every month at ${at}`;
  if (dow === '?' && dom === 'L') return `last day of every month at ${at}`;
  return expression;
}

function planSchedule(
  expression: string,
  timeZone: string,
  now: Date,
  runs: number,
  targets?: string[],
): PlanSchedule {
  const next = nextRuns(expression, timeZone, now, runs);
  return {
    expression,
    description: describeSchedule(expression),
    timeZone,
    nextRuns: next.map((d) => d.toISOString()),
    nextRunsLocal: next.map((d) => formatInZone(d, timeZone)),
    ...(targets ? { targets } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// The plan from the config alone
// ---------------------------------------------------------------------------------------------

/** The jobs the config asks for (names match lib/stacks/jobs-stack.ts and lib/local/registry.ts). */
function plannedJobs(config: NightshiftConfig, now: Date, runs: number): PlanJob[] {
  const tz = config.timezone;
  const jobs: PlanJob[] = [];
  const health = effectiveHealthTargets(config);
  if (config.healthChecks && health.length > 0) {
    jobs.push({
      name: 'health-check',
      description: `checks ${health.length} target${health.length === 1 ? '' : 's'}, ${config.healthChecks.concurrency} at a time`,
      schedules: [planSchedule(config.healthChecks.schedule, tz, now, runs)],
      targets: health.map(
        (h) => `${h.target.name} (${h.kind}${h.intervalMs ? `, every ${formatDuration(h.intervalMs)}` : ''})`,
      ),
    });
  }
  const backups = effectiveBackupTargets(config);
  if (config.backups && backups.length > 0) {
    const bySchedule = new Map<string, string[]>();
    for (const b of backups)
      bySchedule.set(b.schedule, [...(bySchedule.get(b.schedule) ?? []), b.target.name]);
    const { daily, weekly, monthly } = config.backups.retention;
    jobs.push({
      name: 'backup',
      description: `dumps to S3, keeps ${daily} daily / ${weekly} weekly / ${monthly} monthly`,
      schedules: [...bySchedule].map(([expression, names]) =>
        planSchedule(expression, tz, now, runs, bySchedule.size > 1 ? names : undefined),
      ),
      targets: backups.map(
        (b) => `${b.target.name} (${b.engine}${b.target.runtime === 'fargate' ? ', fargate' : ''})`,
      ),
    });
    const verified = backups.filter((b) => b.target.verify);
    if (verified.length > 0) {
      const byVerify = new Map<string, string[]>();
      for (const b of verified) {
        const expression = b.target.verify?.schedule ?? 'cron(0 5 1 * ? *)';
        byVerify.set(expression, [...(byVerify.get(expression) ?? []), b.target.name]);
      }
      jobs.push({
        name: 'backup-verify',
        description: 'restores the newest backup into a scratch database and compares counts',
        schedules: [...byVerify].map(([expression, names]) =>
          planSchedule(expression, tz, now, runs, byVerify.size > 1 ? names : undefined),
        ),
        targets: verified.map((b) => b.target.name),
      });
    }
  }
  if (config.logArchive) {
    const la = config.logArchive;
    jobs.push({
      name: 'log-archive',
      description: `archives the previous ${la.day === 'utc' ? 'UTC' : 'local'} day to cold storage (hot retention ${la.hotRetentionDays} d, expiry ${la.cold.expireAfterDays} d)`,
      schedules: [planSchedule(la.schedule, tz, now, runs)],
      targets: la.groups.map((g) =>
        g.name
          ? g.name
          : g.prefix
            ? `${g.prefix}* (prefix)`
            : `tag ${g.tag?.key}${g.tag?.value ? `=${g.tag.value}` : ''}`,
      ),
    });
  }
  jobs.push({
    name: 'alert-router',
    description: 'turns alarm state changes into e-mail/SMS and escalates until acknowledged',
    schedules: [],
    trigger: `CloudWatch alarm state changes (Nightshift alarms and alarms tagged ${config.alerts.routeAlarms.tagKey})`,
    targets: config.alerts.levels.map((l) => l.name),
  });
  return jobs;
}

/** Alarms the config implies, named as the constructs name them (`<project>-<name>`). */
function plannedAlarms(config: NightshiftConfig, jobs: PlanJob[]): PlanAlarm[] {
  const p = config.project;
  const alarms: PlanAlarm[] = [];
  let job = '';
  const add = (name: string, severity: Severity, target: string, summary: string) =>
    alarms.push({ name: `${p}-${name}`, severity, target, job, summary, source: 'config' });
  const jobSeverity: Record<string, Severity> = {
    'health-check': 'high',
    backup: 'high',
    'backup-verify': 'medium',
    'log-archive': 'medium',
    'alert-router': 'critical',
  };
  for (const planned of jobs) {
    job = planned.name;
    const severity = jobSeverity[job] ?? 'high';
    add(`${job}-failed`, severity, job, `${job} job failed`);
    if (planned.schedules.length > 0) {
      add(`${job}-did-not-run`, severity, job, `${job} job did not run`);
      add(`${job}-dlq`, severity, job, `${job} has undelivered schedule events in its dead-letter queue`);
    }
  }
  job = 'health-check';
  for (const h of effectiveHealthTargets(config)) {
    const name = h.target.name;
    add(
      `${name}-down`,
      h.severity,
      name,
      `${name} is down (${h.down.datapoints} of ${h.down.evaluationPeriods} checks)`,
    );
    if (h.kind === 'http') {
      add(`${name}-latency`, h.severity, name, `${name} slower than ${formatDuration(h.maxLatencyMs)}`);
      if (h.target.http?.url.startsWith('https:') && h.target.http.tls !== false) {
        add(`${name}-certificate`, h.severity, name, `${name} TLS certificate expires soon`);
      }
    }
  }
  job = 'backup';
  if (config.backups) {
    for (const b of effectiveBackupTargets(config)) {
      add(
        `backup-${b.target.name}-stale`,
        b.severity,
        `backup/${b.target.name}`,
        `no backup of ${b.target.name} for ${config.backups.maxAge}`,
      );
    }
  }
  job = 'log-archive';
  if (config.logArchive)
    add(
      'log-archive-late',
      'medium',
      'log-archive',
      `previous day not archived by ${config.logArchive.deadline}`,
    );
  job = 'alert-router';
  for (const alarm of config.alerts.alarms) {
    add(
      alarm.name,
      alarm.severity,
      alarm.name,
      alarm.description ??
        (alarm.preset
          ? `preset ${alarm.preset}`
          : `${alarm.namespace ?? ''} ${alarm.metric ?? alarm.expression ?? ''}`.trim()),
    );
  }
  for (const pattern of config.alerts.logPatterns) {
    add(
      pattern.name,
      pattern.severity,
      pattern.logGroup,
      `${pattern.pattern} in ${pattern.logGroup} (${pattern.threshold}+ per ${pattern.period})`,
    );
  }
  if (config.alerts.levels.some((l) => l.sms.length > 0)) {
    add(
      'sms-spend',
      'medium',
      'sns',
      `SMS spend reached ${config.alerts.smsMonthlySpendLimitUsd} USD this month`,
    );
  }
  return alarms;
}

function plannedStacks(config: NightshiftConfig): PlanStack[] {
  const p = config.project;
  const lock = config.backups?.objectLock ?? 'off';
  const levels = config.alerts.levels.length;
  return [
    {
      name: `${p}-data`,
      description: 'stateful, RETAIN: survives a redeploy or destroy of the jobs',
      contents: [
        `KMS key alias/nightshift/${p} (yearly rotation)`,
        `S3 backup bucket (KMS, versioned, TLS only${lock !== 'off' ? `, object lock ${lock}` : ''})`,
        'S3 log-archive bucket (KMS, versioned, TLS only, cold-storage lifecycle)',
        'S3 access-log bucket',
        `${levels} SNS topic${levels === 1 ? '' : 's'} (one per escalation level, KMS-encrypted)`,
      ],
    },
    {
      name: `${p}-jobs`,
      description: 'stateless: jobs, schedules, alarms, alert routing, dashboard',
      contents: [
        'one Lambda function, log group, schedule(s) and encrypted DLQ per job',
        'EventBridge rule routing alarm state changes to the alert router',
        ...(config.alerts.dashboard ? [`CloudWatch dashboard ${p}-nightshift`] : []),
      ],
    },
  ];
}

/** The plan from the config alone (pure). */
export function buildPlan(config: NightshiftConfig, options: PlanOptions = {}): DeploymentPlan {
  const now = options.now ?? new Date();
  const runs = options.runs ?? 3;
  const jobs = plannedJobs(config, now, runs);
  const levels: PlanLevel[] = config.alerts.levels.map((level) => ({
    name: level.name,
    topic: levelTopicName(config, level.name),
    email: [...level.email],
    sms: level.sms.map(maskPhone),
    subscribers: level.email.length + level.sms.length,
  }));
  const severities: PlanSeverity[] = SEVERITIES.map((severity) => {
    const policy = severityPolicy(config, severity);
    return {
      severity,
      notifyFirst: config.alerts.levels[policy.firstLevel]?.name ?? '',
      escalateAfter: formatDuration(policy.escalateAfterMs),
      repeatEvery: formatDuration(policy.repeatEveryMs),
    };
  });
  return {
    project: config.project,
    region: config.region,
    ...(config.account ? { account: config.account } : {}),
    timeZone: config.timezone,
    at: now.toISOString(),
    stacks: plannedStacks(config),
    jobs,
    alarms: plannedAlarms(config, jobs),
    levels,
    severities,
    source: 'config',
  };
}

// ---------------------------------------------------------------------------------------------
// The plan from the synthesized app
// ---------------------------------------------------------------------------------------------

interface CfnResource {
  readonly Type?: string;
  readonly Properties?: Record<string, unknown>;
}
export interface StackTemplate {
  readonly stackName: string;
  readonly template: { readonly Resources?: Record<string, CfnResource> };
}

/** Every AWS::CloudWatch::Alarm with a literal name, with severity and target from its description. */
export function alarmsFromTemplates(templates: readonly StackTemplate[]): PlanAlarm[] {
  const alarms: PlanAlarm[] = [];
  for (const { template } of templates) {
    for (const resource of Object.values(template.Resources ?? {})) {
      if (resource.Type !== 'AWS::CloudWatch::Alarm') continue;
      const props = resource.Properties ?? {};
      const name = typeof props.AlarmName === 'string' ? props.AlarmName : undefined;
      if (!name) continue;
      const description = typeof props.AlarmDescription === 'string' ? props.AlarmDescription : undefined;
      const { summary, meta } = decodeAlarmDescription(description);
      alarms.push({
        name,
        severity: meta?.severity ?? 'high',
        ...(meta?.target ? { target: meta.target } : {}),
        summary,
        source: 'app',
      });
    }
  }
  return alarms.sort((a, b) => a.name.localeCompare(b.name));
}

/** Resource counts by type, per stack. */
function resourceCounts(template: StackTemplate['template']): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const resource of Object.values(template.Resources ?? {})) {
    if (resource.Type) counts[resource.Type] = (counts[resource.Type] ?? 0) + 1;
  }
  return counts;
}

/** Scheduler schedule names in the templates (`<project>-<job>-<schedule>`). */
function scheduleNames(templates: readonly StackTemplate[]): string[] {
  return templates.flatMap(({ template }) =>
    Object.values(template.Resources ?? {})
      .filter((r) => r.Type === 'AWS::Scheduler::Schedule' && typeof r.Properties?.Name === 'string')
      .map((r) => String(r.Properties?.Name)),
  );
}

/**
 * Combines the config plan with synthesized templates: alarms from the app, plus the config-derived
 * alarms of jobs the app does not contain yet (marked source "config"); jobs marked `inApp`.
 */
export function mergeTemplates(plan: DeploymentPlan, templates: readonly StackTemplate[]): DeploymentPlan {
  const fromApp = alarmsFromTemplates(templates);
  const appNames = new Set(fromApp.map((a) => a.name));
  const schedules = scheduleNames(templates);
  const inApp = (job: PlanJob) =>
    appNames.has(`${plan.project}-${job.name}-failed`) ||
    schedules.some((name) => name.startsWith(`${plan.project}-${job.name}-`));
  const jobs = plan.jobs.map((job) => ({ ...job, inApp: inApp(job) }));
  const jobInApp = new Set(jobs.filter((j) => j.inApp).map((j) => j.name));
  // alarms of jobs the app builds come from the app, whatever their names; the others are still planned
  const missing = plan.alarms.filter(
    (alarm) => !appNames.has(alarm.name) && !(alarm.job && jobInApp.has(alarm.job)),
  );
  return {
    ...plan,
    stacks: plan.stacks.map((stack) => {
      const match = templates.find((t) => t.stackName === stack.name);
      return match ? { ...stack, resources: resourceCounts(match.template) } : stack;
    }),
    jobs,
    alarms: [...fromApp, ...missing],
    source: 'app',
  };
}

/**
 * The plan with alarms and resources read from the real CDK app (synthesized without bundling into a
 * temp dir). Falls back to the config plan, with a `note`, when synthesis fails.
 */
export async function synthesizePlan(
  config: NightshiftConfig,
  options: PlanOptions = {},
): Promise<DeploymentPlan> {
  const plan = buildPlan(config, options);
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const outdir = await mkdtemp(join(tmpdir(), 'nightshift-plan-'));
  try {
    const { buildApp } = await import('./app');
    const { app } = buildApp(config, { bundling: false, outdir });
    const assembly = app.synth();
    const templates: StackTemplate[] = assembly.stacks.map((stack) => ({
      stackName: stack.stackName,
      template: stack.template as StackTemplate['template'],
    }));
    return mergeTemplates(plan, templates);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return {
      ...plan,
      note: `the CDK app could not be synthesized (${reason}); alarms are derived from the config`,
    };
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}
