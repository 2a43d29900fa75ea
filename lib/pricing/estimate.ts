/**
 * A monthly cost estimate, line by line, from a usage summary and a region's price table. Pure: the
 * usage comes from the synthesized templates (lib/pricing/usage.ts) plus stated assumptions.
 *
 * Every line carries its list price and its price after the always-free allowances. Allowances apply
 * per account, so `afterFreeTierUsd` is what this app adds to an otherwise empty account.
 */
import { ALWAYS_FREE, HOURS_PER_MONTH, type RegionPrices } from './prices';

export interface FunctionUsage {
  readonly name: string;
  readonly memoryMb: number;
  readonly invocationsPerMonth: number;
  /** Assumed or measured mean duration of one invocation. */
  readonly durationMs: number;
  /** Active X-Ray tracing: every invocation records a trace. */
  readonly tracing: boolean;
}

export interface CustomMetricUsage {
  /** `<namespace>/<name> {dimensions}` */
  readonly id: string;
  /** Hours of the month in which the metric is sent (at most 730); CloudWatch prorates by the hour. */
  readonly hoursPerMonth: number;
  /** Whether an alarm or dashboard reads it. */
  readonly watched: boolean;
}

export interface StorageUsage {
  readonly item: string;
  readonly gb: number;
  readonly storageClass: 'standard' | 'standardIa' | 'glacierInstant' | 'glacierFlexible' | 'deepArchive';
}

export interface Usage {
  readonly alarms: { readonly count: number; readonly metrics: number; readonly highResMetrics: number };
  readonly customMetrics: readonly CustomMetricUsage[];
  readonly dashboards: number;
  readonly functions: readonly FunctionUsage[];
  readonly schedulerInvocations: number;
  readonly stepFunctionsTransitions: number;
  readonly dynamodb: { readonly writes: number; readonly reads: number; readonly storageGb: number };
  readonly sqsRequests: number;
  readonly sns: { readonly publishes: number; readonly emails: number; readonly sms: number };
  readonly kms: { readonly keys: number; readonly requests: number };
  readonly secrets: { readonly count: number; readonly calls: number };
  readonly logs: { readonly ingestGb: number; readonly storedGb: number };
  /** Backup objects per retention tier and log archive objects per storage class. */
  readonly storage: readonly StorageUsage[];
  readonly s3Requests: { readonly puts: number; readonly gets: number };
  /** Set when the template has a status page (lib/constructs/status-page.ts). */
  readonly statusPage?: {
    readonly views: number;
    /** Viewer requests CloudFront answers (0 for a private page: no distribution). */
    readonly cloudFrontRequests: number;
    readonly transferGb: number;
    /** Metrics requested by GetMetricData: 2 per target per status rebuild. */
    readonly getMetricDataMetrics: number;
    readonly targets: number;
    readonly rebuilds: number;
  };
  /** Set when jobs run in a VPC: they need a NAT gateway or interface endpoints to reach AWS APIs. */
  readonly network?: {
    readonly mode: 'nat' | 'endpoints';
    readonly availabilityZones: number;
    /** Interface endpoints needed per AZ (S3 and DynamoDB use free gateway endpoints). */
    readonly interfaceEndpoints: number;
    /** GB a month through the NAT gateway or interface endpoints (backup uploads unless S3 has a gateway). */
    readonly gbProcessed: number;
    /** The template creates an S3 gateway endpoint: S3 traffic bypasses the NAT, free. */
    readonly s3Gateway?: boolean;
    /** Backup GB a month that go through the S3 gateway endpoint instead. */
    readonly s3GbViaGateway?: number;
    /** Interface endpoints the template creates, each with a network interface per subnet. */
    readonly createdInterfaceEndpoints?: readonly { readonly service: string; readonly subnets: number }[];
  };
}

export type CostGroup = 'base' | 'storage' | 'sms' | 'network';

export interface CostLine {
  readonly service: string;
  readonly item: string;
  /** How the figure was computed, in words a reader can check. */
  readonly basis: string;
  readonly listUsd: number;
  readonly afterFreeTierUsd: number;
  /** base: what the app costs by itself; storage, sms and network depend on data size, pages and VPC. */
  readonly group: CostGroup;
}

export interface Estimate {
  readonly region: string;
  readonly pricesAsOf: string;
  readonly lines: CostLine[];
  readonly totals: Record<CostGroup | 'all', { listUsd: number; afterFreeTierUsd: number }>;
}

const round = (usd: number): number => Math.round(usd * 100) / 100;
const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(n < 10 ? 2 : 0));
const over = (used: number, free: number): number => Math.max(0, used - free);

