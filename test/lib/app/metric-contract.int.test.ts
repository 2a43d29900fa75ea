/**
 * The metric contract, for every example config (issue 9, Deliver 2; DESIGN rule 11): every alarm and
 * dashboard metric on the Nightshift namespace is a (namespace, name, exact dimension set) that a real
 * handler emits, and every metric a handler emits is watched or listed as informational in docs/.
 *
 * Writer side: each job's real handler, bundled with the construct's esbuild settings
 * (handlerBundleOptions), run in a child Node process with the environment variables of its function
 * and the event of its schedule, both taken from the synthesized template. It talks to a disposable
 * PostgreSQL and redis-server, s3rver, local HTTPS servers, and a fake endpoint for the AWS APIs with no
 * local server (Secrets Manager, CloudWatch Logs, CloudWatch, Step Functions, SNS). The EMF documents
 * are read from its stdout. Reader side: the alarms and the dashboard body of the same template.
 *
 * MongoDB: there is no server on this machine, so mongo health targets talk (through the real driver) to
 * a fake wire-protocol server (test/support/fake-mongo.ts), and mongo backups fail in both scenarios
 * (no mongodump). Success-only backup metrics of mongo targets are therefore covered by the same job's
 * other engine in the same example — see ENGINE_GAPS.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import Redis from 'ioredis';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCRAPE_TABLE_VAR } from '../../../lambdas/health-check/env';
import { METRICS_NAMESPACE } from '../../../lambdas/shared/metrics';
import { buildApp } from '../../../lib/app';
import { loadConfig } from '../../../lib/config/load';
import { REPO } from '../../support/cdk';
import { type EmittedMetric, emfMetrics, metricKey } from '../../support/emf';
import { type FakeAws, FakeAwsError, startFakeAws } from '../../support/fake-aws';
import { type FakeMongo, startFakeMongo } from '../../support/fake-mongo';
import { bundleHandlers, type Invocation, invokeHandler } from '../../support/lambda';
import { withPostgres, withRedis, withS3 } from '../../support/services';
import {
  alarmMetrics,
  dashboardMetrics,
  informationalMetrics,
  lowResolutionWatches,
  type Pseudo,
  resourceTypes,
  type Template,
  type TemplateFunction,
  templateFunctions,
  unmatchedWatches,
  unwatchedEmitted,
  type WatchedMetric,
} from '../../support/template-metrics';

const EXAMPLES = ['inventory', 'local', 'nestjs-mongo', 'planner', 'python-api'];
const DOCS = join(REPO, 'docs');

/** Handlers by function name (`<project>-<job>[-<target>]`, lib/constructs/function-defaults.ts) → entry. Backup runs in an image; its handler is bundled the same way. */
const ENTRIES = {
  'health-check': join(REPO, 'lambdas/health-check/handler.ts'),
  backup: join(REPO, 'lambdas/backup/handler.ts'),
  'log-archive': join(REPO, 'lambdas/log-archive/handler.ts'),
  'alert-router': join(REPO, 'lambdas/alert-router/handler.ts'),
  'db-maintenance': join(REPO, 'lambdas/db-maintenance/handler.ts'),
};
type Job = keyof typeof ENTRIES;

/**
 * Metrics only a backup engine that cannot run here emits on success (mongodump needs a MongoDB server).
 * Each gap is accepted only if the same job emitted the same name with the same dimension names for
 * another target in the same example (the emitting code is engine-independent: lambdas/backup/backup.ts).
 */
const ENGINE_GAPS: { example: string; name: string; target: string }[] = [
  { example: 'nestjs-mongo', name: 'BackupBytes', target: 'mongodb' },
  // Emitted on success (0) and on failure only when an earlier backup exists.
  { example: 'nestjs-mongo', name: 'NewestBackupAgeHours', target: 'mongodb' },
];

// pg_stat_statements loaded: the examples' slowQueries tasks report queries instead of failing
const pg = withPostgres({ settings: { shared_preload_libraries: 'pg_stat_statements' } });
const redis = withRedis({ maxmemory: '64mb' });
const s3 = withS3();

let aws: FakeAws;
let mongo: FakeMongo;
let bundles: Record<string, string>;
let work: string;
let healthy: Server;
let expiring: Server;
let closedPort: number;
/** path → JSON body served by the local HTTPS servers. */
const bodies = new Map<string, string>();
/** path → a /metrics page whose counters advance with every request (prometheus targets). */
const metricsPages = new Map<string, () => string>();
/** The fake DynamoDB's items (the prometheus targets' previous scrapes), by table and key. */
const dynamoItems = new Map<string, unknown>();
let extraCa: string;

