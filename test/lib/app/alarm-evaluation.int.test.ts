/**
 * Alarm evaluation: the alarms of the synthesized inventory example (examples/inventory.yaml) fed with
 * the datapoints the real job cores emit, on a simulated clock, through test/support/alarm-evaluator.
 *
 * - Health checks: the real health-check core against a local HTTP server that goes down for three
 *   minutes, and against a local HTTPS server whose certificate has 5 days left.
 * - Backups: the real backup core dumping a disposable PostgreSQL into s3rver every night at 02:00
 *   (America/New_York), and throwing when the database is unreachable.
 * - Log archive: the real deadline check (every 15 minutes) reading manifests from s3rver.
 * - AWS-published metrics are modelled where the jobs cannot emit them: Lambda publishes Invocations
 *   and Errors (0 without errors) for every period with an invocation; SQS publishes
 *   ApproximateNumberOfMessagesVisible every minute while a queue holds messages.
 *
 * Every scenario prints its measured transitions; the assertions pin the firing times.
 */

import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { Template } from 'aws-cdk-lib/assertions';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeDeadLetters, peekDeadLetters } from '../../../lambdas/alert-router/dead-letters';
import {
  DID_NOT_RUN_VALUE,
  FAILED_OR_DID_NOT_RUN,
  mergedJobSummary,
} from '../../../lambdas/alert-router/event';
import { run as runBackup } from '../../../lambdas/backup/backup';
import { run as runHealthCheck } from '../../../lambdas/health-check/health-check';
import { dayWindow } from '../../../lambdas/log-archive/day';
import { ARCHIVE_PREFIX } from '../../../lambdas/log-archive/keys';
import { check as checkLogArchive } from '../../../lambdas/log-archive/log-archive';
import {
  MANIFEST_VERSION,
  type Manifest,
  manifestKey,
  writeManifest,
} from '../../../lambdas/log-archive/manifest';
import { decodeAlarmDescription } from '../../../lambdas/shared/alarm-metadata';
import { MemoryLog } from '../../../lambdas/shared/log';
import { METRICS_NAMESPACE, MemoryMetrics } from '../../../lambdas/shared/metrics';
import { parseConfigText } from '../../../lib/config';
import { effectiveBackupTargets, effectiveHealthTargets } from '../../../lib/config/resolved';
import { BUCKET, makeDeps, secretsOf } from '../../lambdas/backup/helpers';
import { fakeSecrets, selfSigned } from '../../lambdas/health-check/support';
import {
  type AlarmSpec,
  alarmFromTemplate,
  alarmSeries,
  assertWithinLimits,
  MetricStore,
  metricKey,
  simulate,
  type TemplateAlarm,
  type Transition,
} from '../../support/alarm-evaluator';
import { REPO, testApp } from '../../support/cdk';
import { withPostgres, withS3 } from '../../support/services';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const config = parseConfigText(readFileSync(join(REPO, 'examples/inventory.yaml'), 'utf8'), 'inventory.yaml');
const PROJECT = config.project;
const app = testApp(config);
const resources = [app.data, app.jobs].map((stack) => Template.fromStack(stack).toJSON().Resources) as Record<
  string,
  { Type: string; Properties: Record<string, unknown> }
>[];
const alarms = new Map<string, AlarmSpec>();
for (const group of resources) {
  for (const resource of Object.values(group)) {
    if (resource.Type !== 'AWS::CloudWatch::Alarm') continue;
    const spec = alarmFromTemplate(resource.Properties as unknown as TemplateAlarm);
    alarms.set(spec.name, spec);
  }
}

function alarm(name: string): AlarmSpec {
  const spec = alarms.get(`${PROJECT}-${name}`);
  if (!spec) throw new Error(`no alarm ${PROJECT}-${name} in the template: ${[...alarms.keys()].join(', ')}`);
  return spec;
}

/** Logical id of the resource of `type` whose property `prop` is `value` (how the template names it). */
function logicalId(type: string, prop: string, value: string): string {
  for (const group of resources) {
    for (const [id, resource] of Object.entries(group)) {
      if (resource.Type === type && resource.Properties[prop] === value) return id;
    }
  }
  throw new Error(`no ${type} with ${prop} ${value}`);
}

/** The simulated world: published metrics and what each job did when. */
class World {
  readonly store = new MetricStore();

  /** Points a job core emitted at `time`, under the exact dimensions it gave them. */
  emitted(metrics: MemoryMetrics, time: number): void {
    for (const p of metrics.points)
      this.store.put(metricKey(METRICS_NAMESPACE, p.name, p.dimensions), time, p.value);
  }

  /** What Lambda publishes for one invocation of the job `name` (function `<project>-<name>`). */
  invoked(name: string, time: number, failed: boolean): void {
    const fn = { FunctionName: logicalId('AWS::Lambda::Function', 'FunctionName', `${PROJECT}-${name}`) };
    this.store.put(metricKey('AWS/Lambda', 'Invocations', fn), time, 1);
    this.store.put(metricKey('AWS/Lambda', 'Errors', fn), time, failed ? 1 : 0);
  }

