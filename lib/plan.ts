/**
 * The deployment plan of a config: the stacks, the jobs with their schedules (next runs shown in the
 * configured time zone), the alarms and the alert topics. The alarms are the synthesized app's (lib/app.ts)
 * and nothing else: names from the templates, severity and target from the metadata the router reads,
 * and the levels each one notifies from the router's own settings (its NIGHTSHIFT_ALERTS variable),
 * decided by the router's routingDecision. There is no second model of the alarms to drift.
 * `buildPlan` is pure (config + templates + clock in); `synthesizePlan` synthesizes the app first.
 */

import { ALERTS_VAR, readRouterSettings } from '../lambdas/alert-router/env';
import { escalationLevels, routingDecision } from '../lambdas/alert-router/routing';
import type { RouterSettings } from '../lambdas/alert-router/settings';
import { maskPhone } from '../lambdas/shared/mask';
import { formatDuration, nextRuns, parseSchedule, SEVERITIES, type Severity } from './config/primitives';
import { effectiveBackupTargets, effectiveHealthTargets } from './config/resolved';
import type { NightshiftConfig } from './config/schema';
import { severityWithName } from './config/severity-names';
import { levelTopicName } from './constructs/plain-names';
import { type Estimate, estimateMonthlyCost } from './pricing/estimate';
import { PricingRegionUnknown, pricesFor, type RegionPrices } from './pricing/prices';
import { type CfnTemplate, type UsageAssumptions, usageFromTemplates } from './pricing/usage';

export interface PlanStack {
  readonly name: string;
  readonly description: string;
  /** What the stack holds, in words. */
  readonly contents: string[];
  /** Resource counts by CloudFormation type in the synthesized template. */
  readonly resources: Record<string, number>;
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
}

/** The one metric a metric alarm watches, when its dimensions are known at synthesis. */
export interface PlanAlarmMetric {
  readonly namespace: string;
  readonly name: string;
  /** The exact dimension set (CloudWatch matches it exactly). */
  readonly dimensions: Record<string, string>;
  readonly statistic: string;
  readonly periodSeconds: number;
  /** e.g. "LessThanThreshold". */
  readonly comparison: string;
  readonly threshold: number;
  /** M in "M of N". */
  readonly datapointsToAlarm: number;
  readonly evaluationPeriods: number;
}

export interface PlanAlarm {
  /** The AlarmName in the template, `<project>-<name>`. */
  readonly name: string;
  /** As the router decides it; "unrouted" if the router would ignore the alarm. */
  readonly severity: Severity | 'unrouted';
  /** How the CLI shows it: "P1 (high)" with an alias (alerts.severities.aliases), else as `severity`. */
  readonly severityName: string;
  /** Target or job the alarm is about. */
  readonly target?: string;
  readonly summary: string;
  readonly runbook?: string;
  /** The levels the router notifies, first one first, then each escalation step. */
  readonly levels: string[];
  /** Metric alarms on one metric with literal dimensions (not metric math or composite alarms). */
  readonly metric?: PlanAlarmMetric;
}

export interface PlanLevel {
  readonly name: string;
  /** The SNS topic name. */
  readonly topic: string;
  readonly email: string[];
  /** E.164 numbers, masked as the alert notices mask them ("+1…23", lambdas/shared/mask.ts). */
  readonly sms: string[];
  readonly subscribers: number;
  /** Member names in turn order, when the level rotates (only the member on call is paged). */
  readonly rotation?: string[] | undefined;
  /** Chat channels and webhooks by kind, e.g. ["slack", "teams", "webhook googleChat"]; absent: none. */
  readonly chat?: string[] | undefined;
}

export interface PlanSeverity {
  readonly severity: Severity;
  /** "P1 (high)" with an alias (alerts.severities.aliases), else the severity. */
  readonly name: string;
  readonly notifyFirst: string;
  readonly escalateAfter: string;
  readonly repeatEvery: string;
  /** promoteAfter: "P0 (critical) after 45 min", when an unacknowledged alarm is raised. */
  readonly raisedTo?: string;
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
  /** Every alarm in the synthesized templates, by name. */
  readonly alarms: PlanAlarm[];
  readonly levels: PlanLevel[];
  /** How each severity notifies and escalates, from the router's settings in the template. */
  readonly severities: PlanSeverity[];
  /** The monthly cost estimate of the synthesized app (lib/pricing), or why there is none. */
  readonly cost: Estimate | { readonly unavailable: string };
}

