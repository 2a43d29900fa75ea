/**
 * The Nightshift config schema: the one source of truth for nightshift.config.yaml.
 * Every object is strict (a typo is an error, never ignored) and every field carries a description
 * that ends up in nightshift.schema.json and in "required — …" error messages.
 */
import { z } from 'zod';
import {
  connectionUrl,
  duration,
  email,
  headerValue,
  httpUrl,
  logRetentionDays,
  phoneNumber,
  resourceName,
  type SEVERITIES,
  schedule,
  secretRef,
  severity,
  severityEnum,
  timeZone,
  WEEKDAYS,
} from './primitives';
import { prometheusCheckSchema } from './prometheus';

const obj = z.strictObject;

/**
 * AWS services a VPC job calls, as the service part of their endpoint names
 * (com.amazonaws.<region>.<service>): metrics go through CloudWatch Logs (EMF), alarms and page tests
 * through monitoring, credentials through secretsmanager or ssm, decryption through kms, Fargate
 * tasks through ecr.api/ecr.dkr, step functions through states.
 */
export const INTERFACE_ENDPOINT_SERVICES = [
  'logs',
  'monitoring',
  'secretsmanager',
  'ssm',
  'kms',
  'sts',
  'ecr.api',
  'ecr.dkr',
  'states',
] as const;
const int = (min: number, max: number) => z.number().int().min(min).max(max);

// ---------------------------------------------------------------------------------------------
// Connections (credentials only through Secrets Manager)
// ---------------------------------------------------------------------------------------------

const PG_SECRET = 'host, port, username, password and dbname';
const MONGO_SECRET = 'a connection string under "url" (or host, port, username, password)';
const REDIS_SECRET = 'host and port, and username/password if the server needs them (or a "url")';

const postgresConnection = {
  secret: secretRef(PG_SECRET).optional(),
  url: connectionUrl(['postgres']).optional(),
  ssl: z
    .enum(['disable', 'require', 'verify-full'])
    .describe(
      'TLS to the server: disable, require (encrypt) or verify-full (encrypt and verify). @default require',
    )
    .optional(),
};
const redisConnection = {
  secret: secretRef(REDIS_SECRET).optional(),
  url: connectionUrl(['redis']).optional(),
};
const mongoConnection = {
  secret: secretRef(MONGO_SECRET).optional(),
  url: connectionUrl(['mongodb']).optional(),
};

// ---------------------------------------------------------------------------------------------
// Top level: project, network
// ---------------------------------------------------------------------------------------------

export const networkSchema = obj({
  vpcId: z
    .string()
    .regex(/^vpc-[0-9a-f]{8,17}$/, { message: 'not a VPC id — write it as vpc-0abc1234' })
    .describe('the VPC the database-facing jobs run in'),
  subnetIds: z
    .array(
      z
        .string()
        .regex(/^subnet-[0-9a-f]{8,17}$/, { message: 'not a subnet id — write it as subnet-0abc1234' }),
    )
    .min(1)
    .describe(
      'private subnets with a route to the databases (and a NAT gateway or VPC endpoints for AWS APIs)',
    ),
  availabilityZones: z
    .array(z.string())
    .optional()
    .describe('the availability zones of subnetIds, in the same order (needed to import the VPC offline)'),
  securityGroupIds: z
    .array(
      z
        .string()
        .regex(/^sg-[0-9a-f]{8,17}$/, { message: 'not a security group id — write it as sg-0abc1234' }),
    )
    .min(1)
    .describe('security groups that the databases accept connections from'),
  s3GatewayEndpoint: obj({
    routeTableIds: z
      .array(
        z
          .string()
          .regex(/^rtb-[0-9a-f]{8,17}$/, { message: 'not a route table id — write it as rtb-0abc1234' }),
      )
      .min(1)
      .describe('the route tables of subnetIds; the endpoint adds an S3 route to each'),
  })
    .optional()
    .describe(
      'create an S3 gateway endpoint (free): backup and archive traffic to S3 then bypasses the NAT gateway and its $0.045/GB processing charge. Leave out if the VPC already has one',
    ),
  interfaceEndpoints: z
    .array(z.enum(INTERFACE_ENDPOINT_SERVICES))
    .default([])
    .describe(
      `interface endpoints to create in subnetIds for the AWS APIs the jobs call, one of ${INTERFACE_ENDPOINT_SERVICES.join(', ')}; each costs about $7.30 a month per subnet (availability zone) plus $0.01/GB, shown by \`nightshift plan\`. Cheaper than a NAT gateway only when you need few of them. @default none`,
    ),
}).describe('where jobs run to reach private databases');

// ---------------------------------------------------------------------------------------------
// Alerts
// ---------------------------------------------------------------------------------------------

const rotationMember = obj({
  name: resourceName('member name'),
  email: email.optional().describe('address e-mailed while this member is on call'),
  sms: phoneNumber.optional().describe('number texted while this member is on call (E.164)'),
}).describe('one person in the rotation (an email, an sms or both)');