  /** What SQS publishes each minute for a queue holding `visible` messages. */
  queue(name: string, time: number, visible: number): void {
    const queue = { QueueName: `${logicalId('AWS::SQS::Queue', 'QueueName', name)}.QueueName` };
    this.store.put(metricKey('AWS/SQS', 'ApproximateNumberOfMessagesVisible', queue), time, visible);
  }

  transitions(name: string, from: number, to: number): Transition[] {
    const spec = alarm(name);
    assertWithinLimits(spec);
    return simulate(spec, this.store, from, to);
  }
}

/** Transitions as [hours after `origin`, state], for readable assertions and the printed report. */
function timeline(transitions: Transition[], origin: number, unit = HOUR): [number, string][] {
  return transitions.map((t) => [Math.round(((t.time - origin) / unit) * 100) / 100, t.to]);
}

function report(scenario: string, rows: Record<string, [number, string][]>, unit: string): void {
  const lines = Object.entries(rows).map(
    ([name, changes]) =>
      `  ${name}: ${changes.map(([t, s]) => `${s}@${t}${unit}`).join(' → ') || 'no change'}`,
  );
  console.log(`${scenario}\n${lines.join('\n')}`);
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(String((server.address() as AddressInfo).port))),
  );
}

const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const healthTargets = effectiveHealthTargets(config);
/** What the synthesized health-check schedule tells the checks to send (breaches only, no dashboard). */
const healthInput = (() => {
  for (const group of resources) {
    for (const resource of Object.values(group)) {
      if (resource.Type !== 'AWS::Scheduler::Schedule') continue;
      const input = JSON.parse(String((resource.Properties.Target as { Input?: string }).Input ?? '{}'));
      if (Array.isArray(input.targets))
        return input as { metricsSent?: 'all' | 'breaches'; periodMs?: number };
    }
  }
  throw new Error('no health-check schedule in the inventory template');
})();
function healthTarget(name: string, url: string) {
  const target = healthTargets.find((t) => t.target.name === name);
  if (!target?.target.http) throw new Error(`inventory.yaml has no http target ${name}`);
  return { ...target, target: { ...target.target, http: { ...target.target.http, url } } };
}

/** One run of the inventory schedule's check of its `api` target, at `url`, at `now`; what it sent. */
async function checkApi(
  url: string,
  now: number,
  options: { readonly trustedCa?: string[]; readonly periodMs?: number } = {},
): Promise<MemoryMetrics> {
  const metrics = new MemoryMetrics();
  await runHealthCheck(
    {
      project: PROJECT,
      secrets: fakeSecrets({}),
      metrics,
      log: new MemoryLog(),
      now: () => new Date(now),
      ...(options.trustedCa ? { trustedCa: options.trustedCa } : {}),
    },
    {
      targets: [healthTarget('api', url)],
      ...(options.periodMs ? { periodMs: options.periodMs } : {}),
      metricsSent: healthInput.metricsSent,
    },
  );
  return metrics;
}

