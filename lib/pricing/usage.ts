/**
 * Monthly usage of a Nightshift app, read from its synthesized CloudFormation templates plus stated
 * assumptions (how many pages a month, how long a dump runs, how big the backups are). Everything that
 * the template fixes (alarms and their metrics, schedules and their rates, function memory, tracing,
 * keys, secrets, queues, VPC placement) is counted from the template, never from the config, so the
 * estimate prices what `cdk deploy` creates.
 */
import { BackupMetric } from '../../lambdas/backup/metrics';
import { MaintenanceMetric } from '../../lambdas/db-maintenance/metrics';
import { BREACH_ONLY_HEALTH_METRICS, DAILY_HEALTH_METRICS } from '../../lambdas/health-check/metrics';
import { LogArchiveMetric } from '../../lambdas/log-archive/metrics';
import { SECRET_CACHE_TTL_MS } from '../../lambdas/shared/secret-cache';
import { STATUS_PAGE_VAR } from '../../lambdas/status-page/env';
import { cronRunsInYear, parseSchedule } from '../config/primitives';
import type { CustomMetricUsage, FunctionUsage, StorageUsage, Usage } from './estimate';
import { HOURS_PER_MONTH } from './prices';

type Json = Record<string, unknown>;
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Json;
}
export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
}

export interface UsageAssumptions {
  /** Alarm episodes a month that page (each sends to the first level, one escalation in four). @default 4 */
  readonly pagesPerMonth?: number;
  /** Mean duration of one backup run, per target. @default 120 s */
  readonly backupSeconds?: number;
  /** Compressed size of one backup, per target, when no manifest is readable. @default 1 GB */
  readonly backupSizeGb?: number;
  /** Compressed log data archived per day. @default 0.1 GB */
  readonly archivedGbPerDay?: number;
  /** NAT gateway or interface endpoints for jobs in a VPC. @default 'nat' */
  readonly network?: 'nat' | 'endpoints';
  /** Status page views a month (HTML and JSON). @default 10,000 */
  readonly statusPageViews?: number;
}

interface LifecycleRule {
  readonly Id?: string;
  readonly Prefix?: string;
  readonly ExpirationInDays?: number;
  readonly Transitions?: { StorageClass: string; TransitionInDays: number }[];
}

const STORAGE_CLASS: Record<string, StorageUsage['storageClass']> = {
  STANDARD_IA: 'standardIa',
  ONEZONE_IA: 'standardIa',
  INTELLIGENT_TIERING: 'standard',
  GLACIER_IR: 'glacierInstant',
  GLACIER: 'glacierFlexible',
  DEEP_ARCHIVE: 'deepArchive',
};

const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;
/** Log lines a job writes per invocation, in bytes (JSON logging, a start and an end line, a summary). */
const LOG_BYTES_PER_INVOCATION = 1_500;
/** Interface endpoints a VPC job needs without NAT: CloudWatch (metrics via logs), Logs, Secrets Manager, KMS. */
const INTERFACE_ENDPOINTS = 4;
/** Requests on one page's ack link (ADR 006): a mail scanner's prefetch, the GET and the POST. */
export const ACK_LINK_REQUESTS_PER_PAGE = 3;

/**
 * Scheduled runs in an average month: a year's runs divided by 12 (so monthly and weekly schedules
 * count exactly). Counted on the UTC clock whatever the schedule's zone: a zone moves runs within the
 * year, and over a year its daylight-saving shifts add and drop the same runs, so the count is the same.
 */
export function runsPerMonth(expression: string): number {
  const parsed = parseSchedule(expression);
  if (parsed.kind === 'rate') return (HOURS_PER_MONTH * 3_600_000) / parsed.everyMs;
  return cronRunsInYear(expression, 2025) / 12;
}

interface Schedule {
  readonly functionId: string;
  readonly expression: string;
  readonly input: Json;
  readonly runs: number;
}