export const rotationSchema = obj({
  members: z.array(rotationMember).min(1).describe('who takes turns, in this order'),
  handoff: obj({
    time: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'write a time of day as HH:MM, e.g. 09:00' })
      .describe('local time of the hand-off (in `timezone`), HH:MM'),
    weekday: z
      .enum(WEEKDAYS, { message: `write a weekday in lower case: ${WEEKDAYS.join(', ')}` })
      .optional()
      .describe('day of the hand-off for periods of whole weeks. @default the day of start'),
  }).describe('when the pager passes to the next member, in the configured time zone'),
  every: duration('how long each member is on call, in whole days', {
    min: '1d',
    max: '52w',
  }),
  start: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'write a date as YYYY-MM-DD, e.g. 2026-01-05' })
    .describe('the first member takes over at the first hand-off on or after this date (YYYY-MM-DD)'),
}).describe('a rotation: only the member on call is paged, instead of fixed email/sms lists');

export const CHAT_KINDS = ['slack', 'teams'] as const;
export const WEBHOOK_KINDS = ['slack', 'googleChat', 'discord', 'mattermost', 'json'] as const;
export type WebhookKind = (typeof WEBHOOK_KINDS)[number];

const slackId = (what: string, example: string) =>
  z
    .string()
    .regex(/^[A-Z0-9]{2,}$/, {
      message: `not a Slack ${what} id — copy it from Slack (upper-case letters and digits, e.g. ${example})`,
    })
    .describe(`the Slack ${what} id, e.g. ${example}`);
const uuid = (what: string) =>
  z
    .string()
    .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, {
      message: `not a Microsoft Teams ${what} id — copy the UUID from the channel link (groupId= / tenantId=)`,
    })
    .describe(`the Microsoft Teams ${what} id (a UUID, from the channel link)`);

const chatChannel = z
  .discriminatedUnion(
    'kind',
    [
      obj({
        kind: z
          .literal('slack')
          .describe('slack (with workspaceId, channelId) or teams (with teamId, tenantId, channelId)'),
        workspaceId: slackId('workspace', 'T0123ABCD'),
        channelId: slackId('channel', 'C0456EFGH'),
      }),
      obj({
        kind: z
          .literal('teams')
          .describe('slack (with workspaceId, channelId) or teams (with teamId, tenantId, channelId)'),
        teamId: uuid('team'),
        tenantId: uuid('tenant'),
        channelId: z
          .string()
          .min(1)
          .max(256)
          .describe('the Microsoft Teams channel id from the channel link, e.g. 19:abc…@thread.tacv2'),
      }),
    ],
    { error: () => `write kind: ${CHAT_KINDS.join(' or ')}` },
  )
  .describe(
    'a Slack channel or Microsoft Teams channel that receives every message of this level through AWS Chatbot (Amazon Q Developer in chat applications); authorize the workspace or team once in the Chatbot console first (docs/alerting.md)',
  );

const webhook = obj({
  kind: z
    .enum(WEBHOOK_KINDS, { message: `write kind: ${WEBHOOK_KINDS.join(', ')}` })
    .describe(
      'the message format: slack (incoming webhook), googleChat, discord, mattermost, or json (the message as a JSON document, for any endpoint)',
    ),
  secret: secretRef('the webhook URL (the whole secret string, or a JSON object with a "url" key)'),
}).describe('an HTTPS webhook that receives every message of this level; its URL stays in the secret');

export const levelSchema = obj({
  name: resourceName('level name'),
  email: z.array(email).default([]).describe('addresses e-mailed at this level'),
  sms: z.array(phoneNumber).default([]).describe('numbers texted at this level (E.164)'),
  rotation: rotationSchema.optional(),
  chat: z
    .array(chatChannel)
    .default([])
    .describe('Slack and Microsoft Teams channels of this level, through AWS Chatbot. @default none'),
  webhooks: z
    .array(webhook)
    .default([])
    .describe(
      'HTTPS webhooks of this level (Slack incoming webhook, Google Chat, Discord, Mattermost, any JSON endpoint). @default none',
    ),
  notifyTeam: z
    .boolean()
    .default(false)
    .describe(
      'when an escalation reaches this level, also tell the levels it paged before ("escalated to <level> after 30 min, still unacknowledged"); set it on the top level so the first responders know the boss was woken. @default false',
    ),
});

export const SEVERITY_DEFAULTS: Record<
  (typeof SEVERITIES)[number],
  { escalateAfter: string; repeatEvery: string }
> = {
  critical: { escalateAfter: '15m', repeatEvery: '30m' },
  high: { escalateAfter: '30m', repeatEvery: '1h' },
  medium: { escalateAfter: '2h', repeatEvery: '4h' },
  low: { escalateAfter: '12h', repeatEvery: '24h' },
};

const severityPolicy = (name: (typeof SEVERITIES)[number]) =>
  obj({
    notify: resourceName('level')
      .optional()
      .describe('the escalation level notified first. @default the first level'),
    escalateAfter: duration('how long an unacknowledged alarm waits before the next level is notified', {
      min: '1m',
      max: '7d',
    })
      .optional()
      .describe(
        `how long an unacknowledged alarm waits before the next level is notified. @default ${SEVERITY_DEFAULTS[name].escalateAfter}`,
      ),
    repeatEvery: duration('how often the last level is reminded while the alarm lasts', {
      min: '5m',
      max: '7d',
    })
      .optional()
      .describe(
        `how often the last level is reminded while the alarm lasts. @default ${SEVERITY_DEFAULTS[name].repeatEvery}`,
      ),
    runbook: httpUrl.optional().describe('runbook link quoted in every message of this severity'),
    promoteAfter: duration('how long an unacknowledged alarm stays at this severity before it is raised', {
      min: '1m',
      max: '7d',
    })
      .optional()
      .describe(
        'raise an alarm still in ALARM and unacknowledged after this long to promoteTo: its first level is paged again and its timings apply from then on. @default never',
      ),
    promoteTo: severity
      .optional()
      .describe(
        'the more severe severity promoteAfter raises to (a name or an alias). @default the next more severe one',
      ),
  }).describe(`${name} alarms`);