describe('health checks', () => {
  // 2026-01-05 15:00 UTC, on an hour boundary
  const start = Date.UTC(2026, 0, 5, 15);

  it('a target down for 3 minutes goes to ALARM at the minute 2 of 3 implies, and back to OK', async () => {
    let down = false;
    let sent = 0;
    const server = createHttpServer((_req, res) => {
      res.writeHead(down ? 503 : 200, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
    });
    servers.push(server);
    const url = `http://127.0.0.1:${await listen(server)}/health`;
    const world = new World();
    // the checker ran before the window too (health-check-failed treats a period without a run as
    // breaching: "did not run")
    for (let minute = -5; minute < 0; minute++) world.invoked('health-check', start + minute * MINUTE, false);
    for (let minute = 0; minute < 30; minute++) {
      const now = start + minute * MINUTE + 2_000;
      down = minute >= 10 && minute < 13;
      const metrics = await checkApi(url, now);
      sent += metrics.points.length;
      world.emitted(metrics, now);
      world.invoked('health-check', now, false);
    }
    const end = start + 30 * MINUTE;
    const rows = {
      'health-api-down': timeline(world.transitions('health-api-down', start, end), start, MINUTE),
      'health-api-latency': timeline(world.transitions('health-api-latency', start, end), start, MINUTE),
      'health-check-failed': timeline(world.transitions('health-check-failed', start, end), start, MINUTE),
    };
    report('down from minute 10 to 13 (checks every minute)', rows, ' min');

    // the template's checks send only breaching values: the three failed checks' Up 0, nothing else
    // (a healthy target's metrics cost nothing); the alarms read the absent minutes as not breaching
    expect(healthInput.metricsSent).toBe('breaches');
    expect(sent).toBe(3);

    // 2 of 3 one-minute periods: the second failed minute [11, 12) completes at minute 12
    expect(rows['health-api-down']).toEqual([
      [0, 'OK'],
      [12, 'ALARM'],
      [15, 'OK'],
    ]);
    expect(rows['health-api-latency']).toEqual([[0, 'OK']]);
    // Errors is 0 in every 5-minute period with runs: the checker neither failed nor stopped
    expect(rows['health-check-failed']).toEqual([[0, 'OK']]);

    // regression: the Up 0s alone, without FILL(m, 1), keep the alarm in ALARM two minutes longer
    // (CloudWatch evaluates the last real datapoints of its longer range when fewer than N are real)
    const unfilled = withoutMath(alarm('health-api-down'));
    const late = timeline(simulate(unfilled, world.store, start, end), start, MINUTE);
    report('  without FILL', { 'health-api-down': late }, ' min');
    expect(late.at(-1)).toEqual([17, 'OK']);
  });

  it('a target slower than its 2 s maxLatency for 3 minutes pages latency (only the slow checks send it)', {
    timeout: 60_000,
  }, async () => {
    let slow = false;
    let sent = 0;
    const server = createHttpServer((_req, res) => {
      setTimeout(
        () => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"status":"ok"}');
        },
        slow ? 2_150 : 0,
      );
    });
    servers.push(server);
    const url = `http://127.0.0.1:${await listen(server)}/health`;
    const world = new World();
    for (let minute = 0; minute < 20; minute++) {
      const now = start + minute * MINUTE + 2_000;
      slow = minute >= 5 && minute < 8;
      const metrics = await checkApi(url, now);
      sent += metrics.points.length;
      world.emitted(metrics, now);
      world.invoked('health-check', now, false);
    }
    const end = start + 20 * MINUTE;
    const rows = {
      'health-api-latency': timeline(world.transitions('health-api-latency', start, end), start, MINUTE),
      'health-api-down': timeline(world.transitions('health-api-down', start, end), start, MINUTE),
    };
    report('slow (2.15 s) from minute 5 to 8 (checks every minute)', rows, ' min');
    expect(sent).toBe(3);
    expect(rows['health-api-latency']).toEqual([
      [0, 'OK'],
      [7, 'ALARM'],
      [10, 'OK'],
    ]);
    expect(rows['health-api-down']).toEqual([[0, 'OK']]);
  });

  it('a certificate with 5 days left pages tls-critical (and tls-warn), not down', async () => {
    const certificate = selfSigned(30);
    const server = createHttpsServer(certificate, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
    });
    servers.push(server);
    const url = `https://127.0.0.1:${await listen(server)}/health`;
    // the clock starts at 23:00 UTC, 5 to 6 days before the certificate expires: TlsDaysLeft is sent
    // once a day, by the checks of the first hour of the UTC day, so the run crosses midnight
    const validTo = new X509Certificate(certificate.cert).validToDate.getTime();
    const origin = Math.floor((validTo - 5 * DAY) / DAY) * DAY - HOUR;
    const world = new World();
    let sent = 0;
    for (let minute = 0; minute < 185; minute++) {
      const now = origin + minute * MINUTE + 2_000;
      const metrics = await checkApi(url, now, { trustedCa: [certificate.cert], periodMs: MINUTE });
      if (metrics.values('TlsDaysLeft', { Project: PROJECT, Target: 'api' }).length) sent++;
      world.emitted(metrics, now);
    }
    // only the 60 checks from 00:00 to 00:59 UTC send it: one billed metric-hour a day
    expect(sent).toBe(60);
    const end = origin + 185 * MINUTE;
    const rows = Object.fromEntries(
      ['health-api-tls-critical', 'health-api-tls-warn', 'health-api-down'].map((name) => [
        name,
        timeline(world.transitions(name, origin, end), origin, MINUTE),
      ]),
    );
    report('certificate with 5 days left (checks every minute, from 23:00 UTC)', rows, ' min');

    // hourly Minimum of TlsDaysLeft: the hour from midnight (minute 60) completes at minute 120; the
    // hours without data before and after keep the state
    expect(rows['health-api-tls-critical']).toEqual([[120, 'ALARM']]);
    expect(rows['health-api-tls-warn']).toEqual([[120, 'ALARM']]);
    // the certificate is the tls alarms' page: the target itself answers, so down stays OK
    expect(rows['health-api-down']).toEqual([[0, 'OK']]);
  });
});