export interface PlanOptions {
  /** The clock. @default new Date() */
  readonly now?: Date;
  /** Next runs shown per schedule. @default 3 */
  readonly runs?: number;
  /** Assumptions of the cost estimate (pages a month, backup size, log volume, VPC network). */
  readonly cost?: UsageAssumptions;
  /** Price table to use. @default the config's region */
  readonly pricingRegion?: string;
}

// ---------------------------------------------------------------------------------------------
// Formatting helpers
// ---------------------------------------------------------------------------------------------

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
  const tasks = config.maintenance?.tasks ?? [];
  if (tasks.length > 0) {
    const byTask = new Map<string, string[]>();
    for (const t of tasks) byTask.set(t.schedule, [...(byTask.get(t.schedule) ?? []), t.name]);
    jobs.push({
      name: 'db-maintenance',
      description: `runs ${tasks.length} maintenance task${tasks.length === 1 ? '' : 's'}; a problem found or a task failed raises its alarm`,
      schedules: [...byTask].map(([expression, names]) => planSchedule(expression, tz, now, runs, names)),
      targets: tasks.map((t) => `${t.name} (${t.kind}, ${'postgres' in t ? 'postgres' : 'redis'})`),
    });
  }
  jobs.push({
    name: 'alert-router',
    description: 'turns alarm state changes into e-mail/SMS and escalates until acknowledged',
    schedules: [],
    trigger: `CloudWatch alarm state changes (Nightshift alarms and alarms tagged ${config.alerts.routeAlarms.tagKey})`,
    targets: config.alerts.levels.map((l) => l.name),
  });
  if (config.statusPage) {
    jobs.push({
      name: 'status-page',
      description: `serves "${config.statusPage.title}" (${config.statusPage.public ? 'public, through CloudFront' : 'private, AWS_IAM function URL'}); incidents follow the targets' alarms`,
      schedules: [],
      trigger: 'page views, and state changes of the listed targets’ down and latency alarms',
      targets: config.statusPage.targets.map((t) =>
        typeof t === 'string' ? t : `${t.target} ("${t.name}")`,
      ),
    });
  }
  return jobs;
}