const maintenanceSchema = obj({
  name: z.string().min(1).optional().describe('shown in logs when a notification is suppressed'),
  cron: schedule('when a recurring window starts').optional(),
  duration: duration('how long a recurring window lasts', { min: '1m', max: '7d' }).optional(),
  start: z.iso.datetime({ offset: true }).optional().describe('start of a one-off window (ISO 8601)'),
  end: z.iso.datetime({ offset: true }).optional().describe('end of a one-off window (ISO 8601)'),
  targets: z
    .array(z.string())
    .optional()
    .describe('names of the targets or alarms the window covers. @default every target'),
});

export const ALARM_PRESETS = [
  'rds-cpu',
  'rds-free-storage',
  'rds-connections',
  'alb-5xx-rate',
  'alb-p95-latency',
  'ecs-cpu',
  'ecs-memory',
  'ec2-disk',
  'ec2-memory',
  'apigw-5xx-rate',
  'apigw-p95-latency',
] as const;

const STATISTIC = /^(Average|Sum|Minimum|Maximum|SampleCount|p\d{1,2}(\.\d+)?)$/;
const statistic = z
  .string()
  .regex(STATISTIC, {
    message: 'use Average, Sum, Minimum, Maximum, SampleCount or a percentile such as p95',
  })
  .describe('statistic or percentile (p95)');

const metricRef = obj({
  namespace: z.string().min(1).describe('CloudWatch namespace, e.g. AWS/ApplicationELB'),
  metric: z.string().min(1).describe('metric name, e.g. RequestCount'),
  dimensions: z.record(z.string(), z.string()).default({}),
  statistic: statistic.default('Sum'),
});

const metricAlarmSchema = obj({
  name: resourceName('alarm name'),
  preset: z
    .enum(ALARM_PRESETS)
    .optional()
    .describe('a ready-made alarm; the fields below override its defaults'),
  description: z.string().max(500).optional(),
  namespace: z.string().min(1).optional(),
  metric: z.string().min(1).optional(),
  dimensions: z
    .record(z.string(), z.string())
    .default({})
    .describe('metric dimensions, e.g. DBInstanceIdentifier'),
  statistic: statistic.optional(),
  expression: z
    .string()
    .min(1)
    .optional()
    .describe('metric math over `metrics`, e.g. 100 * errors / requests'),
  metrics: z
    .record(
      z.string().regex(/^[a-z][a-zA-Z0-9_]*$/, {
        message:
          'a metric id starts with a lower-case letter, then letters, digits or _ — rename it, e.g. errors',
      }),
      metricRef,
    )
    .optional(),
  threshold: z.number().optional(),
  comparison: z.enum(['>', '>=', '<', '<=']).optional(),
  period: duration('metric period', { min: '10s', max: '1d' }).optional(),
  datapoints: int(1, 100).optional().describe('M in "M of N datapoints"'),
  evaluationPeriods: int(1, 100).optional().describe('N in "M of N datapoints"'),
  missingData: z.enum(['breaching', 'notBreaching', 'ignore', 'missing']).optional(),
  severity: severity.default('high'),
  runbook: httpUrl.optional(),
});

const logPatternSchema = obj({
  name: resourceName('pattern name'),
  logGroup: z.string().min(1).describe('log group to watch'),
  pattern: z
    .string()
    .min(1)
    .describe('CloudWatch Logs filter pattern, e.g. "authentication failed" or { $.code = "AUTH_001" }'),
  threshold: int(1, 1_000_000).default(1).describe('matches per period that raise the alarm'),
  period: duration('counting period', { min: '1m', max: '1d' }).default('5m'),
  severity: severity.default('medium'),
  runbook: httpUrl.optional(),
});

export const alertsSchema = obj({
  levels: z.array(levelSchema).min(1).describe('escalation levels, notified in this order'),
  severities: obj({
    aliases: z
      .record(
        z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,15}$/, {
          message: 'an alias is 1-16 letters, digits, _ . or -, e.g. P1 or SEV2',
        }),
        severityEnum,
      )
      .default({})
      .describe(
        "your runbook's severity names and the Nightshift severity each means, e.g. { P0: critical, P1: high }; accepted wherever a severity is written and shown in messages and the CLI",
      ),
    critical: severityPolicy('critical').default({}),
    high: severityPolicy('high').default({}),
    medium: severityPolicy('medium').default({}),
    low: severityPolicy('low').default({}),
  })
    .default({ aliases: {}, critical: {}, high: {}, medium: {}, low: {} })
    .describe('how each severity notifies and escalates (keys may be aliases)'),
  smsMonthlySpendLimitUsd: z
    .number()
    .positive()
    .default(10)
    .describe('alarm when SNS SMS spend this month reaches this many USD. @default 10'),
  routeAlarms: obj({
    tagKey: z
      .string()
      .min(1)
      .default('nightshift:severity')
      .describe('alarms tagged with this key are routed'),
    namePrefix: z.string().min(1).optional().describe('alarms whose name starts with this are routed'),
    severity: severity.default('high').describe('severity of an opted-in alarm without a severity tag'),
  })
    .default({ tagKey: 'nightshift:severity', severity: 'high' })
    .describe('which of your own CloudWatch alarms Nightshift routes'),
  maintenance: z.array(maintenanceSchema).default([]).describe('planned work that suppresses notifications'),
  alarms: z
    .array(metricAlarmSchema)
    .default([])
    .describe('alarms on existing metrics (RDS, ALB, ECS, EC2, API Gateway)'),
  logPatterns: z.array(logPatternSchema).default([]).describe('log lines that raise an alarm'),
  dashboard: z
    .boolean()
    .default(false)
    .describe(
      'one CloudWatch dashboard for the project (alarm status, health, backups, log archive). $3/month at list price; the first 3 dashboards of an account are free. Alarms and paging do not need it. @default false',
    ),
}).describe(
  'who is notified, in which order, and how alarms are routed (at least one level with an email or sms)',
);