describe('sub-minute health checks (examples/nestjs-mongo.yaml: api every 30s, down for 30s)', () => {
  const text = readFileSync(join(REPO, 'examples/nestjs-mongo.yaml'), 'utf8');
  const nestjs = parseConfigText(text, 'nestjs-mongo.yaml');
  /** The example, or the example with the api checked every `interval` (validated like a user's file). */
  const variants = new Map<string, typeof nestjs>();
  function variant(interval?: string, downFor = '30s') {
    if (!interval) return nestjs;
    const key = `${interval}/${downFor}`;
    const edited = text
      .replace('interval: 30s', `interval: ${interval}`)
      .replace('downFor: 30s', `downFor: ${downFor}`);
    if (edited === text) throw new Error('nestjs-mongo.yaml no longer sets the api interval');
    if (!variants.has(key)) variants.set(key, parseConfigText(edited, 'nestjs-mongo.yaml'));
    return variants.get(key) as typeof nestjs;
  }
  const synthesized = new Map<unknown, AlarmSpec>();
  function downAlarm(config: typeof nestjs): AlarmSpec {
    const cached = synthesized.get(config);
    if (cached) return cached;
    const template = Template.fromStack(testApp(config).jobs).toJSON().Resources as Record<
      string,
      { Type: string; Properties: Record<string, unknown> }
    >;
    const found = Object.values(template)
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
      .map((r) => alarmFromTemplate(r.Properties as unknown as TemplateAlarm))
      .find((a) => a.name === `${config.project}-health-api-down`);
    if (!found) throw new Error('no api down alarm');
    assertWithinLimits(found);
    synthesized.set(config, found);
    return found;
  }

  // the simulated clock: the server answers from it, the core waits on it
  let clock = 0;
  let downFrom = Number.POSITIVE_INFINITY;
  let downUntil = Number.POSITIVE_INFINITY;
  let url = '';
  beforeAll(async () => {
    const server = createHttpServer((_req, res) => {
      const down = clock >= downFrom && clock < downUntil;
      res.writeHead(down ? 503 : 200, { 'content-type': 'application/json' });
      res.end('{"status":"ok","info":{"mongodb":{"status":"up"}}}');
    });
    servers.push(server);
    url = `http://127.0.0.1:${await listen(server)}/api/health`;
  });

  const start = Date.UTC(2026, 0, 5, 15);

  /**
   * Ten minutes of scheduled runs (EventBridge Scheduler fires each a little after its minute, here
   * 1.5 s) of the real core with the schedule's event flags; the api is down over [from, until).
   */
  async function scenario(config: typeof nestjs, from: number, until: number, resolution?: 60) {
    downFrom = from;
    downUntil = until;
    const target = effectiveHealthTargets(config).find((t) => t.target.name === 'api');
    if (!target?.target.http) throw new Error('no api target');
    const api = { ...target, target: { ...target.target, http: { ...target.target.http, url } } };
    const world = new World();
    for (let minute = 0; minute < 10; minute++) {
      clock = start + minute * MINUTE + 1_500;
      const metrics = new MemoryMetrics();
      await runHealthCheck(
        {
          project: config.project,
          secrets: fakeSecrets({}),
          metrics,
          log: new MemoryLog(),
          now: () => new Date(clock),
          sleep: async (ms) => {
            clock += ms;
          },
        },
        // as the handler passes them from the schedule's event: Scheduler's time is the minute
        { targets: [api], repeat: true, periodMs: MINUTE, scheduledAt: start + minute * MINUTE },
      );
      for (const p of metrics.points)
        world.store.put(
          metricKey(METRICS_NAMESPACE, p.name, p.dimensions),
          p.timestamp ?? clock,
          p.value,
          resolution ?? p.resolution,
        );
    }
    return simulate(downAlarm(config), world.store, start, start + 10 * MINUTE);
  }

  const at = (transitions: Transition[], state: string) =>
    transitions.filter((t) => t.to === state).map((t) => (t.time - start) / 1000);

  it('pages within 40 s of the api going down, wherever in the minute that happens, and recovers', {
    timeout: 120_000,
  }, async () => {
    const delays: Record<string, number[]> = {};
    for (const interval of [undefined, '10s', '15s', '20s'] as const) {
      // a 20 s interval takes downFor in whole intervals: 40s
      const config = variant(interval, interval === '20s' ? '40s' : '30s');
      downAlarm(config);
      const name = interval ?? '30s (the example)';
      delays[name] = [];
      // down at every 5 s of a minute, for 90 s
      for (let offset = 0; offset < 60; offset += 5) {
        const from = start + 3 * MINUTE + offset * 1000;
        const transitions = await scenario(config, from, from + 90_000);
        const alarm = at(transitions, 'ALARM');
        const ok = at(transitions, 'OK');
        expect(alarm, `${name} down at +${offset} s`).toHaveLength(1);
        const delay = (alarm[0] as number) - (from - start) / 1000;
        delays[name].push(delay);
        // back to OK within an interval and a period of the api answering again
        const recovered = (ok.at(-1) as number) - (from + 90_000 - start) / 1000;
        expect(recovered, `${name} recovery`).toBeGreaterThan(0);
        expect(recovered, `${name} recovery`).toBeLessThanOrEqual(40);
      }
    }
    console.log(
      `sub-minute down alarm: seconds from down to ALARM, down at every 5 s of a minute\n${Object.entries(
        delays,
      )
        .map(([name, d]) => `  every ${name}: ${d.join(' ')} (max ${Math.max(...d)})`)
        .join('\n')}`,
    );
    // downFor 30s: at most downFor + one 10 s period
    expect(Math.max(...(delays['30s (the example)'] ?? []))).toBeLessThanOrEqual(40);
    expect(Math.max(...(delays['10s'] ?? []))).toBeLessThanOrEqual(40);
    expect(Math.max(...(delays['15s'] ?? []))).toBeLessThanOrEqual(40);
    // a 20 s interval rounds downFor up to 40 s (two checks)
    expect(Math.max(...(delays['20s'] ?? []))).toBeLessThanOrEqual(50);
  });

  it('does not page for a blip shorter than downFor (10 s interval: two failed checks of three)', async () => {
    const from = start + 3 * MINUTE + 2_000;
    const transitions = await scenario(variant('10s'), from, from + 20_000);
    expect(at(transitions, 'ALARM')).toEqual([]);
  });

  it('would page for that blip if the checks were sent at standard resolution (the seam the contract test guards)', async () => {
    const from = start + 3 * MINUTE + 2_000;
    const transitions = await scenario(variant('10s'), from, from + 20_000, 60);
    expect(at(transitions, 'ALARM')).not.toEqual([]);
  });
});