function resources(templates: readonly CfnTemplate[]): [string, CfnResource][] {
  return templates.flatMap((t) => Object.entries(t.Resources ?? {}));
}

function getAttTarget(value: unknown): string | undefined {
  const att = (value as { 'Fn::GetAtt'?: unknown } | undefined)?.['Fn::GetAtt'];
  return Array.isArray(att) && typeof att[0] === 'string' ? att[0] : undefined;
}

/** The job a schedule input belongs to: health checks list targets, backups name one, log archive has actions, maintenance carries one task. */
function jobOf(input: Json): 'health-check' | 'backup' | 'log-archive' | 'db-maintenance' | 'other' {
  if (Array.isArray(input.targets)) return 'health-check';
  if (input.task !== null && typeof input.task === 'object') return 'db-maintenance';
  if (typeof input.target === 'string') return 'backup';
  if (input.action === 'archive' || input.action === 'check') return 'log-archive';
  return 'other';
}

function durationMs(input: Json, assumptions: UsageAssumptions): number {
  const backup = (assumptions.backupSeconds ?? 120) * 1000;
  switch (jobOf(input)) {
    case 'health-check':
      // a run of sub-minute targets checks at every slot of its minute and waits in between: Lambda
      // bills the whole minute
      return input.repeat === true ? 60_000 : 1_500;
    case 'backup':
      return input.action === 'verify' ? 2 * backup : backup;
    case 'log-archive':
      return input.action === 'archive' ? 60_000 : 500;
    case 'db-maintenance':
      // reports and checks take seconds; a VACUUM of every table about a minute
      return (input.task as Json).kind === 'vacuum' ? 60_000 : 5_000;
    default:
      return 1_000;
  }
}

/** Which job's schedules send a Nightshift metric: the jobs' metric contracts (lambdas/<job>/metrics.ts) say; the rest are health checks'. */
const BACKUP_METRICS: ReadonlySet<string> = new Set(Object.values(BackupMetric));
const LOG_ARCHIVE_METRICS: ReadonlySet<string> = new Set(Object.values(LogArchiveMetric));
const MAINTENANCE_METRICS: ReadonlySet<string> = new Set(Object.values(MaintenanceMetric));

function emittingSchedules(
  metric: string,
  target: string | undefined,
  schedules: readonly Schedule[],
): Schedule[] {
  if (BACKUP_METRICS.has(metric)) {
    const action = metric === BackupMetric.BackupVerified ? 'verify' : 'backup';
    return schedules.filter(
      (s) => jobOf(s.input) === 'backup' && s.input.target === target && s.input.action === action,
    );
  }
  if (LOG_ARCHIVE_METRICS.has(metric)) {
    return schedules.filter((s) => jobOf(s.input) === 'log-archive');
  }
  if (MAINTENANCE_METRICS.has(metric)) {
    // one datapoint per run of the task's own schedule (dimension Task)
    return schedules.filter(
      (s) => jobOf(s.input) === 'db-maintenance' && (s.input.task as Json).name === target,
    );
  }
  return schedules.filter(
    (s) =>
      jobOf(s.input) === 'health-check' &&
      (s.input.targets as { target?: { name?: string } }[]).some(
        (t) => target === undefined || t.target?.name === target,
      ),
  );
}

interface MetricRef {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Record<string, string>;
}