// ---------------------------------------------------------------------------------------------
// Health checks
// ---------------------------------------------------------------------------------------------

const jsonCondition = obj({
  path: z
    .string()
    .regex(/^\$(\.[A-Za-z_][\w-]*|\[\d+\]|\['[^']+'\])*$/, {
      message: 'write a path such as $.database or $.checks[0].status',
    })
    .describe('JSONPath-style path, e.g. $.database'),
  equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
  in: z.array(z.union([z.string(), z.number(), z.boolean()])).optional(),
  exists: z.boolean().optional(),
  gt: z.number().optional(),
  gte: z.number().optional(),
  lt: z.number().optional(),
  lte: z.number().optional(),
});

const STATUS_RANGE = /^[1-5]\d\d-[1-5]\d\d$/;
const expectStatus = z
  .union([
    int(100, 599),
    z.array(int(100, 599)).min(1),
    z.string().regex(STATUS_RANGE, { message: 'write a range such as 200-299' }),
  ])
  .describe('expected status: a code, a list of codes or a range such as 200-299. @default 200-299');

export const httpCheckSchema = obj({
  url: httpUrl,
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'OPTIONS']).default('GET'),
  headers: z
    .record(z.string(), headerValue)
    .default({})
    .describe('request headers; secret values come from Secrets Manager'),
  body: z.string().optional().describe('request body'),
  expectStatus: expectStatus.default('200-299'),
  bodyContains: z.string().optional(),
  bodyMatches: z
    .string()
    .optional()
    .refine(
      (value) => {
        if (value === undefined) return true;
        try {
          new RegExp(value);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'not a valid regular expression' },
    ),
  json: z.array(jsonCondition).default([]).describe('conditions on the JSON body'),
  followRedirects: z.boolean().default(true),
  tls: z
    .union([
      z.literal(false),
      obj({
        warnDays: int(1, 365).default(14),
        criticalDays: int(0, 365).default(7),
      }),
    ])
    .optional()
    .describe(
      'certificate expiry alarms for https URLs (false to turn off). @default warn 14 days, critical 7',
    ),
});

const tcpCheckSchema = obj({
  host: z.string().min(1),
  port: int(1, 65535),
});

const postgresCheckSchema = obj({
  ...postgresConnection,
  database: z.string().optional().describe("database to connect to. @default the secret's dbname"),
  maxConnectionsPercent: int(1, 100)
    .default(80)
    .describe('alarm when connections used exceed this share of max_connections'),
  replicationLagSeconds: z.number().positive().optional().describe('on a replica: alarm above this lag'),
  query: obj({
    sql: z.string().min(1),
    expect: z
      .union([z.string(), z.number(), z.boolean()])
      .describe('value of the first column of the first row'),
  }).optional(),
});

const redisCheckSchema = obj({
  ...redisConnection,
  maxMemoryPercent: int(1, 100)
    .default(90)
    .describe('alarm when used_memory exceeds this share of maxmemory'),
  replication: z.boolean().default(false).describe('on a replica: fail when the master link is down'),
});

const mongoCheckSchema = obj({
  ...mongoConnection,
  maxConnectionsPercent: int(1, 100).default(80),
  replicaSet: z.boolean().default(false).describe('fail when the replica set has no primary'),
});

export const HEALTH_KINDS = ['http', 'tcp', 'postgres', 'mongodb', 'redis', 'prometheus'] as const;
export type HealthKind = (typeof HEALTH_KINDS)[number];

const targetCommon = {
  name: resourceName('target name'),
  severity: severity.optional().describe('@default healthChecks.defaults.severity'),
  runbook: httpUrl.optional().describe('runbook link quoted when this target alarms'),
};

/**
 * Sub-minute check intervals (ms): each divides a minute, so one run a minute checks at fixed offsets
 * (0, 10 s, 20 s, … of the minute) and every alarm period holds the same checks.
 */
export const SUB_MINUTE_INTERVALS_MS: readonly number[] = [10_000, 15_000, 20_000, 30_000];
/** downFor of a sub-minute target that sets none: 30 s, rounded up to whole intervals (20s: 40 s). */
export function defaultDownForMs(intervalMs: number): number {
  return Math.ceil(30_000 / intervalMs) * intervalMs;
}