describe('backups (real pg_dump into s3rver, nightly at 02:00 America/New_York)', () => {
  const postgres = withPostgres();
  const s3store = withS3({ buckets: [BUCKET] });
  let s3: S3Client;
  const [inventoryTarget] = effectiveBackupTargets(config).filter((t) => t.target.name === 'postgres');
  if (!inventoryTarget?.target.postgres) throw new Error('inventory.yaml has no postgres backup target');
  const secretName = inventoryTarget.target.postgres.secret ?? '';
  const target = {
    ...inventoryTarget.target,
    postgres: { ...inventoryTarget.target.postgres, ssl: 'disable' as const },
  };
  // deploy at 12:00 New York (17:00 UTC) on 1 January; the first backup runs the next night
  const deployedAt = Date.UTC(2026, 0, 1, 17);
  const night = (n: number) => Date.UTC(2026, 0, 1 + n, 7, 0, 5);
  const world = new World();
  let database = '';

  beforeAll(async () => {
    s3 = s3store().client();
    const url = await postgres().createDatabase('inventory');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('CREATE TABLE items (id serial PRIMARY KEY, name text)');
    await client.query("INSERT INTO items (name) VALUES ('widget')");
    await client.end();
    database = 'inventory';
  });

  async function backupNight(n: number, reachable: boolean): Promise<void> {
    const now = night(n);
    const secret = {
      host: '127.0.0.1',
      port: reachable ? postgres().port : 1,
      username: 'postgres',
      password: 'unused',
      dbname: database,
    };
    const deps = makeDeps(s3, {
      secrets: secretsOf({ [secretName]: secret }),
      project: PROJECT,
      timeZone: config.timezone,
      now: () => new Date(now),
    });
    let failed = false;
    try {
      await runBackup(deps, { target, compressionLevel: inventoryTarget?.compressionLevel ?? 1 });
    } catch (error) {
      // an unexpected failure of a good night is the test's failure, with its reason
      if (reachable) throw error;
      failed = true;
    }
    expect(failed, 'a backup of an unreachable database must fail').toBe(!reachable);
    world.emitted(deps.metrics, now);
    world.invoked('backup-postgres', now, failed);
  }

  it('keeps too-old OK for 30 nights of backups, then a missed night goes to ALARM', {
    timeout: 180_000,
  }, async () => {
    for (let n = 1; n <= 30; n++) await backupNight(n, true);
    // night 31 is missed: the schedule does not invoke the job
    const until = night(33);
    const rows = {
      'backup-postgres-too-old': timeline(
        world.transitions('backup-postgres-too-old', deployedAt, until),
        night(30),
      ),
    };
    report(
      '30 nightly backups, night 31 missed (hours after the 30th backup; negative = before)',
      rows,
      ' h',
    );

    // a fresh deploy has no backup yet: too-old pages at the first evaluation, and clears when the
    // first night's datapoints arrive (the end of the hour that holds them). There is no
    // backup-postgres-did-not-run: it paged for the same missed night at 26 h, one hour before too-old,
    // and too-old alone still pages for it (and for a night that runs but never succeeds)
    const deployed = round((deployedAt - night(30)) / HOUR);
    const firstNightDone = round((night(1) - night(30)) / HOUR + 1 - 5 / 3600);
    // too-old: 26 hourly periods without a success
    expect(rows['backup-postgres-too-old']).toEqual([
      [deployed, 'ALARM'],
      [firstNightDone, 'OK'],
      [round(27 - 5 / 3600), 'ALARM'],
    ]);
    expect(alarms.has(`${PROJECT}-backup-postgres-did-not-run`)).toBe(false);

    // regression: the same datapoints without FILL keep the alarm OK while the last success is still
    // in the evaluation range, so it fires late (the model's range is N + 2; CloudWatch's may be longer)
    const unfilled = withoutMath(alarm('backup-postgres-too-old'));
    const late = timeline(simulate(unfilled, world.store, night(30), until), night(30));
    report('  without FILL', { 'backup-postgres-too-old': late }, ' h');
    expect(late.at(-1)).toEqual([round(29 - 5 / 3600), 'ALARM']);
  });

  it('a throwing backup goes to failed and stays there until the next good night', {
    timeout: 60_000,
  }, async () => {
    await backupNight(32, false);
    await backupNight(33, true);
    const from = night(31) + 12 * HOUR;
    const until = night(34);
    const rows = Object.fromEntries(
      ['backup-postgres-failed'].map((name) => [
        name,
        timeline(world.transitions(name, from, until), night(32), MINUTE),
      ]),
    );
    report(
      'night 32 throws (database unreachable), night 33 succeeds (minutes after night 32)',
      rows,
      ' min',
    );

    // the 5-minute period holding the failure completes 5 minutes after 02:00; it stays ALARM until
    // the period holding the next night's good run completes
    const alarmAt = round(5 - 5 / 60);
    const okAt = round((night(33) - night(32)) / MINUTE + 5 - 5 / 60);
    expect(rows['backup-postgres-failed']?.slice(-2)).toEqual([
      [alarmAt, 'ALARM'],
      [okAt, 'OK'],
    ]);
    // the backup's own BackupFailed 1 goes with the throw that Lambda counts as an error: the same
    // night, the same 5-minute period, so -failed is the page and there is no -backup-failed alarm
    // (a Fargate target, without Lambda Errors, keeps it)
    expect(alarms.has(`${PROJECT}-backup-postgres-backup-failed`)).toBe(false);
    const failedKey = metricKey('Nightshift', 'BackupFailed', { Project: PROJECT, Target: 'postgres' });
    for (const n of [32, 33]) {
      // (the store keeps a standard-resolution value at the start of its minute)
      const sent = world.store.valuesIn(failedKey, night(n) - MINUTE, night(n) + MINUTE);
      // night 32 sent BackupFailed 1 and threw (the error Lambda counts); night 33 sent 0 and did not
      expect([n, sent]).toEqual([n, [n === 32 ? 1 : 0]]);
    }

    // regression: treating missing data as not breaching resolves the page 5 minutes later
    const selfClearing = { ...alarm('backup-postgres-failed'), treatMissingData: 'notBreaching' as const };
    const lost = timeline(simulate(selfClearing, world.store, from, until), night(32), MINUTE);
    report('  missing data not breaching', { 'backup-postgres-failed': lost }, ' min');
    // (the failure stays in the model's evaluation range for 3 periods, then the page resolves)
    expect(lost.slice(-2)).toEqual([
      [alarmAt, 'ALARM'],
      [round(alarmAt + 15), 'OK'],
    ]);
  });
});