function metricId(m: MetricRef): string {
  const dims = Object.entries(m.dimensions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${m.namespace}/${m.name} {${dims}}`;
}

function dimensionsOf(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of (list as { Name: string; Value: unknown }[] | undefined) ?? []) {
    out[d.Name] = typeof d.Value === 'string' ? d.Value : JSON.stringify(d.Value);
  }
  return out;
}

/** Metrics an alarm reads, with the period of each. */
function alarmMetrics(p: Json): { metric: MetricRef; period: number }[] {
  if (Array.isArray(p.Metrics)) {
    return (p.Metrics as Json[]).flatMap((m) => {
      const stat = m.MetricStat as { Metric: Json; Period: number } | undefined;
      if (!stat) return [];
      return [
        {
          metric: {
            namespace: String(stat.Metric.Namespace),
            name: String(stat.Metric.MetricName),
            dimensions: dimensionsOf(stat.Metric.Dimensions),
          },
          period: stat.Period,
        },
      ];
    });
  }
  return [
    {
      metric: {
        namespace: String(p.Namespace),
        name: String(p.MetricName),
        dimensions: dimensionsOf(p.Dimensions),
      },
      period: Number(p.Period),
    },
  ];
}

/** Metrics a dashboard body shows: `[namespace, name, dimName, dimValue, …, {options}]` rows. */
function dashboardMetrics(body: unknown): MetricRef[] {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const found: MetricRef[] = [];
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const metrics = (node as { metrics?: unknown }).metrics;
    if (Array.isArray(metrics)) {
      for (const row of metrics) {
        if (!Array.isArray(row) || typeof row[0] !== 'string' || typeof row[1] !== 'string') continue;
        const dims: Record<string, string> = {};
        for (let i = 2; i + 1 < row.length && typeof row[i] === 'string'; i += 2)
          dims[row[i]] = String(row[i + 1]);
        found.push({ namespace: row[0], name: row[1], dimensions: dims });
      }
    }
    for (const value of Object.values(node)) walk(value);
  };
  try {
    walk(JSON.parse(text.replace(/\{"Ref":"[^"]+"\}|\{"Fn::[^}]+\}/g, '"?"')));
  } catch {
    // A body built with Fn::Join is not JSON until deploy time; such widgets are not priced.
  }
  return found;
}

/** `logs` from com.amazonaws.<region>.logs, written literally or as a join around the region token. */
function endpointService(name: unknown): string {
  if (typeof name === 'string') return /^com\.amazonaws\.[a-z0-9-]+\.(.+)$/.exec(name)?.[1] ?? name;
  return /"\.([a-z0-9.-]+)"\]/.exec(JSON.stringify(name))?.[1] ?? 'unknown';
}

export function usageFromTemplates(
  templates: readonly CfnTemplate[],
  assumptions: UsageAssumptions = {},
): Usage {
  const all = resources(templates);
  const ofType = (type: string) => all.filter(([, r]) => r.Type === type);

  const schedules: Schedule[] = ofType('AWS::Scheduler::Schedule').flatMap(([, r]) => {
    const p = r.Properties ?? {};
    const target = p.Target as Json | undefined;
    const functionId = getAttTarget(target?.Arn);
    if (!functionId || typeof p.ScheduleExpression !== 'string') return [];
    const input = typeof target?.Input === 'string' ? (JSON.parse(target.Input) as Json) : {};
    return [
      {
        functionId,
        expression: p.ScheduleExpression,
        input,
        runs: runsPerMonth(p.ScheduleExpression),
      },
    ];
  });

  // Alarms: each alarm pays per metric it reads; periods under a minute are high resolution.
  let alarmMetricCount = 0;
  let highRes = 0;
  const watched = new Map<string, MetricRef>();
  const alarms = ofType('AWS::CloudWatch::Alarm');
  for (const [, r] of alarms) {
    for (const { metric, period } of alarmMetrics(r.Properties ?? {})) {
      alarmMetricCount++;
      if (period < 60) highRes++;
      if (!metric.namespace.startsWith('AWS/')) watched.set(metricId(metric), metric);
    }
  }
  const dashboards = ofType('AWS::CloudWatch::Dashboard');
  for (const [, r] of dashboards) {
    for (const metric of dashboardMetrics(r.Properties?.DashboardBody)) {
      if (!metric.namespace.startsWith('AWS/') && metric.namespace !== '?')
        watched.set(metricId(metric), metric);
    }
  }

  const filterNamespaces = new Set(
    ofType('AWS::Logs::MetricFilter').flatMap(([, r]) =>
      ((r.Properties?.MetricTransformations as Json[] | undefined) ?? []).map(
        (t) => `${t.MetricNamespace}/${t.MetricName}`,
      ),
    ),
  );
  const pages = assumptions.pagesPerMonth ?? 4;
  const customMetrics: CustomMetricUsage[] = [...watched.values()].map((metric) => {
    const id = metricId(metric);
    // Metric filters publish only when a log line matches (no default value is set).
    if (filterNamespaces.has(`${metric.namespace}/${metric.name}`))
      return { id, hoursPerMonth: 0, watched: true };
    const senders = emittingSchedules(
      metric.name,
      metric.dimensions.Target ?? metric.dimensions.Task,
      schedules,
    );
    const hours = senders.length
      ? Math.min(
          HOURS_PER_MONTH,
          senders.reduce((sum, s) => sum + s.runs, 0),
        )
      : HOURS_PER_MONTH;
    // daily metrics are sent in one window (one hour for schedules of an hour or less) a day
    if (DAILY_HEALTH_METRICS.has(metric.name))
      return { id, hoursPerMonth: Math.min(hours, HOURS_PER_MONTH / 24), watched: true };
    // breaches-only health metrics are sent only while failing: about an hour per assumed alarm episode
    // (each episode counted against every such metric, which overstates)
    const breachesOnly =
      BREACH_ONLY_HEALTH_METRICS.has(metric.name) &&
      senders.length > 0 &&
      senders.every((s) => s.input.metricsSent === 'breaches');
    return { id, hoursPerMonth: breachesOnly ? Math.min(hours, pages) : hours, watched: true };
  });

  // Functions: memory from the template, invocations from their schedules; the router runs per alarm change.
  const logGroupNames = new Map(
    ofType('AWS::Logs::LogGroup').map(([id, r]) => [id, String(r.Properties?.LogGroupName ?? id)]),
  );
  const functions: FunctionUsage[] = [];
  let vpc = false;
  let routerInvocations = 0;
  let statusPage: ReturnType<typeof statusPageUsage> | undefined;
  let ackLinkRequests = 0;
  const tables = ofType('AWS::DynamoDB::Table').map(([, r]) => r.Properties ?? {});
  // The acks table's stream brings each acknowledgement to the router (one more invocation a page).
  const ackStream = tables.some((t) => String(t.TableName ?? '').endsWith('-acks') && t.StreamSpecification);
  const linkTable = tables.some((t) => String(t.TableName ?? '').endsWith('-ack-links'));
  for (const [id, r] of ofType('AWS::Lambda::Function')) {
    const p = r.Properties ?? {};
    const own = schedules.filter((s) => s.functionId === id);
    const logRef = ((p.LoggingConfig as Json | undefined)?.LogGroup as { Ref?: string } | undefined)?.Ref;
    const name = (logRef && logGroupNames.get(logRef)?.split('/').pop()) || id;
    const tracing = (p.TracingConfig as Json | undefined)?.Mode === 'Active';
    const memoryMb = Number(p.MemorySize ?? 128);
    if (p.VpcConfig) vpc = true;
    if (own.length === 0) {
      // Event-driven: the alert router runs once per alarm state change (ALARM and OK) of a page,
      // and once for its acknowledgement.
      if (name.includes('router')) {
        routerInvocations = pages * (ackStream ? 3 : 2);
        functions.push({ name, memoryMb, invocationsPerMonth: routerInvocations, durationMs: 300, tracing });
      } else if (name === 'ack-link') {
        // Its Function URL: a mail scanner's prefetch, the GET and the POST of each page's ack link.
        ackLinkRequests = pages * ACK_LINK_REQUESTS_PER_PAGE;
        functions.push({ name, memoryMb, invocationsPerMonth: ackLinkRequests, durationMs: 150, tracing });
      }
      const pageSettings = ((p.Environment as Json | undefined)?.Variables as Json | undefined)?.[
        STATUS_PAGE_VAR
      ];
      if (typeof pageSettings === 'string') {
        statusPage = statusPageUsage(
          pageSettings,
          assumptions,
          ofType('AWS::CloudFront::Distribution').length > 0,
        );
        // page views that reach the function, plus one invocation per alarm change (incidents)
        functions.push({
          name,
          memoryMb,
          invocationsPerMonth: statusPage.originRequests + pages * 2,
          durationMs: 300,
          tracing,
        });
      }
      // The webhook delivery runs per message on each topic it subscribes to: at most an ALARM and
      // an OK message of every page per topic (an upper bound: later levels see only escalations).
      if (name === 'webhook-delivery') {
        const topics = ofType('AWS::SNS::Subscription').filter(
          ([, s]) => s.Properties?.Protocol === 'lambda' && getAttTarget(s.Properties?.Endpoint) === id,
        ).length;
        functions.push({
          name,
          memoryMb,
          invocationsPerMonth: pages * 2 * topics,
          durationMs: 1_000,
          tracing,
        });
      }
      continue;
    }
    const invocations = own.reduce((sum, s) => sum + s.runs, 0);
    const weighted = own.reduce((sum, s) => sum + s.runs * durationMs(s.input, assumptions), 0) / invocations;
    functions.push({ name, memoryMb, invocationsPerMonth: invocations, durationMs: weighted, tracing });
  }

  const schedulerInvocations = schedules.reduce((sum, s) => sum + s.runs, 0);

  // Prometheus targets keep their previous scrape in DynamoDB: one GetItem and one PutItem (an item of
  // about 1 KB: the counters the rules read) per target per run.
  const scrapes = schedules
    .filter((s) => jobOf(s.input) === 'health-check')
    .reduce(
      (sum, s) =>
        sum + s.runs * (s.input.targets as { kind?: string }[]).filter((t) => t.kind === 'prometheus').length,
      0,
    );
  const invocations = functions.reduce((sum, f) => sum + f.invocationsPerMonth, 0);

  // Secrets: distinct Secrets Manager ARNs that roles may read; a reader's container keeps a value for
  // SECRET_CACHE_TTL_MS, so a reader reads each secret once per run, at most once per TTL (one warm
  // container; cold starts in between add a few)
  const readsCap = (HOURS_PER_MONTH * 3_600_000) / SECRET_CACHE_TTL_MS;
  const secretReads = new Map<string, number>();
  for (const [policyId, r] of ofType('AWS::IAM::Policy')) {
    const doc = r.Properties?.PolicyDocument as { Statement?: Json[] } | undefined;
    for (const statement of doc?.Statement ?? []) {
      if (!JSON.stringify(statement.Action).includes('secretsmanager:GetSecretValue')) continue;
      const list = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      const readerRuns = functions.find((f) =>
        policyId.toLowerCase().includes(f.name.replace(/-/g, '').toLowerCase()),
      )?.invocationsPerMonth;
      for (const resource of list) {
        const key = JSON.stringify(resource);
        secretReads.set(key, (secretReads.get(key) ?? 0) + Math.min(readsCap, readerRuns ?? DAYS_PER_MONTH));
      }
    }
  }
  const secretCalls = [...secretReads.values()].reduce((a, b) => a + b, 0);

  // Escalation: a page starts one execution (~10 transitions); one in four escalates once more.
  const hasStateMachine = ofType('AWS::StepFunctions::StateMachine').length > 0;
  const levelsSubscribed = ofType('AWS::SNS::Subscription').map(([, r]) => String(r.Properties?.Protocol));
  const emailSubs = levelsSubscribed.filter((p) => p === 'email').length;
  const smsSubs = levelsSubscribed.filter((p) => p === 'sms').length;
  const topics = Math.max(1, ofType('AWS::SNS::Topic').length);
  const levelTopics = ofType('AWS::SNS::Topic').filter(([, r]) =>
    String(r.Properties?.TopicName ?? '').includes('-alerts-'),
  ).length;
  const deliveriesPerPage = 1.25 * 2; // first level, one escalation in four; ALARM and OK messages
  const emails = (pages * deliveriesPerPage * emailSubs) / topics;
  const sms = Math.round((pages * deliveriesPerPage * smsSubs) / topics);

  // Storage: read the buckets' lifecycle rules, so the estimate follows what the template keeps and where.
  const storage: StorageUsage[] = [];
  const rules = ofType('AWS::S3::Bucket').flatMap(
    ([, r]) => (r.Properties?.LifecycleConfiguration as { Rules?: LifecycleRule[] } | undefined)?.Rules ?? [],
  );
  const backupTargets = new Set(
    schedules.filter((s) => jobOf(s.input) === 'backup').map((s) => String(s.input.target)),
  );
  if (backupTargets.size > 0) {
    const size = assumptions.backupSizeGb ?? 1;
    const n = backupTargets.size;
    for (const rule of rules.filter((r) => r.Id?.startsWith('backups-expire-') && r.ExpirationInDays)) {
      const tier = rule.Id?.slice('backups-expire-'.length) ?? '';
      // Objects alive at once: a daily backup lives ExpirationInDays − 1 days as a daily; weekly and
      // monthly ones one per week or month of their expiry.
      const per = tier === 'weekly' ? 7 : tier === 'monthly' ? 31 : 1;
      const kept = Math.max(1, Math.floor(((rule.ExpirationInDays ?? 1) - (per === 1 ? 1 : 0)) / per));
      storage.push({
        item: `backups, ${tier} tier (${n} targets × ${kept} × ${size} GB)`,
        gb: n * kept * size,
        storageClass: 'standard',
      });
    }
  }
  const archives = schedules.some((s) => s.input.action === 'archive');
  const archiveRule = rules.find((r) => r.Prefix === 'logs/' && r.ExpirationInDays);
  if (archives && archiveRule) {
    const perDay = assumptions.archivedGbPerDay ?? 0.1;
    const steps = [...(archiveRule.Transitions ?? [])].sort(
      (a, b) => a.TransitionInDays - b.TransitionInDays,
    );
    let from = 0;
    let storageClass: StorageUsage['storageClass'] = 'standard';
    for (const step of [
      ...steps,
      { StorageClass: '', TransitionInDays: archiveRule.ExpirationInDays ?? 0 },
    ]) {
      const days = Math.max(0, step.TransitionInDays - from);
      if (days > 0) {
        storage.push({
          item: `log archive, days ${from}–${step.TransitionInDays} (${perDay} GB a day)`,
          gb: perDay * days,
          storageClass,
        });
      }
      from = step.TransitionInDays;
      storageClass = STORAGE_CLASS[step.StorageClass] ?? 'standard';
    }
  }
  const backupRuns = schedules.filter((s) => jobOf(s.input) === 'backup').reduce((sum, s) => sum + s.runs, 0);
  const multipartPuts = backupRuns * Math.max(1, Math.ceil(((assumptions.backupSizeGb ?? 1) * 1024) / 64));

  // VPC endpoints the template creates: an S3 gateway (free, S3 traffic bypasses the NAT) and interface
  // endpoints, each with one network interface per subnet it is placed in.
  const endpoints = ofType('AWS::EC2::VPCEndpoint').map(([, r]) => r.Properties ?? {});
  const s3Gateway = endpoints.some(
    (p) => p.VpcEndpointType === 'Gateway' && JSON.stringify(p.ServiceName).includes('.s3'),
  );
  const interfaceEndpoints = endpoints
    .filter((p) => p.VpcEndpointType === 'Interface')
    .map((p) => ({
      service: endpointService(p.ServiceName),
      subnets: Array.isArray(p.SubnetIds) ? p.SubnetIds.length : 1,
    }));
  const backupGb = backupRuns * (assumptions.backupSizeGb ?? 1);

  const logIngestGb = (invocations * LOG_BYTES_PER_INVOCATION) / 1e9;
  const kmsKeys = ofType('AWS::KMS::Key').length;

  return {
    alarms: { count: alarms.length, metrics: alarmMetricCount, highResMetrics: highRes },
    customMetrics,
    dashboards: dashboards.length,
    functions,
    schedulerInvocations,
    stepFunctionsTransitions: hasStateMachine ? pages * 12 : 0,
    // Acks: a few writes a page. Ack links: the router mints one per page and channel (levels and the
    // reminder, e-mail and SMS); each request on a link is one conditional UpdateItem, the POST two.
    dynamodb: {
      writes:
        pages * 4 +
        scrapes +
        (statusPage ? pages * 2 : 0) +
        (linkTable ? pages * 2 * (levelTopics + 1) + ackLinkRequests + pages : 0),
      reads:
        routerInvocations * 2 +
        scrapes +
        (statusPage ? statusPage.rebuilds * statusPage.targets + pages * 2 : 0),
      storageGb: 0.001,
    },
    // Each page's delivery goes through SNS; SQS sees only dead letters, so requests are few.
    sqsRequests: 0,
    sns: { publishes: pages * deliveriesPerPage, emails, sms },
    // Encrypted log groups, queues, topics and backup parts each call KMS; data keys are cached per run.
    kms: { keys: kmsKeys, requests: kmsKeys ? invocations * 2 + backupRuns * 4 : 0 },
    secrets: { count: secretReads.size, calls: secretCalls },
    logs: { ingestGb: logIngestGb, storedGb: logIngestGb },
    storage,
    ...(statusPage
      ? {
          statusPage: {
            views: statusPage.views,
            cloudFrontRequests: statusPage.cloudFrontRequests,
            transferGb: statusPage.transferGb,
            getMetricDataMetrics: statusPage.rebuilds * statusPage.targets * 2,
            targets: statusPage.targets,
            rebuilds: statusPage.rebuilds,
          },
        }
      : {}),
    s3Requests: {
      puts: multipartPuts + backupRuns * 3 + (archives ? DAYS_PER_MONTH * 10 : 0),
      gets: backupRuns * 10,
    },
    ...(vpc
      ? {
          network: {
            mode: assumptions.network ?? 'nat',
            availabilityZones: 2,
            interfaceEndpoints: INTERFACE_ENDPOINTS,
            gbProcessed: s3Gateway ? 0 : backupGb,
            s3Gateway,
            s3GbViaGateway: s3Gateway ? backupGb : 0,
            createdInterfaceEndpoints: interfaceEndpoints,
          },
        }
      : {}),
  };
}

/** Bytes of one status page response (HTML with 90 days of bars per target, compressed by CloudFront). */
const STATUS_PAGE_BYTES = 6_000;

/**
 * A status page's usage from its deployed settings (the function's NIGHTSHIFT_STATUS_PAGE): every view
 * reaches the function when the page is private; behind CloudFront at most one request per cache period
 * does (one edge location assumed). The function rebuilds the status at most once per cache period and
 * asks GetMetricData for 2 metrics and DynamoDB for one Query per target each time.
 */
function statusPageUsage(settingsJson: string, assumptions: UsageAssumptions, cloudFront: boolean) {
  const settings = JSON.parse(settingsJson) as { targets?: unknown[]; cacheSeconds?: number };
  const views = assumptions.statusPageViews ?? 10_000;
  const periods = (HOURS_PER_MONTH * 3600) / Math.max(1, settings.cacheSeconds ?? 60);
  const originRequests = cloudFront ? Math.min(views, periods) : views;
  return {
    views,
    targets: settings.targets?.length ?? 0,
    originRequests,
    rebuilds: Math.min(originRequests, periods),
    cloudFrontRequests: cloudFront ? views : 0,
    transferGb: cloudFront ? (views * STATUS_PAGE_BYTES) / 1e9 : 0,
  };
}