export const healthTargetSchema = obj({
  ...targetCommon,
  interval: duration('how often this target is checked', { min: '10s', max: '1d' })
    .optional()
    .describe(
      'how often this target is checked: 1m or longer, or 10s, 15s, 20s or 30s (sub-minute: checked several times a run, high-resolution metrics and down alarm, see downFor). @default every run of healthChecks.schedule',
    ),
  downFor: duration('how long a sub-minute target fails before its down alarm fires', {
    min: '10s',
    max: '10m',
  })
    .optional()
    .describe(
      'with a sub-minute interval: how long the target fails before its down alarm fires, a whole number of intervals (e.g. 30s). @default 30s, 40s for a 20s interval',
    ),
  timeout: duration('timeout per check', { min: '100ms', max: '60s' }).optional(),
  maxLatency: duration(
    'latency above which the latency alarm fires; unset (and no default): no latency alarm',
    {
      min: '1ms',
      max: '60s',
    },
  ).optional(),
  down: obj({ datapoints: int(1, 60), evaluationPeriods: int(1, 60) })
    .optional()
    .describe('down for M of N periods raises the alarm. @default healthChecks.defaults.down'),
  http: httpCheckSchema.optional(),
  tcp: tcpCheckSchema.optional(),
  postgres: postgresCheckSchema.optional(),
  mongodb: mongoCheckSchema.optional(),
  redis: redisCheckSchema.optional(),
  prometheus: prometheusCheckSchema.optional(),
});

export const healthChecksSchema = obj({
  schedule: schedule('how often the checks run').default('rate(1 minute)'),
  concurrency: int(1, 256)
    .default(128)
    .describe(
      'targets checked at once; a target that never answers holds its slot until its timeout. @default 128',
    ),
  vpc: z.boolean().optional().describe('run inside `network`. @default true when `network` is set'),
  defaults: obj({
    timeout: duration('timeout per check', { min: '100ms', max: '60s' }).default('5s'),
    severity: severity.default('high'),
    maxLatency: duration(
      'latency alarm threshold for every target; unset: latency alarms only on targets that set their own',
      {
        min: '1ms',
        max: '60s',
      },
    ).optional(),
    down: obj({ datapoints: int(1, 60), evaluationPeriods: int(1, 60) }).default({
      datapoints: 2,
      evaluationPeriods: 3,
    }),
  }).default({
    timeout: '5s',
    severity: 'high',
    down: { datapoints: 2, evaluationPeriods: 3 },
  }),
  targets: z.array(healthTargetSchema).default([]),
}).describe('scheduled checks of web endpoints and databases');

// ---------------------------------------------------------------------------------------------
// Backups
// ---------------------------------------------------------------------------------------------

export const BACKUP_ENGINES = ['postgres', 'mongodb', 'redis'] as const;
export type BackupEngine = (typeof BACKUP_ENGINES)[number];

const verifyInto = obj({
  secret: secretRef('the scratch database connection (it is wiped)').optional(),
  url: connectionUrl(['postgres', 'mongodb', 'redis'])
    .optional()
    .describe('scratch database URL without a password, same engine as the target (it is wiped)'),
  schedule: schedule('when the restore test runs').default('cron(0 5 1 * ? *)'),
}).describe('restore each month into this scratch database and compare counts');

export const backupTargetSchema = obj({
  ...targetCommon,
  schedule: schedule('when this target is dumped').optional().describe('@default backups.schedule'),
  runtime: z
    .enum(['lambda', 'fargate'])
    .default('lambda')
    .describe('fargate for dumps longer than ~10 minutes'),
  timeout: duration('longest a dump may run', { min: '1m', max: '12h' }).optional(),
  memoryMb: int(512, 10240)
    .optional()
    .describe(
      'memory in MB (Lambda: 1,769 MB = 1 vCPU; see docs/backup.md "Lambda sizing"). @default 1769 (lambda), 2048 (fargate)',
    ),
  compressionLevel: int(1, 19).optional().describe('zstd level. @default backups.compressionLevel'),
  postgres: obj({
    ...postgresConnection,
    database: z.string().optional(),
    globals: z.boolean().default(false).describe('also dump roles (pg_dumpall --globals-only)'),
  }).optional(),
  mongodb: obj({
    ...mongoConnection,
    oplog: z.boolean().default(false).describe('--oplog for a point-in-time dump of a replica set'),
  }).optional(),
  redis: obj({
    ...redisConnection,
    mode: z
      .enum(['rdb', 'logical'])
      .default('logical')
      .describe('rdb (SYNC, self-hosted) or logical (SCAN+DUMP, works on managed Redis)'),
  }).optional(),
  verify: verifyInto.optional(),
});

export const backupsSchema = obj({
  schedule: schedule('when backups run').default('cron(0 2 * * ? *)'),
  retention: obj({
    daily: int(1, 366).default(7),
    weekly: int(0, 104).default(4),
    monthly: int(0, 120).default(3),
  }).default({ daily: 7, weekly: 4, monthly: 3 }),
  objectLock: z
    .enum(['off', 'governance', 'compliance'])
    .default('off')
    .describe('S3 Object Lock: each backup is locked until its tier expires. @default off'),
  compressionLevel: int(1, 19)
    .default(1)
    .describe('zstd level (1 beats pg_dump -Fc in speed and size; docs/backup.md). @default 1'),
  maxAge: duration(
    'alarm when the newest backup is older than this; at most 7d, the longest a CloudWatch alarm looks back',
    { min: '1h', max: '7d' },
  ).default('26h'),
  vpc: z.boolean().optional().describe('run inside `network`. @default true when `network` is set'),
  targets: z.array(backupTargetSchema).default([]),
}).describe('database dumps to S3 with daily/weekly/monthly retention');