/** A self-signed certificate for 127.0.0.1 valid for `days`. */
function certificate(days: number): { key: string; cert: string } {
  const dir = mkdtempSync(join(work, 'cert-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-sha256',
      '-days',
      String(days),
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  return {
    key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
  };
}

async function httpsServer(tls: { key: string; cert: string }): Promise<Server> {
  const server = createHttpsServer(tls, (req, res) => {
    const page = metricsPages.get(req.url ?? '');
    if (page) {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(page());
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(bodies.get(req.url ?? '') ?? '{}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

const portOf = (server: Server) => (server.address() as AddressInfo).port;

async function freePort(): Promise<number> {
  const server = createNetServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  await new Promise((done) => server.close(done));
  return port;
}

/** Secret values by scenario ("live" points at the local servers, "dead" at a closed port). */
function secretValue(name: string, caller: string): string {
  const port = (live: number) => (caller === 'dead' ? closedPort : live);
  if (/mongo/i.test(name))
    return JSON.stringify({ url: caller === 'dead' ? `mongodb://127.0.0.1:${closedPort}/app` : mongo.url });
  if (/redis/i.test(name)) return JSON.stringify({ url: `redis://127.0.0.1:${port(redis().port)}` });
  const database = /scratch/i.test(name) ? 'scratch' : 'postgres';
  return JSON.stringify({
    url: `postgres://postgres@127.0.0.1:${port(pg().port)}/${database}?sslmode=disable`,
  });
}

// ---------------------------------------------------------------------------------------------
// One synthesis per example, and the handlers' runs
// ---------------------------------------------------------------------------------------------

interface ExampleRun {
  readonly project: string;
  readonly templates: Template[];
  readonly pseudo: Pseudo;
  readonly functions: TemplateFunction[];
  readonly watched: WatchedMetric[];
  readonly runs: { job: Job; scenario: string; invocation: Invocation }[];
}

function synthesize(example: string): Omit<ExampleRun, 'runs'> {
  const config = loadConfig(join(REPO, 'examples', `${example}.yaml`));
  const { app, data, jobs } = buildApp(config, { bundling: false });
  const assembly = app.synth({ validateOnSynthesis: false });
  const templates = [data, jobs].map(
    (stack) => assembly.getStackByName(stack.stackName).template as Template,
  );
  const pseudo: Pseudo = {
    region: config.region,
    account: config.account ?? '123456789012',
    types: resourceTypes(templates),
  };
  return {
    project: config.project,
    templates,
    pseudo,
    functions: templates.flatMap((t) => templateFunctions(t, pseudo)),
    watched: templates.flatMap((t) => [...alarmMetrics(t, pseudo), ...dashboardMetrics(t, pseudo)]),
  };
}

function jobOf(fn: TemplateFunction, project: string): Job | undefined {
  const service = fn.functionName.startsWith(`${project}-`) ? fn.functionName.slice(project.length + 1) : '';
  return (Object.keys(ENTRIES) as Job[]).find((job) => service === job || service.startsWith(`${job}-`));
}

/** Points a template value at the local services: fixed local ports in URLs/targets (examples/local.yaml). */
function localize(text: string, dead: boolean): string {
  const pgPort = dead ? closedPort : pg().port;
  const redisPort = dead ? closedPort : redis().port;
  return text
    .replaceAll('127.0.0.1:5432', `127.0.0.1:${pgPort}`)
    .replaceAll('"port":5432', `"port":${pgPort}`)
    .replaceAll('127.0.0.1:6379', `127.0.0.1:${redisPort}`);
}

/** Sets `$.a.b` / `$.a[0]` / `$['a']` in `into`. */
function setPath(into: Record<string, unknown>, path: string, value: unknown): void {
  const keys = [...path.matchAll(/\.([A-Za-z_][\w-]*)|\[(\d+)\]|\['([^']+)'\]/g)].map(
    (m) => m[1] ?? (m[2] !== undefined ? Number(m[2]) : m[3]),
  ) as (string | number)[];
  let node: Record<string | number, unknown> = into;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) {
      node[key] = value;
      return;
    }
    node[key] ??= typeof keys[i + 1] === 'number' ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  });
}

type JsonCondition = { path: string; equals?: unknown; in?: unknown[]; exists?: boolean } & Partial<
  Record<'gt' | 'gte' | 'lt' | 'lte', number>
>;

/** A body that satisfies the target's JSON conditions. */
function healthyBody(conditions: JsonCondition[]): string {
  const body: Record<string, unknown> = {};
  for (const c of conditions) {
    if (c.exists === false) continue;
    const value =
      'equals' in c
        ? c.equals
        : c.in
          ? c.in[0]
          : c.gt !== undefined
            ? c.gt + 1
            : c.gte !== undefined
              ? c.gte
              : c.lt !== undefined
                ? c.lt - 1
                : c.lte !== undefined
                  ? c.lte
                  : 'present';
    setPath(body, c.path, value);
  }
  return JSON.stringify(body);
}

type Selector = string | { metric: string; labels?: Record<string, string | { not: string }> };
type PrometheusTerm = { gauge?: Selector; rate?: Selector; quantile?: { q: number; histogram: Selector } };
type PrometheusRule = {
  expr: PrometheusTerm & {
    sum?: PrometheusTerm[];
    ratio?: Record<'numerator' | 'denominator', PrometheusTerm & { sum?: PrometheusTerm[] }>;
  };
};

/**
 * A /metrics page with a series for every selector of the rules, whose counters and histogram buckets
 * grow with every scrape (so rates and quantiles have a value from the second scrape on) and whose
 * gauges are 5. Label matchers must be plain values (or `not`, left out): a regex has no one value.
 */
function metricsPage(rules: PrometheusRule[]): () => string {
  const series = (selector: Selector, suffix = '', extra: Record<string, string> = {}) => {
    const { metric, labels = {} } = typeof selector === 'string' ? { metric: selector } : selector;
    const written = { ...extra };
    for (const [name, matcher] of Object.entries(labels)) {
      if (typeof matcher !== 'string') continue;
      if (!/^[\w/ -]*$/.test(matcher))
        throw new Error(`give the contract page a value for ${name}=~"${matcher}"`);
      written[name] = matcher;
    }
    const text = Object.entries(written)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',');
    return `${metric}${suffix}{${text}}`;
  };
  const terms = rules.flatMap(({ expr }) => [
    expr,
    ...(expr.sum ?? []),
    ...Object.values(expr.ratio ?? {}).flatMap((side) => [side, ...(side.sum ?? [])]),
  ]);
  let scrapes = 0;
  return () => {
    scrapes++;
    const lines = new Set<string>();
    for (const term of terms) {
      if (term.gauge) lines.add(`${series(term.gauge)} 5`);
      if (term.rate) lines.add(`${series(term.rate)} ${scrapes * 600}`);
      if (term.quantile) {
        for (const [le, share] of [
          ['0.5', 50],
          ['1', 80],
          ['2', 95],
          ['+Inf', 100],
        ] as const)
          lines.add(`${series(term.quantile.histogram, '_bucket', { le })} ${scrapes * share}`);
      }
    }
    return [...lines].join('\n');
  };
}

type HealthEvent = {
  periodMs?: number;
  scheduledTime?: string;
  metricsSent?: 'all' | 'breaches';
  targets: {
    target: {
      name: string;
      http?: { url: string; json?: JsonCondition[] };
      tcp?: { host: string; port: number };
      prometheus?: { url: string; rules: PrometheusRule[] };
    };
  }[];
};

/** The schedule's event with HTTP targets pointed at a local server (or a closed port when down). */
function healthEvent(example: string, input: unknown, mode: 'up' | 'down' | 'tls' | 'all'): unknown {
  const event = JSON.parse(localize(JSON.stringify(input), mode === 'down')) as HealthEvent;
  // what EventBridge Scheduler does to a context attribute in the input: the time it fired for
  if (event.scheduledTime === '<aws.scheduler.scheduled-time>')
    event.scheduledTime = new Date().toISOString();
  // 'all': healthy targets, every value sent (what the dashboard's schedules ask for), so every watched
  // metric shows its dimensions even where the template's checks send only breaching values
  if (mode === 'all') event.metricsSent = 'all';
  // TlsDaysLeft is sent only in the first hour (or period) of the UTC day; a day-long period makes any
  // time of the test run that window (test/lambdas/health-check/http.test.ts covers the window itself)
  expect(typeof event.periodMs).toBe('number');
  event.periodMs = 24 * 3_600_000;
  for (const { target } of event.targets) {
    if (target.prometheus) {
      const path = `/${example}/${target.name}${new URL(target.prometheus.url).pathname}`;
      if (!metricsPages.has(path)) metricsPages.set(path, metricsPage(target.prometheus.rules));
      const server = mode === 'tls' ? expiring : healthy;
      target.prometheus.url = `https://127.0.0.1:${mode === 'down' ? closedPort : portOf(server)}${path}`;
    }
    if (!target.http) continue;
    const original = new URL(target.http.url);
    const path = `/${example}/${target.name}${original.pathname}`;
    bodies.set(path, healthyBody(target.http.json ?? []));
    const server = mode === 'tls' ? expiring : healthy;
    target.http.url =
      mode === 'down'
        ? `${original.protocol}//127.0.0.1:${closedPort}${path}`
        : `${original.protocol}//127.0.0.1:${portOf(server)}${path}`;
  }
  return event;
}

async function createBucket(name: string | undefined): Promise<void> {
  if (!name) return;
  try {
    await s3()
      .client()
      .send(new CreateBucketCommand({ Bucket: name }));
  } catch (error) {
    if (!/BucketAlready/.test((error as Error).name)) throw error;
  }
}

function alarmEvent(
  run: Omit<ExampleRun, 'runs'>,
  alarm: { name: string; description: string },
  state: 'ALARM' | 'INSUFFICIENT_DATA',
  time: string,
): unknown {
  const fixture = JSON.parse(
    readFileSync(join(REPO, 'test/fixtures/alarm-events/metric-alarm.json'), 'utf8'),
  ) as { time: string; region: string; resources: string[]; detail: Record<string, unknown> };
  const arn = `arn:aws:cloudwatch:${run.pseudo.region}:${run.pseudo.account}:alarm:${alarm.name}`;
  const detail = fixture.detail as {
    alarmName: string;
    configuration: { description: string };
    state: { value: string; timestamp: string };
    previousState: { value: string };
  };
  detail.alarmName = alarm.name;
  detail.configuration.description = alarm.description;
  detail.state.value = state;
  detail.state.timestamp = time.replace('Z', '.000+0000');
  detail.previousState.value = 'OK';
  return { ...fixture, time, region: run.pseudo.region, resources: [arn], detail };
}

async function runExample(example: string): Promise<ExampleRun> {
  const synthesized = synthesize(example);
  const runs: ExampleRun['runs'] = [];
  const invoke = async (
    fn: TemplateFunction,
    job: Job,
    scenario: string,
    event: unknown,
    options: { caller?: string; env?: Record<string, string> } = {},
  ) => {
    const invocation = await invokeHandler({
      bundle: bundles[job] as string,
      functionName: fn.functionName,
      event,
      // the deployed timeout: the backup handler stops 45 s before it, so a short one would abort the dump
      timeoutMs: fn.timeoutMs,
      env: {
        ...fn.env,
        ...options.env,
        ...aws.env,
        AWS_ENDPOINT_URL_S3: s3().endpoint,
        AWS_REGION: synthesized.pseudo.region,
        AWS_SESSION_TOKEN: options.caller ?? 'live',
        NODE_EXTRA_CA_CERTS: extraCa,
      },
    });
    runs.push({ job, scenario, invocation });
    return invocation;
  };
  for (const fn of synthesized.functions) {
    const job = jobOf(fn, synthesized.project);
    if (!job) continue;
    if (job === 'health-check') {
      for (const input of fn.scheduleInputs) {
        const modes = ['up', 'down', 'tls', 'all'] as const;
        const run = (mode: (typeof modes)[number]) =>
          invoke(fn, job, `health ${mode}`, healthEvent(example, input, mode), {
            caller: mode === 'down' ? 'dead' : 'live',
          });
        // a sub-minute schedule's run checks through its whole minute: its three scenarios run at once
        if ((input as { repeat?: boolean }).repeat) await Promise.all(modes.map(run));
        else for (const mode of modes) await run(mode);
      }
    } else if (job === 'backup') {
      const env = { ...fn.env, BACKUP_TARGET: localize(fn.env.BACKUP_TARGET ?? '', false) };
      await createBucket(fn.env.BACKUP_BUCKET);
      for (const input of fn.scheduleInputs) {
        const action = (input as { action?: string }).action ?? 'backup';
        await invoke(fn, job, `${action} ok`, input, { env });
        await invoke(fn, job, `${action} failed`, input, {
          caller: 'dead',
          env: { ...env, BACKUP_TARGET: localize(fn.env.BACKUP_TARGET ?? '', true) },
        });
      }
    } else if (job === 'db-maintenance') {
      // every task against the live services (it ran: ok or a problem), then against a closed port (failed)
      for (const input of fn.scheduleInputs) {
        await invoke(fn, job, 'maintenance live', input);
        await invoke(fn, job, 'maintenance dead', input, { caller: 'dead' });
      }
    } else if (job === 'log-archive') {
      await createBucket(fn.env.NIGHTSHIFT_LOG_BUCKET);
      const byAction = (action: string) =>
        fn.scheduleInputs.find((i) => (i as { action?: string }).action === action) ?? { action };
      await invoke(fn, job, 'log-archive check before the archive (late)', byAction('check'));
      await invoke(fn, job, 'log-archive archive ok', byAction('archive'));
      await invoke(fn, job, 'log-archive check after the archive', byAction('check'));
    } else {
      const settings = JSON.parse(fn.env.NIGHTSHIFT_ALERTS ?? '{}') as { maintenance?: unknown[] };
      const alarm = synthesized.templates
        .flatMap((t) => Object.values(t.Resources ?? {}))
        .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
        .map((r) => r.Properties as { AlarmName?: unknown; AlarmDescription?: unknown; Namespace?: unknown })
        .find((p) => p.Namespace === METRICS_NAMESPACE);
      if (!alarm) continue;
      const route = { name: String(alarm.AlarmName), description: String(alarm.AlarmDescription) };
      await invoke(fn, job, 'router alarm', alarmEvent(synthesized, route, 'ALARM', '2026-06-03T10:00:00Z'));
      await invoke(
        fn,
        job,
        'router duplicate',
        alarmEvent(synthesized, route, 'ALARM', '2026-06-03T10:00:00Z'),
        {
          caller: 'duplicate',
        },
      );
      if (settings.maintenance?.length) {
        // inventory: sunday-patching, Sundays 03:00–04:00 America/New_York (07:30 UTC in June is 03:30 EDT).
        await invoke(
          fn,
          job,
          'router held by maintenance',
          alarmEvent(synthesized, route, 'INSUFFICIENT_DATA', '2026-06-07T07:30:00Z'),
        );
      }
    }
  }
  return { ...synthesized, runs };
}

const results = new Map<string, ExampleRun>();
let wallMs = 0;

beforeAll(async () => {
  const started = Date.now();
  work = mkdtempSync(join(tmpdir(), 'nightshift-metric-contract-'));
  const good = certificate(90);
  const soon = certificate(5);
  extraCa = join(work, 'ca.pem');
  execFileSync('sh', ['-c', `cat > ${extraCa}`], { input: good.cert + soon.cert });
  healthy = await httpsServer(good);
  expiring = await httpsServer(soon);
  closedPort = await freePort();
  mongo = await startFakeMongo();
  const admin = new Client({ connectionString: pg().url });
  await admin.connect();
  await admin.query('create database scratch');
  await admin.query("create table items (id int primary key, name text); insert into items values (1, 'a')");
  // what the examples' maintenance tasks read: pg_stat_statements and the tables of their sqlChecks
  await admin.query('create extension pg_stat_statements');
  await admin.query(
    "create table outbox (id int primary key, sent_at timestamptz, created_at timestamptz); insert into outbox values (1, null, now() - interval '1 hour')",
  );
  await admin.end();
  const client = new Redis(redis().url);
  await client.set('greeting', 'hello');
  client.disconnect();
  aws = await startFakeAws({
    'secretsmanager.GetSecretValue': (input, caller) => ({
      Name: input.SecretId,
      SecretString: secretValue(String(input.SecretId), caller),
    }),
    // secret: ssm:/… references (examples/inventory.yaml) are SecureString parameters
    'AmazonSSM.GetParameter': (input, caller) => ({
      Parameter: { Name: input.Name, Type: 'SecureString', Value: secretValue(String(input.Name), caller) },
    }),
    'Logs_20140328.DescribeLogGroups': (input) => {
      const name = String(input.logGroupNamePrefix);
      return {
        logGroups: [{ logGroupName: name, arn: `arn:aws:logs:us-east-1:123456789012:log-group:${name}:*` }],
      };
    },
    'Logs_20140328.ListTagsForResource': () => ({ tags: {} }),
    'Logs_20140328.FilterLogEvents': (input) => ({
      events: [
        {
          timestamp: Number(input.startTime) + 1_000,
          ingestionTime: Number(input.startTime) + 2_000,
          message: 'GET /health 200',
          logStreamName: 'app',
          eventId: '1',
        },
      ],
    }),
    'GraniteServiceVersion20100801.ListTagsForResource': () => ({ Tags: [] }),
    'AWSStepFunctions.StartExecution': (input, caller) => {
      if (caller === 'duplicate')
        throw new FakeAwsError('ExecutionAlreadyExists', 'Execution Already Exists');
      return {
        executionArn: `${String(input.stateMachineArn)}:${String(input.name)}`,
        startDate: Date.now() / 1000,
      };
    },
    'sns.Publish': () => ({ MessageId: 'local-message' }),
    'lambda.Invoke': () => ({}),
    // the previous scrape, stored a minute before it was: a rate needs time between two scrapes, and
    // the scenarios of one schedule run seconds apart
    'DynamoDB_20120810.GetItem': (input) => {
      const item = dynamoItems.get(JSON.stringify([input.TableName, input.Key])) as
        | { scrapedAt: { N: string } }
        | undefined;
      return item ? { Item: { ...item, scrapedAt: { N: String(Number(item.scrapedAt.N) - 60_000) } } } : {};
    },
    'DynamoDB_20120810.PutItem': (input) => {
      const item = input.Item as { target: unknown };
      dynamoItems.set(JSON.stringify([input.TableName, { target: item.target }]), item);
      return {};
    },
  });
  bundles = await bundleHandlers(ENTRIES, join(work, 'bundles'));
  // Two examples at a time: each run is a cold start of a child Node process.
  const queue = [...EXAMPLES];
  await Promise.all(
    [0, 1].map(async () => {
      for (let example = queue.shift(); example; example = queue.shift())
        results.set(example, await runExample(example));
    }),
  );
  wallMs = Date.now() - started;
  // nestjs-mongo's sub-minute schedule checks through a whole minute per run (its three scenarios at once)
}, 420_000);

afterAll(async () => {
  await aws?.stop();
  await mongo?.stop();
  healthy?.close();
  expiring?.close();
  if (work) rmSync(work, { recursive: true, force: true });
  const slowest = [...results.entries()]
    .flatMap(([example, r]) =>
      r.runs.map((run) => `${run.invocation.durationMs} ms ${example} ${run.scenario}`),
    )
    .sort((a, b) => Number.parseInt(b, 10) - Number.parseInt(a, 10))
    .slice(0, 12);
  console.info(
    `metric contract: synthesis + handler runs took ${wallMs} ms; slowest runs:\n${slowest.join('\n')}`,
  );
});

function emitted(example: string): EmittedMetric[] {
  return (results.get(example)?.runs ?? []).flatMap((r) => r.invocation.metrics);
}

function runsOf(example: string, scenario: string): Invocation[] {
  return (results.get(example)?.runs ?? []).filter((r) => r.scenario === scenario).map((r) => r.invocation);
}

describe.each(EXAMPLES)('metric contract: examples/%s.yaml', (example) => {
  it('runs every scenario for real (the outcomes prove the local services answered)', () => {
    const run = results.get(example);
    expect(run).toBeDefined();
    const diagnostics = (invocations: Invocation[]) =>
      invocations.map((i) => (i.ok ? 'ok' : `${i.error?.message}\n${i.stderr.slice(-4000)}`));
    // Health: every target up with a live service, every target down against a closed port.
    for (const up of runsOf(example, 'health up')) {
      const result = up.result as {
        targets: number;
        up: number;
        downTargets: { target: string; reason?: string }[];
      };
      expect(result.downTargets).toEqual([]);
      expect(result.up).toBe(result.targets);
    }
    for (const down of runsOf(example, 'health down')) {
      const result = down.result as { targets: number; down: number };
      expect(result.down).toBe(result.targets);
      // a down target sends Up 0 whatever the schedule's metricsSent (a sub-minute one at every slot)
      const ups = down.metrics.filter((m) => m.name === 'Up');
      expect(new Set(ups.map((m) => m.dimensions.Target)).size).toBe(result.targets);
      expect(ups.every((m) => m.value === 0)).toBe(true);
    }
    for (const all of runsOf(example, 'health all')) {
      const result = all.result as { targets: number; up: number };
      expect(result.up).toBe(result.targets);
    }
    // healthy targets on a breaches-only schedule send nothing but the daily TlsDaysLeft (and rule
    // values, which are not breach-only); schedules that send every value (dashboard, sub-minute
    // targets, status-page targets) are the exception
    const everyValue = new Set(
      (run?.functions ?? [])
        .filter((fn) => fn.functionName.endsWith('-health-check'))
        .flatMap((fn) => fn.scheduleInputs as (HealthEvent & { metricsSent?: string })[])
        .filter((input) => input.metricsSent !== 'breaches')
        .flatMap((input) => input.targets.map((t) => t.target.name)),
    );
    for (const up of runsOf(example, 'health up'))
      expect(
        up.metrics.filter(
          (m) =>
            !['TlsDaysLeft', 'RuleValue'].includes(m.name) && !everyValue.has(String(m.dimensions.Target)),
        ),
      ).toEqual([]);
    // Prometheus targets: the handler kept each scrape in the table its environment names (the
    // previous one is what gives the rate rules their values, checked below with the alarms)
    const healthFunctions = (run?.functions ?? []).filter((fn) => fn.functionName.endsWith('-health-check'));
    const prometheus = healthFunctions
      .flatMap((fn) => fn.scheduleInputs as HealthEvent[])
      .flatMap((input) => input.targets)
      .filter((t) => t.target.prometheus)
      .map((t) => t.target.name);
    const tables = new Set(healthFunctions.map((fn) => fn.env[SCRAPE_TABLE_VAR]).filter(Boolean));
    const puts = aws.calls.filter(
      (c) => c.operation === 'DynamoDB_20120810.PutItem' && tables.has(String(c.input.TableName)),
    );
    expect(
      new Set(puts.map((c) => (c.input.Item as { target: { S: string } }).target.S)),
      'scrapes kept per prometheus target',
    ).toEqual(new Set(prometheus));
    // Backups: ok with live services (mongodump is not installed: mongo targets fail), failed otherwise.
    for (const r of (run?.runs ?? []).filter((x) => x.job === 'backup')) {
      const target =
        r.invocation.metrics.find((m) => m.name === 'BackupFailed' || m.name === 'BackupVerified')?.dimensions
          .Target ?? '';
      const expectOk = r.scenario.endsWith(' ok') && !/mongo/.test(target);
      expect(r.invocation.ok, `${r.scenario} ${target}: ${diagnostics([r.invocation])}`).toBe(expectOk);
    }
    // Maintenance: each task ran against the live services and failed against a closed port.
    for (const r of runsOf(example, 'maintenance live')) {
      const result = r.result as { task: string; outcome: string; reason?: string } | undefined;
      expect(result?.outcome, `${result?.task}: ${result?.reason} ${diagnostics([r])}`).toMatch(
        /^(ok|problem)$/,
      );
    }
    for (const r of runsOf(example, 'maintenance dead'))
      expect((r.result as { outcome?: string }).outcome, diagnostics([r]).join()).toBe('failed');
    for (const r of runsOf(example, 'log-archive archive ok'))
      expect(r.ok, diagnostics([r]).join()).toBe(true);
    for (const r of runsOf(example, 'router alarm')) {
      expect(r.result, diagnostics([r]).join()).toBeDefined();
      expect((r.result as { action?: string }).action, diagnostics([r]).join()).toBe('notified');
    }
    for (const r of runsOf(example, 'router duplicate'))
      expect((r.result as { action?: string }).action, diagnostics([r]).join()).toBe('duplicate');
    expect(emitted(example).length).toBeGreaterThan(0);
  });

  it('every alarm and dashboard metric on the Nightshift namespace is emitted with exactly its dimensions', () => {
    const run = results.get(example) as ExampleRun;
    const gaps = ENGINE_GAPS.filter((g) => g.example === example);
    const unmatched = unmatchedWatches(run.watched, emitted(example), METRICS_NAMESPACE).filter((w) => {
      const gap = gaps.find((g) => g.name === w.name && g.target === w.dimensions.Target);
      if (!gap) return true;
      // The gap is only accepted if another target of the same job emitted the same shape.
      const shape = Object.keys(w.dimensions).sort().join();
      return !emitted(example).some(
        (m) =>
          m.name === w.name &&
          m.dimensions.Target !== gap.target &&
          Object.keys(m.dimensions).sort().join() === shape,
      );
    });
    expect(unmatched.map((w) => `${w.watcher}: ${metricKey(w)}`)).toEqual([]);
    expect(run.watched.filter((w) => w.namespace === METRICS_NAMESPACE).length).toBeGreaterThan(0);
  });

  it('every metric a 10/20/30 s period alarm reads is emitted with StorageResolution 1', () => {
    const run = results.get(example) as ExampleRun;
    expect(
      lowResolutionWatches(run.watched, emitted(example), METRICS_NAMESPACE).map(
        (w) => `${w.watcher}: ${metricKey(w)} (${w.periodSeconds} s)`,
      ),
    ).toEqual([]);
  });

  it('every emitted metric is watched or listed under "Informational metrics" in docs/', () => {
    const run = results.get(example) as ExampleRun;
    expect(unwatchedEmitted(emitted(example), run.watched, informationalMetrics(DOCS))).toEqual([]);
  });

  it('emits no metric outside the Nightshift namespace and none with a service dimension', () => {
    const metrics = emitted(example);
    expect(metrics.filter((m) => m.namespace !== METRICS_NAMESPACE || 'service' in m.dimensions)).toEqual([]);
  });
});

describe('the docs list informational metrics with their cost', () => {
  it('prices every informational metric at $0.30 per metric-month', () => {
    // none is listed today: every job sends only what an alarm or the dashboard reads
    expect(informationalMetrics(DOCS).filter((r) => !/\$0\.30\b/.test(r.cost))).toEqual([]);
  });

  it('reads the rows of an "Informational metrics" table, so a listed metric counts (parser self-test)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'informational-'));
    try {
      writeFileSync(
        join(dir, 'x.md'),
        [
          '## Informational metrics',
          '',
          '| Metric | Dimensions | Why it is kept | Monthly cost |',
          '| --- | --- | --- | --- |',
          '| `QueueDepth` | Target, Project | a look | $0.30 per target |',
          '',
          '## Next',
          '| `NotListed` | Project | outside the section | $0.30 |',
        ].join('\n'),
      );
      expect(informationalMetrics(dir)).toEqual([
        { file: 'x.md', name: 'QueueDepth', dimensions: ['Project', 'Target'], cost: '$0.30 per target' },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists only metrics some example emits with exactly those dimension names (no stale rows)', () => {
    const shapes = new Set(
      EXAMPLES.flatMap(emitted).map((m) => `${m.name}{${Object.keys(m.dimensions).sort().join(',')}}`),
    );
    const stale = informationalMetrics(DOCS)
      .map((r) => `${r.file}: ${r.name}{${r.dimensions.join(',')}}`)
      .filter((row) => !shapes.has(row.slice(row.indexOf(' ') + 1)));
    expect(stale).toEqual([]);
  });
});

describe('the contract check catches a mismatch (self-test)', () => {
  const up = {
    namespace: METRICS_NAMESPACE,
    name: 'Up',
    dimensions: { Project: 'shop', Target: 'api' },
    value: 1,
    storageResolution: 60 as const,
  };
  const watched: WatchedMetric = {
    watcher: 'shop-health-api-down',
    namespace: METRICS_NAMESPACE,
    name: 'Up',
    dimensions: { Project: 'shop', Target: 'api' },
  };

  it('passes when the emitted dimension set is exactly the watched one', () => {
    expect(unmatchedWatches([watched], [up], METRICS_NAMESPACE)).toEqual([]);
  });

  it('reports one dimension too many (the Powertools service dimension)', () => {
    const withService = { ...up, dimensions: { ...up.dimensions, service: 'health-check' } };
    expect(unmatchedWatches([watched], [withService], METRICS_NAMESPACE)).toEqual([watched]);
  });

  it('reports one dimension too few', () => {
    const projectOnly = { ...up, dimensions: { Project: 'shop' } };
    expect(unmatchedWatches([watched], [projectOnly], METRICS_NAMESPACE)).toEqual([watched]);
  });

  it('reports a renamed metric', () => {
    expect(unmatchedWatches([watched], [{ ...up, name: 'Down' }], METRICS_NAMESPACE)).toEqual([watched]);
  });

  it('reports an emitted metric that is neither watched nor documented, and accepts a documented one', () => {
    const stray = { ...up, name: 'Flakiness' };
    expect(unwatchedEmitted([stray], [watched], [])).toEqual(['Flakiness{Project,Target}']);
    expect(
      unwatchedEmitted(
        [stray],
        [watched],
        [{ file: 'x.md', name: 'Flakiness', dimensions: ['Project', 'Target'], cost: '$0.30' }],
      ),
    ).toEqual([]);
    // Documented with other dimensions is still a mismatch.
    expect(
      unwatchedEmitted(
        [stray],
        [watched],
        [{ file: 'x.md', name: 'Flakiness', dimensions: ['Project'], cost: '$0.30' }],
      ),
    ).toEqual(['Flakiness{Project,Target}']);
  });

  it('reports a 10 s period alarm on a metric sent at standard resolution, and accepts high resolution', () => {
    const highRes = { ...watched, periodSeconds: 10 };
    expect(lowResolutionWatches([highRes], [up], METRICS_NAMESPACE)).toEqual([highRes]);
    expect(lowResolutionWatches([highRes], [{ ...up, storageResolution: 1 }], METRICS_NAMESPACE)).toEqual([]);
    // one standard-resolution document among high-resolution ones is still a mismatch
    expect(lowResolutionWatches([highRes], [{ ...up, storageResolution: 1 }, up], METRICS_NAMESPACE)).toEqual(
      [highRes],
    );
    // not emitted at all
    expect(lowResolutionWatches([highRes], [], METRICS_NAMESPACE)).toEqual([highRes]);
    // a one-minute alarm reads either
    expect(lowResolutionWatches([{ ...watched, periodSeconds: 60 }], [up], METRICS_NAMESPACE)).toEqual([]);
  });

  it("finds the example's high-resolution alarm and reports it once the api is sent at standard resolution", () => {
    const run = results.get('nestjs-mongo') as ExampleRun;
    const highRes = run.watched.filter((w) => (w.periodSeconds ?? 60) < 60);
    expect(highRes.map((w) => w.watcher)).toEqual(['bookings-health-api-down']);
    const standard = emitted('nestjs-mongo').map((m) => ({ ...m, storageResolution: 60 as const }));
    expect(lowResolutionWatches(run.watched, standard, METRICS_NAMESPACE)).toEqual(highRes);
  });

  it('reports every Nightshift alarm of a real run once its metrics carry the service dimension', () => {
    const run = results.get('inventory') as ExampleRun;
    const withService = emitted('inventory').map((m) => ({
      ...m,
      dimensions: { ...m.dimensions, service: 'health-check' },
    }));
    const ours = run.watched.filter((w) => w.namespace === METRICS_NAMESPACE);
    expect(unmatchedWatches(run.watched, withService, METRICS_NAMESPACE)).toEqual(ours);
    const renamed = emitted('inventory').map((m) => (m.name === 'Up' ? { ...m, name: 'Down' } : m));
    const missed = unmatchedWatches(run.watched, renamed, METRICS_NAMESPACE).map((w) => w.name);
    expect(new Set(missed)).toEqual(new Set(['Up']));
  });

  it('reads an EMF document as CloudWatch does: one metric per dimension set', () => {
    const line = JSON.stringify({
      _aws: {
        Timestamp: 0,
        CloudWatchMetrics: [
          {
            Namespace: 'Nightshift',
            Dimensions: [['service', 'Project', 'Target']],
            Metrics: [{ Name: 'Up', Unit: 'Count' }],
          },
        ],
      },
      service: 'health-check',
      Project: 'shop',
      Target: 'api',
      Up: 1,
    });
    const [metric] = emfMetrics(`{"level":"INFO","message":"x"}\n${line}\n`);
    expect(unmatchedWatches([watched], metric ? [metric] : [], METRICS_NAMESPACE)).toEqual([watched]);
  });
});