export function estimateMonthlyCost(usage: Usage, prices: RegionPrices): Estimate {
  const lines: CostLine[] = [];
  const add = (
    service: string,
    item: string,
    basis: string,
    list: number,
    free: number,
    group: CostGroup = 'base',
  ) => lines.push({ service, item, basis, listUsd: round(list), afterFreeTierUsd: round(free), group });
  const cw = prices.cloudwatch;

  // Alarms: the free tier covers 10 standard-resolution alarm metrics; high-resolution ones (periods of
  // 10, 20 or 30 s: the down alarms of sub-minute health checks) cost three times as much, never free.
  const { metrics, highResMetrics, count } = usage.alarms;
  const standard = metrics - highResMetrics;
  add(
    'CloudWatch',
    'alarms',
    `${count} alarms, ${standard} standard-resolution alarm metrics (metric math counts each metric)`,
    standard * cw.alarmMetricMonth,
    over(standard, ALWAYS_FREE.alarmMetrics) * cw.alarmMetricMonth,
  );
  if (highResMetrics > 0) {
    add(
      'CloudWatch',
      'high-resolution alarms',
      `${highResMetrics} alarm ${highResMetrics === 1 ? 'metric' : 'metrics'} with 10/20/30 s periods × $${cw.alarmMetricHighResMonth.toFixed(2)} (no free tier)`,
      highResMetrics * cw.alarmMetricHighResMonth,
      highResMetrics * cw.alarmMetricHighResMonth,
    );
  }

  const metricMonths =
    usage.customMetrics.reduce((sum, m) => sum + Math.min(m.hoursPerMonth, HOURS_PER_MONTH), 0) /
    HOURS_PER_MONTH;
  const hourly = usage.customMetrics.filter((m) => m.hoursPerMonth >= HOURS_PER_MONTH).length;
  const unwatched = usage.customMetrics.filter((m) => !m.watched).length;
  add(
    'CloudWatch',
    'custom metrics',
    `${usage.customMetrics.length} metrics (${hourly} sent every hour, the rest prorated by the hours they are sent = ${fmt(metricMonths)} metric-months)${unwatched ? `; ${unwatched} informational` : ''}`,
    metricMonths * cw.customMetricMonth,
    over(metricMonths, ALWAYS_FREE.customMetrics) * cw.customMetricMonth,
  );

  if (usage.dashboards > 0) {
    add(
      'CloudWatch',
      'dashboards',
      `${usage.dashboards} dashboard${usage.dashboards === 1 ? '' : 's'}`,
      usage.dashboards * cw.dashboardMonth,
      over(usage.dashboards, ALWAYS_FREE.dashboards) * cw.dashboardMonth,
    );
  }

  const gbSeconds = usage.functions.reduce(
    (sum, f) => sum + (f.memoryMb / 1024) * (f.durationMs / 1000) * f.invocationsPerMonth,
    0,
  );
  const requests = usage.functions.reduce((sum, f) => sum + f.invocationsPerMonth, 0);
  const perFunction = usage.functions
    .map(
      (f) =>
        `${f.name} ${f.memoryMb} MB × ${fmt(f.durationMs / 1000)} s × ${fmt(Math.round(f.invocationsPerMonth))}`,
    )
    .join('; ');
  add(
    'Lambda',
    'compute and requests',
    `${fmt(Math.round(gbSeconds))} GB-s, ${fmt(Math.round(requests))} requests (${perFunction})`,
    gbSeconds * prices.lambda.gbSecondArm + (requests / 1e6) * prices.lambda.requestsPerMillion,
    over(gbSeconds, ALWAYS_FREE.lambdaGbSeconds) * prices.lambda.gbSecondArm +
      (over(requests, ALWAYS_FREE.lambdaRequests) / 1e6) * prices.lambda.requestsPerMillion,
  );

  const traces = usage.functions.filter((f) => f.tracing).reduce((sum, f) => sum + f.invocationsPerMonth, 0);
  if (traces > 0) {
    add(
      'X-Ray',
      'traces',
      `${fmt(Math.round(traces))} traces recorded (active tracing on every invocation)`,
      (traces / 1e6) * prices.xray.tracesRecordedPerMillion,
      (over(traces, ALWAYS_FREE.xrayTraces) / 1e6) * prices.xray.tracesRecordedPerMillion,
    );
  }

  add(
    'EventBridge Scheduler',
    'invocations',
    `${fmt(Math.round(usage.schedulerInvocations))} scheduled invocations`,
    (usage.schedulerInvocations / 1e6) * prices.scheduler.invocationsPerMillion,
    (over(usage.schedulerInvocations, ALWAYS_FREE.schedulerInvocations) / 1e6) *
      prices.scheduler.invocationsPerMillion,
  );

  if (usage.stepFunctionsTransitions > 0) {
    add(
      'Step Functions',
      'state transitions',
      `${fmt(Math.round(usage.stepFunctionsTransitions))} transitions (escalations)`,
      (usage.stepFunctionsTransitions / 1000) * prices.stepFunctions.transitionsPerThousand,
      (over(usage.stepFunctionsTransitions, ALWAYS_FREE.stepFunctionsTransitions) / 1000) *
        prices.stepFunctions.transitionsPerThousand,
    );
  }

  const page = usage.statusPage;
  if (page) {
    const gmd = (page.getMetricDataMetrics / 1000) * cw.getMetricDataPerThousandMetrics;
    add(
      'CloudWatch',
      'GetMetricData (status page)',
      `${fmt(Math.round(page.rebuilds))} status rebuilds (at most one per cache period) × ${page.targets} targets × 2 metrics = ${fmt(Math.round(page.getMetricDataMetrics))} metrics`,
      gmd,
      gmd,
    );
    if (page.cloudFrontRequests > 0) {
      const cf = prices.cloudfront;
      add(
        'CloudFront',
        'status page requests and transfer',
        `${fmt(Math.round(page.cloudFrontRequests))} HTTPS requests, ${fmt(page.transferGb)} GB out (assumed ${fmt(page.views)} page views a month)`,
        (page.cloudFrontRequests / 1e4) * cf.httpsRequestsPerTenThousand + page.transferGb * cf.transferOutGb,
        (over(page.cloudFrontRequests, ALWAYS_FREE.cloudfrontRequests) / 1e4) *
          cf.httpsRequestsPerTenThousand +
          over(page.transferGb, ALWAYS_FREE.cloudfrontTransferGb) * cf.transferOutGb,
      );
    }
  }

  const ddb = usage.dynamodb;
  const ddbRequests =
    (ddb.writes / 1e6) * prices.dynamodb.writeRequestsPerMillion +
    (ddb.reads / 1e6) * prices.dynamodb.readRequestsPerMillion;
  add(
    'DynamoDB',
    'requests and storage',
    `${fmt(Math.round(ddb.writes))} writes, ${fmt(Math.round(ddb.reads))} reads, ${fmt(ddb.storageGb)} GB`,
    ddbRequests + ddb.storageGb * prices.dynamodb.storageGbMonth,
    ddbRequests + over(ddb.storageGb, ALWAYS_FREE.dynamodbStorageGb) * prices.dynamodb.storageGbMonth,
  );

  add(
    'SQS',
    'requests',
    `${fmt(Math.round(usage.sqsRequests))} requests (dead-letter queue polling by alarms is free)`,
    (usage.sqsRequests / 1e6) * prices.sqs.requestsPerMillion,
    (over(usage.sqsRequests, ALWAYS_FREE.sqsRequests) / 1e6) * prices.sqs.requestsPerMillion,
  );

  const sns = usage.sns;
  add(
    'SNS',
    'publishes and e-mail',
    `${fmt(Math.round(sns.publishes))} publishes, ${fmt(Math.round(sns.emails))} e-mails`,
    (sns.publishes / 1e6) * prices.sns.publishesPerMillion +
      (sns.emails / 1e5) * prices.sns.emailsPerHundredThousand,
    (over(sns.publishes, ALWAYS_FREE.snsPublishes) / 1e6) * prices.sns.publishesPerMillion +
      (over(sns.emails, ALWAYS_FREE.snsEmails) / 1e5) * prices.sns.emailsPerHundredThousand,
  );
  if (sns.sms > 0) {
    const sms = sns.sms * prices.sns.smsAssumed;
    add(
      'SNS',
      'SMS',
      `${fmt(sns.sms)} SMS × $${prices.sns.smsAssumed} (assumed; depends on country)`,
      sms,
      sms,
      'sms',
    );
  }

  const kms = usage.kms;
  add(
    'KMS',
    'keys and requests',
    `${kms.keys} customer key${kms.keys === 1 ? '' : 's'}, ${fmt(Math.round(kms.requests))} requests`,
    kms.keys * prices.kms.keyMonth + (kms.requests / 1e4) * prices.kms.requestsPerTenThousand,
    kms.keys * prices.kms.keyMonth +
      (over(kms.requests, ALWAYS_FREE.kmsRequests) / 1e4) * prices.kms.requestsPerTenThousand,
  );

  if (usage.secrets.count > 0) {
    const s = usage.secrets;
    const cost =
      s.count * prices.secretsManager.secretMonth +
      (s.calls / 1e4) * prices.secretsManager.callsPerTenThousand;
    add(
      'Secrets Manager',
      'secrets and reads',
      `${s.count} secrets, ${fmt(Math.round(s.calls))} reads`,
      cost,
      cost,
    );
  }

  const logs = usage.logs;
  const logsList = logs.ingestGb * cw.logsIngestGb + logs.storedGb * cw.logsStorageGbMonth;
  const logsFreeGb = ALWAYS_FREE.logsGb;
  add(
    'CloudWatch Logs',
    'ingestion and storage',
    `${fmt(logs.ingestGb)} GB ingested, ${fmt(logs.storedGb)} GB stored`,
    logsList,
    over(logs.ingestGb, logsFreeGb) * cw.logsIngestGb +
      over(logs.storedGb, over(logsFreeGb, logs.ingestGb)) * cw.logsStorageGbMonth,
  );

  const s3 = prices.s3;
  const classPrice = {
    standard: s3.standardGbMonth,
    standardIa: s3.standardIaGbMonth,
    glacierInstant: s3.glacierInstantGbMonth,
    glacierFlexible: s3.glacierFlexibleGbMonth,
    deepArchive: s3.deepArchiveGbMonth,
  } as const;
  for (const item of usage.storage) {
    const cost = item.gb * classPrice[item.storageClass];
    add('S3', item.item, `${fmt(item.gb)} GB in ${item.storageClass}`, cost, cost, 'storage');
  }
  const req = usage.s3Requests;
  const reqCost = (req.puts / 1000) * s3.putPerThousand + (req.gets / 1000) * s3.getPerThousand;
  add(
    'S3',
    'requests',
    `${fmt(Math.round(req.puts))} PUT/LIST, ${fmt(Math.round(req.gets))} GET`,
    reqCost,
    reqCost,
  );

  if (usage.network) {
    const n = usage.network;
    const created = n.createdInterfaceEndpoints ?? [];
    if (n.s3Gateway) {
      add(
        'VPC',
        'S3 gateway endpoint',
        `created by this app; ${fmt(n.s3GbViaGateway ?? 0)} GB of backups a month reach S3 through it, not the NAT (gateway endpoints are free)`,
        0,
        0,
        'network',
      );
    }
    if (created.length > 0) {
      const hours = created.reduce((sum, e) => sum + e.subnets, 0) * HOURS_PER_MONTH;
      const cost = hours * prices.vpc.interfaceEndpointHour;
      add(
        'VPC',
        'interface endpoints (created)',
        `${created.map((e) => `${e.service} × ${e.subnets} AZ`).join(', ')} × ${HOURS_PER_MONTH} h × $${prices.vpc.interfaceEndpointHour} (plus $${prices.vpc.interfaceEndpointGb}/GB through them)`,
        cost,
        cost,
        'network',
      );
    }
    if (n.mode === 'nat') {
      const cost = HOURS_PER_MONTH * prices.vpc.natGatewayHour + n.gbProcessed * prices.vpc.natGatewayGb;
      add(
        'VPC',
        'NAT gateway',
        `1 NAT gateway × ${HOURS_PER_MONTH} h + ${fmt(n.gbProcessed)} GB processed${n.s3Gateway ? ' (backups go through the S3 gateway endpoint)' : ''}`,
        cost,
        cost,
        'network',
      );
    } else if (created.length === 0) {
      const cost =
        n.interfaceEndpoints * n.availabilityZones * HOURS_PER_MONTH * prices.vpc.interfaceEndpointHour +
        n.gbProcessed * prices.vpc.interfaceEndpointGb;
      add(
        'VPC',
        'interface endpoints',
        `${n.interfaceEndpoints} endpoints × ${n.availabilityZones} AZ × ${HOURS_PER_MONTH} h (S3 and DynamoDB gateway endpoints are free)`,
        cost,
        cost,
        'network',
      );
    }
  }

  const totals = { all: { listUsd: 0, afterFreeTierUsd: 0 } } as Estimate['totals'];
  for (const group of ['base', 'storage', 'sms', 'network'] as const)
    totals[group] = { listUsd: 0, afterFreeTierUsd: 0 };
  for (const line of lines) {
    for (const key of [line.group, 'all'] as const) {
      totals[key] = {
        listUsd: round(totals[key].listUsd + line.listUsd),
        afterFreeTierUsd: round(totals[key].afterFreeTierUsd + line.afterFreeTierUsd),
      };
    }
  }
  return { region: prices.region, pricesAsOf: prices.asOf, lines, totals };
}