// ---------------------------------------------------------------------------------------------
// Log archive
// ---------------------------------------------------------------------------------------------

export const STORAGE_CLASSES = [
  'STANDARD_IA',
  'INTELLIGENT_TIERING',
  'GLACIER_IR',
  'GLACIER',
  'DEEP_ARCHIVE',
] as const;

const logGroupSelector = obj({
  name: z.string().min(1).optional().describe('exact log group name'),
  prefix: z.string().min(1).optional().describe('every log group whose name starts with this'),
  tag: obj({ key: z.string().min(1), value: z.string().optional() })
    .optional()
    .describe('every log group with this tag'),
  mode: z
    .enum(['api', 'export-task', 'firehose'])
    .default('api')
    .describe(
      'api (FilterLogEvents, default), export-task (CreateExportTask, big groups) or firehose (near real time)',
    ),
});

export const logArchiveSchema = obj({
  schedule: schedule('when yesterday is archived').default('cron(30 1 * * ? *)'),
  day: z
    .enum(['local', 'utc'])
    .default('local')
    .describe('"the previous day" in the configured time zone (local) or in UTC. @default local'),
  groups: z.array(logGroupSelector).min(1).describe('log groups to archive'),
  hotRetentionDays: logRetentionDays
    .default(30)
    .describe(
      'CloudWatch Logs retention of the archived groups, in days CloudWatch Logs accepts. @default 30',
    ),
  manageRetention: z
    .boolean()
    .default(true)
    .describe('let Nightshift set the retention of the named log groups'),
  cold: obj({
    transitions: z.array(obj({ storageClass: z.enum(STORAGE_CLASSES), afterDays: int(0, 3650) })).default([
      { storageClass: 'GLACIER_IR', afterDays: 30 },
      { storageClass: 'DEEP_ARCHIVE', afterDays: 90 },
    ]),
    expireAfterDays: int(1, 36500).default(365),
  }).default({
    transitions: [
      { storageClass: 'GLACIER_IR', afterDays: 30 },
      { storageClass: 'DEEP_ARCHIVE', afterDays: 90 },
    ],
    expireAfterDays: 365,
  }),
  deadline: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'write a time of day as HH:MM, e.g. 06:00' })
    .default('06:00')
    .describe('alarm when the previous day is not archived by this local time. @default 06:00'),
}).describe('daily archive of CloudWatch Logs to S3 cold storage');

// ---------------------------------------------------------------------------------------------
// Database maintenance (maintenance.tasks; not alerts.maintenance, which are notification windows)
// ---------------------------------------------------------------------------------------------

export const MAINTENANCE_KINDS = [
  'vacuum',
  'bloat',
  'slowQueries',
  'sqlCheck',
  'redisMemory',
  'bigKeys',
] as const;
export type MaintenanceKind = (typeof MAINTENANCE_KINDS)[number];
/** Kinds that run against PostgreSQL; the others run against Redis. */
export const POSTGRES_MAINTENANCE_KINDS: readonly MaintenanceKind[] = [
  'vacuum',
  'bloat',
  'slowQueries',
  'sqlCheck',
];

const KIND_TEXT =
  'what the task does: vacuum (VACUUM (ANALYZE)), bloat (dead-tuple report), slowQueries (pg_stat_statements), sqlCheck (read-only SQL against a threshold) on PostgreSQL; redisMemory (fragmentation), bigKeys (SCAN + MEMORY USAGE) on Redis';
const TABLE_NAME = /^([A-Za-z_][A-Za-z0-9_$]*\.)?[A-Za-z_][A-Za-z0-9_$]*$/;

const taskCommon = {
  name: resourceName('task name'),
  schedule: schedule('when the task runs'),
  severity: severity
    .default('medium')
    .describe("severity of the task's alarms (a problem found, the task failed). @default medium"),
  runbook: httpUrl.optional().describe('runbook link quoted when this task alarms'),
  timeout: duration('longest the task may run; the task stops and reports failed after it', {
    min: '10s',
    max: '14m',
  })
    .default('5m')
    .describe('longest the task may run (at most 14m: a Lambda function stops at 15). @default 5m'),
};

const maintenancePostgres = obj({
  ...postgresConnection,
  database: z.string().optional().describe("database to connect to. @default the secret's dbname"),
}).describe('the PostgreSQL database the task runs against (a secret or a password-less url)');
const maintenanceRedis = obj(redisConnection).describe(
  'the Redis server the task runs against (a secret or a password-less url)',
);

const tableList = z
  .array(
    z.string().regex(TABLE_NAME, {
      message: 'write a table as name or schema.name (letters, digits, _), e.g. public.orders',
    }),
  )
  .min(1)
  .optional();