/** The alarm on its first plain metric instead of the metric math over it. */
function withoutMath(spec: AlarmSpec): AlarmSpec {
  const metric = spec.queries.find((q) => q.metric);
  if (!metric) throw new Error(`${spec.name} reads no metric`);
  return { ...spec, queries: [{ ...metric, returnData: true }] };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

describe('log archive (real deadline check every 15 minutes, deadline 06:00 America/New_York)', () => {
  const s3store = withS3({ buckets: ['logs'] });
  const zone = config.timezone;

  function manifest(date: string, completedAt: number): Manifest {
    const window = dayWindow(date, zone);
    const at = new Date(completedAt).toISOString();
    return {
      version: MANIFEST_VERSION,
      date,
      timeZone: zone,
      startTime: new Date(window.startMs).toISOString(),
      endTime: new Date(window.endMs).toISOString(),
      complete: true,
      startedAt: at,
      updatedAt: at,
      completedAt: at,
      invocations: 1,
      events: 0,
      bytes: 0,
      uncompressedBytes: 0,
      groups: {},
    };
  }

  /** Runs the check every 15 minutes over [from, to); archives `date` when the clock passes `at`. */
  async function simulateDays(
    s3: S3Client,
    world: World,
    from: number,
    to: number,
    archives: { date: string; at: number }[],
  ): Promise<void> {
    const pending = [...archives];
    for (let now = from; now < to; now += 15 * MINUTE) {
      for (const archive of pending.filter((a) => a.at <= now)) {
        await writeManifest(
          s3,
          'logs',
          manifestKey(ARCHIVE_PREFIX, archive.date),
          manifest(archive.date, archive.at),
          undefined,
        );
        pending.splice(pending.indexOf(archive), 1);
      }
      const metrics = new MemoryMetrics();
      const logArchive = config.logArchive;
      if (!logArchive) throw new Error('inventory.yaml has no logArchive');
      await checkLogArchive({
        s3,
        bucket: 'logs',
        config: logArchive,
        timeZone: zone,
        project: PROJECT,
        metrics,
        now: () => new Date(now + 3_000),
      });
      world.emitted(metrics, now + 3_000);
      world.invoked('log-archive', now + 3_000, false);
    }
  }

  it('an archive finished by 06:00 stays OK; a late one goes to ALARM at 06:30 and OK once archived', async () => {
    const s3 = s3store().client();
    const world = new World();
    // 10 January 00:00 New York = 05:00 UTC; the days before are archived at 01:40
    const day0 = Date.UTC(2026, 0, 10, 5);
    const archives = [
      { date: '2026-01-07', at: day0 - 3 * DAY },
      { date: '2026-01-08', at: day0 - 2 * DAY },
      { date: '2026-01-09', at: day0 + 100 * MINUTE },
      // 10 January is archived late, at 08:10 on the 11th
      { date: '2026-01-10', at: day0 + DAY + 8 * HOUR + 10 * MINUTE },
    ];
    await simulateDays(s3, world, day0, day0 + 2 * DAY, archives);
    const rows = {
      'log-archive-late': timeline(world.transitions('log-archive-late', day0, day0 + 2 * DAY), day0),
    };
    report(
      'log archive: 9 Jan archived 01:40 on the 10th, 10 Jan archived 08:10 on the 11th (hours after 10 Jan 00:00)',
      rows,
      ' h',
    );

    // no page before the first check (missing data keeps INSUFFICIENT_DATA); a check that stops
    // running is log-archive-failed's page (Errors with missing data breaching)
    expect(rows['log-archive-late']).toEqual([
      [0.25, 'OK'],
      [24 + 6.5, 'ALARM'],
      [24 + 8.5, 'OK'],
    ]);

    // regression: with missing data breaching, a fresh deploy pages before the first check
    const breaching = { ...alarm('log-archive-late'), treatMissingData: 'breaching' as const };
    const fresh = timeline(simulate(breaching, world.store, day0, day0 + HOUR), day0);
    report('  missing data breaching', { 'log-archive-late': fresh }, ' h');
    expect(fresh).toEqual([
      [0, 'ALARM'],
      [0.25, 'OK'],
    ]);
  });
});

describe('dead-letter queue (one for every scheduled job: jobs-dlq)', () => {
  it('a message in the DLQ goes to ALARM at the end of its 5-minute period, and OK once redriven', () => {
    const world = new World();
    const start = Date.UTC(2026, 0, 5, 15);
    // SQS publishes every minute; the message arrives at minute 7 and is redriven at minute 30
    for (let minute = 0; minute < 45; minute++) {
      world.queue(`${PROJECT}-jobs-dlq`, start + minute * MINUTE, minute >= 7 && minute < 30 ? 1 : 0);
    }
    const rows = {
      'jobs-dlq': timeline(world.transitions('jobs-dlq', start, start + 45 * MINUTE), start, MINUTE),
    };
    report("one message in the jobs' DLQ from minute 7 to 30", rows, ' min');
    expect(rows['jobs-dlq']).toEqual([
      [0, 'OK'],
      [10, 'ALARM'],
      [35, 'OK'],
    ]);
    // no queue and no alarm per job any more
    for (const job of ['backup-postgres', 'backup-redis', 'health-check', 'log-archive'])
      expect(alarms.has(`${PROJECT}-${job}-dlq`), job).toBe(false);
  });

  it('the page names the jobs whose schedule events are in the queue, and leaves the messages there', async () => {
    const received: ReceiveMessageCommand[] = [];
    const scheduleArn = (name: string) =>
      `arn:aws:scheduler:us-east-1:123456789012:schedule/default/${PROJECT}-${name}`;
    const sqs = {
      send: async (command: ReceiveMessageCommand) => {
        received.push(command);
        return {
          Messages: [
            {
              Body: JSON.stringify({ schedule: 'backup' }),
              MessageAttributes: {
                SCHEDULE_ARN: { StringValue: scheduleArn('backup-postgres-backup'), DataType: 'String' },
                TARGET_ARN: {
                  StringValue: `arn:aws:lambda:us-east-1:123456789012:function:${PROJECT}-backup-postgres`,
                  DataType: 'String',
                },
                ERROR_CODE: { StringValue: 'AWS.Lambda.TooManyRequestsException', DataType: 'String' },
              },
            },
            {
              Body: '{}',
              MessageAttributes: {
                SCHEDULE_ARN: { StringValue: scheduleArn('log-archive-daily'), DataType: 'String' },
                TARGET_ARN: {
                  StringValue: `arn:aws:lambda:us-east-1:123456789012:function:${PROJECT}-log-archive`,
                  DataType: 'String',
                },
                ERROR_CODE: { StringValue: 'AccessDeniedException', DataType: 'String' },
              },
            },
          ],
        };
      },
    };
    const letters = await peekDeadLetters(sqs as never, 'https://sqs.example/q', PROJECT);
    const named = describeDeadLetters(letters);
    console.log(`  jobs-dlq page names: ${named}`);
    expect(named).toBe(
      'backup-postgres (schedule backup: AWS.Lambda.TooManyRequestsException), log-archive (schedule daily: AccessDeniedException)',
    );
    // a peek: visibility timeout 0, so the messages stay for a redrive and the next look
    expect(received[0]?.input).toMatchObject({ VisibilityTimeout: 0, MessageAttributeNames: ['All'] });
  });
});

describe('health check not invoked, or failing (one alarm: health-check-failed)', () => {
  /** The summary the template gives the alarm, as the router reads it from the description. */
  function summaryOf(name: string): string {
    for (const group of resources) {
      for (const resource of Object.values(group)) {
        if (
          resource.Type !== 'AWS::CloudWatch::Alarm' ||
          resource.Properties.AlarmName !== `${PROJECT}-${name}`
        )
          continue;
        const decoded = decodeAlarmDescription(resource.Properties.AlarmDescription as string);
        if (decoded) return decoded.summary;
      }
    }
    throw new Error(`no summary for ${name}`);
  }

  it('pages "did not run" when the checker stops, "failed" when a run throws, and clears after', () => {
    const world = new World();
    const start = Date.UTC(2026, 0, 5, 15);
    // runs every minute; none from minute 20 to 30 (schedule disabled), then runs again; the run at
    // minute 45 throws
    for (let minute = -5; minute < 60; minute++) {
      if (minute >= 20 && minute < 30) continue;
      world.invoked('health-check', start + minute * MINUTE + 2_000, minute === 45);
    }
    const transitions = world.transitions('health-check-failed', start, start + 60 * MINUTE);
    const rows = { 'health-check-failed': timeline(transitions, start, MINUTE) };
    report('health check not invoked from minute 20 to 30, one failed run at minute 45', rows, ' min');
    expect(rows['health-check-failed']).toEqual([
      [0, 'OK'],
      [25, 'ALARM'],
      [35, 'OK'],
      [50, 'ALARM'],
      [55, 'OK'],
    ]);
    expect(alarms.has(`${PROJECT}-health-check-did-not-run`)).toBe(false);

    // what the page says: CloudWatch's reason for each ALARM, as the router turns it into a summary
    const summary = summaryOf('health-check-failed');
    expect(summary).toBe(`health-check job failed ${FAILED_OR_DID_NOT_RUN}`);
    // the value CloudWatch reports with each ALARM (the filled period, then the failed run's count)
    const valueAt = (minute: number) =>
      alarmSeries(alarm('health-check-failed'), world.store, start + minute * MINUTE, 3).at(-1);
    expect(valueAt(25)).toBe(DID_NOT_RUN_VALUE);
    expect(valueAt(50)).toBe(1);
    const notRun = mergedJobSummary(summary, 'health-check', { state: 'ALARM', value: valueAt(25) });
    const failed = mergedJobSummary(summary, 'health-check', { state: 'ALARM', value: valueAt(50) });
    // a range without any datapoint (never invoked since deploy): missing data breaching, no value
    expect(mergedJobSummary(summary, 'health-check', { state: 'ALARM', value: undefined })).toBe(notRun);
    console.log(`  page at minute 25: ${notRun}\n  page at minute 50: ${failed}`);
    expect(notRun).toBe("health-check job did not run (no invocation in the alarm's period)");
    expect(failed).toBe('health-check job failed');
  });
});

describe('a schedule that never invokes', () => {
  it('pages at the first evaluation after deploy, for every scheduled job (backups through too-old)', () => {
    const world = new World();
    const deployedAt = Date.UTC(2026, 0, 5, 15, 7);
    // health-check and log-archive run more often than hourly: their -failed reads Errors with missing
    // data breaching, so a period without an invocation pages as "did not run" (no -did-not-run alarm)
    for (const name of [
      'health-check-failed',
      'backup-postgres-too-old',
      'backup-redis-too-old',
      'log-archive-failed',
    ]) {
      const changes = timeline(
        world.transitions(name, deployedAt, deployedAt + 2 * HOUR),
        deployedAt,
        MINUTE,
      );
      report(`${name}: never invoked (minutes after deploy)`, { [name]: changes }, ' min');
      expect(changes.map(([, state]) => state)).toEqual(['ALARM']);
      expect(changes[0]?.[0]).toBeLessThanOrEqual(60);
    }
  });
});

describe('every example', () => {
  const files = readdirSync(join(REPO, 'examples')).filter((f) => f.endsWith('.yaml'));

  it.each(files)('%s: every alarm is one the evaluator models, within CloudWatch limits', (file) => {
    const parsed = parseConfigText(readFileSync(join(REPO, 'examples', file), 'utf8'), file);
    const built = file === 'inventory.yaml' ? app : testApp(parsed);
    const specs = [built.data, built.jobs].flatMap((stack) =>
      Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')).map((r) =>
        alarmFromTemplate(r.Properties as TemplateAlarm),
      ),
    );
    expect(specs.length).toBeGreaterThan(0);
    const store = new MetricStore();
    for (const spec of specs) {
      assertWithinLimits(spec);
      // statistics and metric math are ones the evaluator knows (it throws on anything else)
      for (const query of spec.queries) if (query.metric) store.put(query.metric.key, 0, 1);
      expect(alarmSeries(spec, store, spec.periodSeconds * 1000, 1)).toHaveLength(1);
    }
  });
});