function plannedStacks(config: NightshiftConfig): Omit<PlanStack, 'resources'>[] {
  const p = config.project;
  const lock = config.backups?.objectLock ?? 'off';
  const levels = config.alerts.levels.length;
  const keyed = config.encryption === 'customer-key';
  const sse = keyed ? 'KMS' : 'SSE-S3';
  return [
    {
      name: `${p}-data`,
      description: 'stateful, RETAIN: survives a redeploy or destroy of the jobs',
      contents: [
        ...(keyed ? [`KMS key alias/nightshift/${p} (yearly rotation)`] : []),
        `S3 backup bucket (${sse}, versioned, TLS only${lock !== 'off' ? `, object lock ${lock}` : ''})`,
        `S3 log-archive bucket (${sse}, versioned, TLS only, cold-storage lifecycle)`,
        'S3 access-log bucket',
        `${levels} SNS topic${levels === 1 ? '' : 's'} (one per escalation level, ${keyed ? 'KMS-encrypted' : 'TLS only, not encrypted at rest'})`,
      ],
    },
    {
      name: `${p}-jobs`,
      description: 'stateless: jobs, schedules, alarms, alert routing, dashboard',
      contents: [
        "one Lambda function, log group and schedule(s) per job; one dead-letter queue for every job's schedules",
        'EventBridge rule routing alarm state changes to the alert router',
        ...(config.alerts.dashboard ? [`CloudWatch dashboard ${p}-nightshift`] : []),
      ],
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// The alarms and alert routing of the synthesized app
// ---------------------------------------------------------------------------------------------

interface CfnResource {
  readonly Type?: string;
  readonly Properties?: Record<string, unknown>;
}
export interface StackTemplate {
  readonly stackName: string;
  readonly template: { readonly Resources?: Record<string, CfnResource> };
}

/** Stands for values CloudFormation fills in at deploy time (topic ARNs, queue names). */
const DEPLOY_TIME = '<deploy-time>';

/** A string property as deployed, with Fn::Join parts that are resolved at deploy time replaced. */
function joined(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join'];
  if (!Array.isArray(join)) return undefined;
  const [separator, parts] = join;
  return parts.map((part) => (typeof part === 'string' ? part : DEPLOY_TIME)).join(separator);
}

function resources(templates: readonly StackTemplate[]): [string, CfnResource][] {
  return templates.flatMap(({ template }) => Object.entries(template.Resources ?? {}));
}

const ALARM_TYPES = new Set(['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm']);

/** The AlarmName of every alarm in the templates (the logical id when the name is not literal). */
export function templateAlarmNames(templates: readonly StackTemplate[]): string[] {
  return resources(templates)
    .filter(([, r]) => ALARM_TYPES.has(r.Type ?? ''))
    .map(([id, r]) => (typeof r.Properties?.AlarmName === 'string' ? r.Properties.AlarmName : id));
}

/** The alert router's settings as deployed: the NIGHTSHIFT_ALERTS variable of its function. */
export function routerSettingsFromTemplates(templates: readonly StackTemplate[]): RouterSettings {
  for (const [, resource] of resources(templates)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const variables = (
      resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined
    )?.Variables;
    const text = joined(variables?.[ALERTS_VAR]);
    if (text) return readRouterSettings(text);
  }
  throw new Error(
    `the synthesized app has no alert router (no function with ${ALERTS_VAR}) — alerts.levels must list at least one level`,
  );
}

function tagsOf(properties: Record<string, unknown>): Record<string, string> {
  const tags = Array.isArray(properties.Tags)
    ? (properties.Tags as { Key?: unknown; Value?: unknown }[])
    : [];
  return Object.fromEntries(
    tags
      .filter((t) => typeof t.Key === 'string' && typeof t.Value === 'string')
      .map((t) => [String(t.Key), String(t.Value)]),
  );
}

/**
 * A metric alarm's metric, or the one metric under a `FILL(m, value)` alarm (a metric sent only when
 * something is wrong, or a count that is absent when nothing happened: the datapoints it is sent with
 * are compared with the threshold exactly as on a plain alarm).
 */
function metricOf(properties: Record<string, unknown>): PlanAlarmMetric | undefined {
  const queries = Array.isArray(properties.Metrics) ? (properties.Metrics as Record<string, unknown>[]) : [];
  if (queries.length === 2) {
    const expression = queries.find((q) => typeof q.Expression === 'string');
    const stat = queries.find((q) => q.MetricStat)?.MetricStat as Record<string, unknown> | undefined;
    const metric = stat?.Metric as Record<string, unknown> | undefined;
    if (expression && metric && /^FILL\(\w+, -?[\d.]+\)$/.test(String(expression.Expression))) {
      return metricOf({
        ...properties,
        Metrics: undefined,
        Namespace: metric.Namespace,
        MetricName: metric.MetricName,
        Dimensions: metric.Dimensions,
        Statistic: stat?.Stat,
        Period: stat?.Period,
      });
    }
  }
  const { Namespace, MetricName, Statistic, ExtendedStatistic, Period, ComparisonOperator, Threshold } =
    properties;
  if (typeof Namespace !== 'string' || typeof MetricName !== 'string') return undefined;
  const dimensions: Record<string, string> = {};
  for (const d of (properties.Dimensions as { Name?: unknown; Value?: unknown }[] | undefined) ?? []) {
    if (typeof d.Name !== 'string' || typeof d.Value !== 'string') return undefined;
    dimensions[d.Name] = d.Value;
  }
  const evaluationPeriods = Number(properties.EvaluationPeriods ?? 1);
  return {
    namespace: Namespace,
    name: MetricName,
    dimensions,
    statistic: String(Statistic ?? ExtendedStatistic ?? ''),
    periodSeconds: Number(Period),
    comparison: String(ComparisonOperator),
    threshold: Number(Threshold),
    datapointsToAlarm: Number(properties.DatapointsToAlarm ?? evaluationPeriods),
    evaluationPeriods,
  };
}

/**
 * Every alarm in the templates, as the deployed router treats it: routingDecision on its name,
 * description and tags, and the levels its severity notifies under the router's settings.
 */
export function alarmsFromTemplates(templates: readonly StackTemplate[]): PlanAlarm[] {
  const settings = routerSettingsFromTemplates(templates);
  const alarms: PlanAlarm[] = [];
  for (const [id, resource] of resources(templates)) {
    if (!ALARM_TYPES.has(resource.Type ?? '')) continue;
    const props = resource.Properties ?? {};
    const name = typeof props.AlarmName === 'string' ? props.AlarmName : id;
    const description = typeof props.AlarmDescription === 'string' ? props.AlarmDescription : undefined;
    const decision = routingDecision(settings, { name, description, tags: tagsOf(props) });
    const metric = metricOf(props);
    alarms.push({
      name,
      ...(decision.routed
        ? {
            severity: decision.severity,
            severityName: severityWithName(settings.aliases, decision.severity),
            target: decision.target,
            summary: decision.summary,
            ...(decision.runbook ? { runbook: decision.runbook } : {}),
            levels: escalationLevels(settings, decision.severity),
          }
        : { severity: 'unrouted' as const, severityName: 'unrouted', summary: decision.why, levels: [] }),
      ...(metric ? { metric } : {}),
    });
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

// ---------------------------------------------------------------------------------------------
// The plan
// ---------------------------------------------------------------------------------------------

/** The plan of a config and its synthesized templates (pure). */
export function buildPlan(
  config: NightshiftConfig,
  templates: readonly StackTemplate[],
  options: PlanOptions = {},
): DeploymentPlan {
  const now = options.now ?? new Date();
  const runs = options.runs ?? 3;
  const settings = routerSettingsFromTemplates(templates);
  const levels: PlanLevel[] = config.alerts.levels.map((level) => {
    // A rotation pages one member at a time: its contacts are the members' (e-mail via member topics).
    const members = level.rotation?.members;
    const email = members ? members.flatMap((m) => (m.email ? [m.email] : [])) : [...level.email];
    const sms = members ? members.flatMap((m) => (m.sms ? [m.sms] : [])) : level.sms;
    return {
      name: level.name,
      topic: levelTopicName(config, level.name),
      email,
      sms: sms.map(maskPhone),
      subscribers: members ? 0 : email.length + sms.length,
      ...(members ? { rotation: members.map((m) => m.name) } : {}),
      ...(level.chat.length || level.webhooks.length
        ? { chat: [...level.chat.map((c) => c.kind), ...level.webhooks.map((w) => `webhook ${w.kind}`)] }
        : {}),
    };
  });
  const severities: PlanSeverity[] = SEVERITIES.map((severity) => {
    const policy = settings.severities[severity];
    return {
      severity,
      name: severityWithName(settings.aliases, severity),
      notifyFirst: settings.levels[policy.firstLevel]?.name ?? '',
      escalateAfter: formatDuration(policy.escalateAfterMs),
      repeatEvery: formatDuration(policy.repeatEveryMs),
      ...(policy.promoteTo && policy.promoteAfterMs
        ? {
            raisedTo: `${severityWithName(settings.aliases, policy.promoteTo)} after ${formatDuration(policy.promoteAfterMs)}`,
          }
        : {}),
    };
  });
  return {
    project: config.project,
    region: config.region,
    ...(config.account ? { account: config.account } : {}),
    timeZone: config.timezone,
    at: now.toISOString(),
    stacks: plannedStacks(config).map((stack) => {
      const match = templates.find((t) => t.stackName === stack.name);
      return { ...stack, resources: match ? resourceCounts(match.template) : {} };
    }),
    jobs: plannedJobs(config, now, runs),
    alarms: alarmsFromTemplates(templates),
    levels,
    severities,
    cost: planCost(templates, options.pricingRegion ?? config.region, options.cost),
  };
}

function planCost(
  templates: readonly StackTemplate[],
  region: string,
  assumptions: UsageAssumptions | undefined,
): DeploymentPlan['cost'] {
  let prices: RegionPrices;
  try {
    prices = pricesFor(region);
  } catch (error) {
    if (error instanceof PricingRegionUnknown) return { unavailable: error.message };
    throw error;
  }
  return estimateMonthlyCost(
    usageFromTemplates(
      templates.map((t) => t.template as CfnTemplate),
      assumptions,
    ),
    prices,
  );
}

/** The CDK app would not synthesize: the config cannot be deployed as it is. */
export class SynthesisFailed extends Error {
  constructor(reason: string, options?: ErrorOptions) {
    super(
      `the CDK app could not be synthesized: ${reason} — fix the config, or run \`npx cdk synth\` for the full error`,
      options,
    );
    this.name = 'SynthesisFailed';
  }
}

export interface SynthesisOptions {
  /** Resources carry their construct paths (`aws:cdk:path` metadata, for nightshift doctor). */
  readonly pathMetadata?: boolean;
  /** Skip the CloudFormation validation of templates found valid before (lib/validation). */
  readonly cache?: boolean;
  /**
   * Called with the templates while the worker thread still validates them (a plan is built meanwhile);
   * synthesis fails afterwards all the same if they are not valid. An error it throws is ignored.
   */
  readonly whileValidating?: (templates: StackTemplate[]) => void;
}

/**
 * Synthesizes the real CDK app (without bundling, into a temp dir) and returns its templates; with
 * `pathMetadata`, resources carry their construct paths (nightshift doctor).
 *
 * aws-cdk-lib's CloudFormation validation runs in a worker thread started first (lib/validation), and
 * synthesis does not wait for it: the templates are returned, and `whileValidating` called, once the
 * worker has found them valid. If it found anything (or failed), the app is synthesized again with the
 * validation waited for, so that aws-cdk-lib prints and fails on the findings exactly as `cdk synth` does.
 */
export async function synthesizeTemplates(
  config: NightshiftConfig,
  options: SynthesisOptions = {},
): Promise<StackTemplate[]> {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { CfnValidationWorker, earlierTemplates, ValidTemplates } = await import('./validation/worker');
  const { cacheDir } = await import('./plan-cache');
  // Started before aws-cdk-lib is loaded: the validation engine starts on the other core meanwhile.
  const dir = cacheDir();
  const worker = CfnValidationWorker.start(
    process.env.CDK_VALIDATION === 'false' ? undefined : earlierTemplates(dir),
  );
  const valid = options.cache ? new ValidTemplates(join(dir, 'valid-templates.json')) : undefined;
  const outdirs: string[] = [];
  const synthesize = async (deferred: boolean) => {
    const outdir = await mkdtemp(join(tmpdir(), 'nightshift-plan-'));
    outdirs.push(outdir);
    const { buildApp } = await import('./app');
    const { ParallelCloudFormationValidatePlugin } = await import('./validation/plugin');
    const validation = new ParallelCloudFormationValidatePlugin(worker, { valid, deferred });
    const { app } = buildApp(config, {
      bundling: false,
      outdir,
      pathMetadata: options.pathMetadata ?? false,
      validation,
    });
    const templates = app.synth().stacks.map((stack) => ({
      stackName: stack.stackName,
      template: stack.template as StackTemplate['template'],
    }));
    return { templates, validation };
  };
  try {
    const first = await synthesize(true);
    try {
      options.whileValidating?.(first.templates);
    } catch {
      // the caller meets the same error again when it uses the templates
    }
    if ((await first.validation.verdict()) === 'valid') return first.templates;
    return (await synthesize(false)).templates;
  } catch (error) {
    const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    throw new SynthesisFailed(reason, { cause: error });
  } finally {
    await Promise.all([worker.close(), ...outdirs.map((d) => rm(d, { recursive: true, force: true }))]);
  }
}

/**
 * The plan with the alarms, routing and resources of the synthesized app. With `cache`, the templates
 * come from lib/plan-cache.ts while the config and the code are unchanged (the CLI's default).
 */
export async function synthesizePlan(
  config: NightshiftConfig,
  options: PlanOptions = {},
  synthesis: { readonly cache?: boolean } = {},
): Promise<DeploymentPlan> {
  // built from the templates while the worker validates them, used once they are found valid
  let plan: DeploymentPlan | undefined;
  const produce = () =>
    synthesizeTemplates(config, {
      cache: synthesis.cache ?? false,
      whileValidating: (templates) => {
        plan = buildPlan(config, templates, options);
      },
    });
  const templates = synthesis.cache
    ? await (await import('./plan-cache')).cachedTemplates(config, { kind: 'plan' }, produce)
    : await produce();
  return plan ?? buildPlan(config, templates, options);
}