const vacuumTask = obj({
  ...taskCommon,
  kind: z.literal('vacuum').describe(KIND_TEXT),
  postgres: maintenancePostgres,
  tables: tableList.describe('the tables, as name or schema.name. @default every table'),
  analyze: z
    .boolean()
    .default(true)
    .describe('VACUUM (ANALYZE): also refresh planner statistics. @default true'),
  lockTimeout: duration('how long VACUUM waits for a table lock before it gives up on that table', {
    min: '100ms',
    max: '10m',
  })
    .default('5s')
    .describe(
      "lock_timeout: how long VACUUM waits for a table's lock before that table is reported failed. @default 5s",
    ),
  statementTimeout: duration('statement_timeout: the longest one statement may run', {
    min: '100ms',
    max: '14m',
  })
    .optional()
    .describe(
      "statement_timeout: the longest one statement (one table's VACUUM, the SQL check) may run. @default the task timeout (vacuum), 30s (sqlCheck)",
    ),
}).describe('VACUUM (ANALYZE) chosen tables or every table, one table at a time');

const bloatTask = obj({
  ...taskCommon,
  kind: z.literal('bloat').describe(KIND_TEXT),
  postgres: maintenancePostgres,
  tables: tableList.describe('the tables, as name or schema.name. @default every table'),
  maxDeadPercent: z
    .number()
    .min(0)
    .max(100)
    .default(20)
    .describe("a problem when dead tuples exceed this share of a table's tuples. @default 20"),
  minDeadTuples: int(0, 1_000_000_000)
    .default(1000)
    .describe('ignore tables with fewer dead tuples than this (small tables). @default 1000'),
}).describe('dead-tuple and bloat report from pg_stat_user_tables');

const slowQueriesTask = obj({
  ...taskCommon,
  kind: z.literal('slowQueries').describe(KIND_TEXT),
  postgres: maintenancePostgres,
  top: int(1, 100)
    .default(10)
    .describe('how many to report (the slowest queries, the biggest keys). @default 10'),
  maxMeanTime: duration("a problem when a reported query's mean execution time is above this", {
    min: '1ms',
    max: '1h',
  })
    .optional()
    .describe('a problem when one of the top queries averages more than this. @default none (report only)'),
  minCalls: int(1, 1_000_000_000).default(5).describe('ignore queries called fewer times. @default 5'),
}).describe(
  'the slowest queries (by total time) from pg_stat_statements; the task fails if it is not installed',
);

const sqlCheckTask = obj({
  ...taskCommon,
  kind: z.literal('sqlCheck').describe(KIND_TEXT),
  postgres: maintenancePostgres,
  sql: z
    .string()
    .min(1)
    .describe(
      'one read-only query returning one row with one numeric column, e.g. SELECT count(*) FROM jobs WHERE failed',
    ),
  comparison: z
    .enum(['>', '>=', '<', '<=', '==', '!='])
    .default('>')
    .describe('a problem when `result <comparison> threshold`. @default >'),
  threshold: z.number().describe('the value the result is compared with'),
  statementTimeout: duration('statement_timeout: the longest one statement may run', {
    min: '100ms',
    max: '14m',
  })
    .default('30s')
    .describe(
      "statement_timeout: the longest one statement (one table's VACUUM, the SQL check) may run. @default the task timeout (vacuum), 30s (sqlCheck)",
    ),
}).describe('a custom SQL check, run in a READ ONLY transaction, whose number is compared with a threshold');

const redisMemoryTask = obj({
  ...taskCommon,
  kind: z.literal('redisMemory').describe(KIND_TEXT),
  redis: maintenanceRedis,
  maxFragmentationRatio: z
    .number()
    .min(1)
    .max(100)
    .default(1.5)
    .describe('a problem when mem_fragmentation_ratio is above this. @default 1.5'),
  minFragmentedMb: z
    .number()
    .min(0)
    .default(100)
    .describe(
      'ignore fragmentation smaller than this many MB (used_memory_rss − used_memory): a nearly empty server always shows a high ratio. @default 100',
    ),
}).describe('Redis memory fragmentation (INFO memory)');

const bigKeysTask = obj({
  ...taskCommon,
  kind: z.literal('bigKeys').describe(KIND_TEXT),
  redis: maintenanceRedis,
  maxKeyMb: z
    .number()
    .positive()
    .default(10)
    .describe('a problem when one key uses more than this many MB (MEMORY USAGE). @default 10'),
  sampleKeys: int(1, 10_000_000)
    .default(100_000)
    .describe('the most keys examined per run (SCAN, never KEYS). @default 100000'),
  match: z.string().min(1).optional().describe('only keys matching this SCAN MATCH pattern, e.g. cache:*'),
  top: int(1, 100)
    .default(10)
    .describe('how many to report (the slowest queries, the biggest keys). @default 10'),
}).describe('big keys: SCAN-based sampling with MEMORY USAGE');

export const maintenanceTaskSchema = z
  .discriminatedUnion('kind', [
    vacuumTask,
    bloatTask,
    slowQueriesTask,
    sqlCheckTask,
    redisMemoryTask,
    bigKeysTask,
  ])
  .describe(
    `one maintenance task: name, kind (${MAINTENANCE_KINDS.join(', ')}), schedule, and the database (postgres for vacuum, bloat, slowQueries and sqlCheck; redis for redisMemory and bigKeys)`,
  );

export const maintenanceSectionSchema = obj({
  vpc: z.boolean().optional().describe('run inside `network`. @default true when `network` is set'),
  tasks: z.array(maintenanceTaskSchema).min(1).describe('the tasks, each on its own schedule'),
}).describe(
  'scheduled database maintenance (VACUUM, bloat and slow-query reports, SQL checks, Redis memory and big keys); a problem found raises an alarm',
);
// Status page
// ---------------------------------------------------------------------------------------------

export const statusPageTargetSchema = z.union([
  resourceName('a healthChecks target shown on the status page'),
  obj({
    target: resourceName('a healthChecks target shown on the status page'),
    name: z
      .string()
      .min(1)
      .max(60)
      .regex(/^[^<>\n]+$/, { message: 'a display name is one line without < or >' })
      .describe('the public display name (the target name is then never shown). @default the target name'),
  }),
]);

export const statusPageSchema = obj({
  title: z
    .string()
    .min(1)
    .max(80)
    .regex(/^[^<>\n]+$/, { message: 'a title is one line without < or >' })
    .describe('page heading and <title>, e.g. "Shop status"'),
  targets: z
    .array(statusPageTargetSchema)
    .min(1)
    .describe(
      'health-check targets shown, in order: a target name, or { target, name } with a public display name. Nothing else about a target (URL, host, alarm) is shown',
    ),
  public: z
    .boolean()
    .default(false)
    .describe(
      'true: served to everyone through CloudFront (cached at the edge). false: only callers with lambda:InvokeFunctionUrl on the function URL (AWS_IAM). @default false',
    ),
}).describe('a status page (HTML and /status.json): current state, 90-day uptime and incidents per target');

// ---------------------------------------------------------------------------------------------
// Root
// ---------------------------------------------------------------------------------------------

export const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

export const configSchema = obj({
  $schema: z.string().optional().describe('path to nightshift.schema.json, for editors'),
  project: resourceName('project name, used in every resource name'),
  region: z
    .string()
    .regex(REGION, { message: 'not an AWS region — write it as eu-west-1' })
    .describe('AWS region'),
  account: z
    .string()
    .regex(/^\d{12}$/, { message: 'an AWS account id is 12 digits' })
    .optional()
    .describe('AWS account id. @default the account of your credentials at deploy time'),
  timezone: timeZone.default('UTC'),
  logRetentionDays: logRetentionDays
    .default(30)
    .describe("retention of Nightshift's own job logs, in days CloudWatch Logs accepts. @default 30"),
  ssmParameterKey: z
    .string()
    .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, {
      message: 'not a KMS key ARN — write it as arn:aws:kms:eu-west-1:123456789012:key/<key id>',
    })
    .optional()
    .describe(
      'the KMS key that encrypts the SecureString parameters referenced as secret: ssm:/… (jobs get kms:Decrypt on it through SSM only). @default the AWS managed key aws/ssm',
    ),
  encryption: z
    .enum(['customer-key', 'aws-managed'])
    .default('customer-key')
    .describe(
      'customer-key: one project KMS key (alias/nightshift/<project>, $1 a month plus requests) encrypts the backup and log-archive buckets, job logs, dead-letter queues and alert topics, so reading a backup needs kms:Decrypt on it and every decrypt is in CloudTrail. aws-managed: no project key; buckets use SSE-S3, log groups the CloudWatch Logs default encryption, queues SSE-SQS, Firehose an AWS-owned key, and the alert topics are not encrypted at rest (CloudWatch alarms cannot publish to a topic encrypted with the AWS managed aws/sns key; they carry alarm names and summaries, never credentials). @default customer-key',
    ),
  tracing: z
    .boolean()
    .default(false)
    .describe(
      'AWS X-Ray active tracing for every Nightshift function and state machine: one trace per run, $5 per million after 100,000 free a month (about 47,000 runs a month with health checks every minute). @default false',
    ),
  network: networkSchema.optional(),
  alerts: alertsSchema,
  healthChecks: healthChecksSchema.optional(),
  backups: backupsSchema.optional(),
  logArchive: logArchiveSchema.optional(),
  maintenance: maintenanceSectionSchema.optional(),
  statusPage: statusPageSchema.optional(),
});

export type NightshiftConfig = z.output<typeof configSchema>;
export type NightshiftConfigInput = z.input<typeof configSchema>;
export type AlertsConfig = NightshiftConfig['alerts'];
export type RotationConfig = z.output<typeof rotationSchema>;
export type LevelConfig = z.output<typeof levelSchema>;
export type ChatChannelConfig = z.output<typeof chatChannel>;
export type WebhookConfig = z.output<typeof webhook>;
export type HealthChecksConfig = z.output<typeof healthChecksSchema>;
export type HealthTarget = z.output<typeof healthTargetSchema>;
export type HttpCheck = z.output<typeof httpCheckSchema>;
export type BackupsConfig = z.output<typeof backupsSchema>;
export type BackupTarget = z.output<typeof backupTargetSchema>;
export type LogArchiveConfig = z.output<typeof logArchiveSchema>;
export type StatusPageConfig = z.output<typeof statusPageSchema>;
export type MetricAlarmConfig = z.output<typeof metricAlarmSchema>;
export type LogPatternConfig = z.output<typeof logPatternSchema>;
export type MaintenanceWindow = z.output<typeof maintenanceSchema>;
export type NetworkConfig = z.output<typeof networkSchema>;
export type MaintenanceConfig = z.output<typeof maintenanceSectionSchema>;
export type MaintenanceTask = z.output<typeof maintenanceTaskSchema>;
