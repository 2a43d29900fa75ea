/**
 * `nightshift run --demo`: disposable PostgreSQL and Redis with a little sample data, a tiny web app with a
 * /health endpoint, and a config (validated by the real schema) pointing every section at them. Needs no
 * AWS account and no config file. `startDemo()` returns the config and one `stop()` that tears it all down.
 */
import { existsSync, realpathSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { findBinary } from '../../lambdas/shared/binaries';
import { isTimeZone } from '../config/primitives';
import type { NightshiftConfig, NightshiftConfigInput } from '../config/schema';
import { ConfigError, validateConfig } from '../config/validate';
import { type LocalPostgres, startPostgres } from './postgres';
import { type LocalRedis, startRedis } from './redis';

export const DEMO_PROJECT = 'demo';

export interface DemoEndpoints {
  /** postgres://… of the `shop` database (no password). */
  readonly postgresUrl: string;
  /** redis://… */
  readonly redisUrl: string;
  /** http://…/health of the demo web app. */
  readonly healthUrl: string;
  /** The PostgreSQL port, checked as a plain TCP target. */
  readonly tcp: { readonly host: string; readonly port: number };
  /** pg_stat_statements is loaded and created in the database: the demo adds a slowQueries task. */
  readonly slowQueries?: boolean | undefined;
}

/** Whether this PostgreSQL installation ships pg_stat_statements (contrib), next to its binaries. */
export function hasPgStatStatements(): boolean {
  try {
    const binDir = dirname(realpathSync(findBinary('initdb', 'postgresql')));
    return existsSync(join(binDir, '..', 'lib', 'pg_stat_statements.so'));
  } catch {
    return false;
  }
}

/** The time zone of this machine (so the plan shows local times), or UTC. */
export function localTimeZone(): string {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zone && isTimeZone(zone) ? zone : 'UTC';
}

/** The demo config for these endpoints, validated through the real schema (throws ConfigError if not). */
export function demoConfig(endpoints: DemoEndpoints, timeZone = localTimeZone()): NightshiftConfig {
  const input: NightshiftConfigInput = {
    project: DEMO_PROJECT,
    region: 'us-east-1',
    timezone: timeZone,
    alerts: {
      levels: [
        { name: 'team', email: ['team@example.com'] },
        { name: 'on-call', email: ['oncall@example.com'], sms: ['+15555550123'] },
      ],
      severities: { critical: { notify: 'on-call', escalateAfter: '15m' } },
    },
    healthChecks: {
      schedule: 'rate(5 minutes)',
      defaults: { timeout: '3s' },
      targets: [
        {
          name: 'web',
          severity: 'critical',
          http: {
            url: endpoints.healthUrl,
            json: [
              { path: '$.status', equals: 'ok' },
              { path: '$.database', equals: 'connected' },
            ],
          },
        },
        { name: 'postgres', severity: 'critical', postgres: { url: endpoints.postgresUrl, ssl: 'disable' } },
        { name: 'redis', redis: { url: endpoints.redisUrl } },
        {
          name: 'postgres-port',
          severity: 'low',
          tcp: { host: endpoints.tcp.host, port: endpoints.tcp.port },
        },
      ],
    },
    backups: {
      schedule: 'cron(0 2 * * ? *)',
      targets: [
        { name: 'shop', severity: 'critical', postgres: { url: endpoints.postgresUrl, ssl: 'disable' } },
        { name: 'cache', redis: { url: endpoints.redisUrl, mode: 'logical' } },
      ],
    },
    // There is no CloudWatch Logs locally: the log-archive job archives a synthetic day of these groups.
    logArchive: { groups: [{ prefix: '/demo/' }] },
    maintenance: {
      tasks: [
        {
          name: 'weekly-vacuum',
          kind: 'vacuum',
          schedule: 'cron(0 4 ? * SUN *)',
          postgres: { url: endpoints.postgresUrl, ssl: 'disable' },
          lockTimeout: '5s',
        },
        {
          name: 'table-bloat',
          kind: 'bloat',
          schedule: 'cron(0 5 ? * MON *)',
          severity: 'low',
          postgres: { url: endpoints.postgresUrl, ssl: 'disable' },
        },
        ...(endpoints.slowQueries
          ? [
              {
                name: 'slow-queries',
                kind: 'slowQueries' as const,
                schedule: 'cron(0 5 ? * MON *)',
                severity: 'low' as const,
                postgres: { url: endpoints.postgresUrl, ssl: 'disable' as const },
                maxMeanTime: '2s',
                minCalls: 1,
              },
            ]
          : []),
        {
          name: 'refunds',
          kind: 'sqlCheck',
          schedule: 'rate(1 hour)',
          postgres: { url: endpoints.postgresUrl, ssl: 'disable' },
          sql: "SELECT count(*) FROM shop.orders WHERE status = 'refunded'",
          comparison: '>',
          threshold: 500,
        },
        {
          name: 'redis-memory',
          kind: 'redisMemory',
          schedule: 'rate(1 day)',
          redis: { url: endpoints.redisUrl },
        },
        {
          name: 'big-keys',
          kind: 'bigKeys',
          schedule: 'cron(0 3 ? * SUN *)',
          redis: { url: endpoints.redisUrl },
        },
      ],
    },
  };
  const result = validateConfig(input);
  if (!result.ok) throw new ConfigError(result.issues, 'demo config');
  return result.config;
}

export interface SampleData {
  readonly customers: number;
  readonly orders: number;
  readonly redisKeys: number;
  readonly redisKeysWithTtl: number;
}

const SAMPLE_SQL = `
CREATE SCHEMA shop;
CREATE TABLE shop.customers (
  id serial PRIMARY KEY,
  name text NOT NULL,
  email text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL
);
CREATE TABLE shop.orders (
  id serial PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES shop.customers (id),
  total_cents integer NOT NULL CHECK (total_cents > 0),
  status text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX orders_customer_id ON shop.orders (customer_id);
INSERT INTO shop.customers (name, email, created_at)
  SELECT 'Customer ' || i, 'customer' || i || '@example.com', now() - make_interval(hours => i)
  FROM generate_series(1, 200) AS i;
INSERT INTO shop.orders (customer_id, total_cents, status, created_at)
  SELECT 1 + (i * 37) % 200, 500 + (i * 7919) % 20000,
         (ARRAY['paid', 'shipped', 'delivered', 'refunded'])[1 + i % 4], now() - make_interval(mins => i)
  FROM generate_series(1, 1000) AS i;
`;

/** Loads the `shop` schema (200 customers, 1000 orders) and 200 Redis keys, 90 of them with a TTL. */
export async function loadSampleData(postgresUrl: string, redisUrl: string): Promise<SampleData> {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  let customers: number;
  let orders: number;
  try {
    await client.query(SAMPLE_SQL);
    const counts = await client.query<{ customers: string; orders: string }>(
      'SELECT (SELECT count(*) FROM shop.customers) AS customers, (SELECT count(*) FROM shop.orders) AS orders',
    );
    customers = Number(counts.rows[0]?.customers);
    orders = Number(counts.rows[0]?.orders);
  } finally {
    await client.end();
  }

  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5_000 });
  await redis.connect();
  try {
    const batch = redis.pipeline();
    for (let i = 1; i <= 100; i++) {
      batch.set(`product:${i}`, JSON.stringify({ id: i, name: `Product ${i}`, priceCents: 199 * i }));
    }
    for (let i = 1; i <= 50; i++) batch.set(`session:${i}`, `customer:${i}`, 'EX', 3_600);
    for (let i = 1; i <= 40; i++) {
      batch.hset(`cart:${i}`, { [`product:${i}`]: '1', [`product:${i + 1}`]: '2' });
      batch.expire(`cart:${i}`, 86_400);
    }
    for (let i = 1; i <= 5; i++) batch.rpush(`queue:emails:${i}`, `welcome:${i}`, `receipt:${i}`);
    for (let i = 1; i <= 5; i++)
      batch.zadd(`leaderboard:${i}`, 10 * i, `customer:${i}`, 5 * i, `customer:${i + 1}`);
    await batch.exec();
    const keys = await redis.dbsize();
    let withTtl = 0;
    for await (const chunk of redis.scanStream({ count: 100 })) {
      const names = chunk as string[];
      const ttls = await Promise.all(names.map((key) => redis.ttl(key)));
      withTtl += ttls.filter((ttl) => ttl > 0).length;
    }
    return { customers, orders, redisKeys: keys, redisKeysWithTtl: withTtl };
  } finally {
    redis.disconnect();
  }
}

async function createExtension(url: string, name: 'pg_stat_statements'): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(`CREATE EXTENSION IF NOT EXISTS ${name}`);
  } finally {
    await client.end();
  }
}

export interface DemoWebApp {
  /** http://127.0.0.1:PORT/health */
  readonly healthUrl: string;
  stop(): Promise<void>;
}

/**
 * A tiny web app whose GET /health answers {"status":"ok","database":"connected"} after a real
 * `SELECT 1` against the demo database (503 {"status":"degraded","database":"unreachable"} otherwise).
 */
export async function startDemoWebApp(postgresUrl: string): Promise<DemoWebApp> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/health') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    void (async () => {
      const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 2_000 });
      client.on('error', () => {});
      let database = 'connected';
      try {
        await client.connect();
        await client.query('SELECT 1');
      } catch {
        database = 'unreachable';
      } finally {
        await client.end().catch(() => {});
      }
      const ok = database === 'connected';
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: ok ? 'ok' : 'degraded', database }));
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let stopping: Promise<void> | undefined;
  return {
    healthUrl: `http://127.0.0.1:${port}/health`,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}

export interface Demo {
  readonly config: NightshiftConfig;
  readonly postgres: LocalPostgres;
  readonly redis: LocalRedis;
  readonly webApp: DemoWebApp;
  readonly sample: SampleData;
  readonly endpoints: DemoEndpoints;
  /** Stops everything that was started. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the demo services and loads the sample data. If anything fails, whatever was already started is
 * stopped before the error is rethrown (a MissingBinaryError names the Debian package to install).
 */
export async function startDemo(progress: (line: string) => void = () => {}): Promise<Demo> {
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    const errors: unknown[] = [];
    for (const service of started.reverse()) {
      await service.stop().catch((error: unknown) => errors.push(error));
    }
    started.length = 0;
    if (errors.length) throw new AggregateError(errors, 'some demo services did not stop cleanly');
  };
  try {
    progress('starting PostgreSQL (initdb in a temp dir)…');
    const slowQueries = hasPgStatStatements();
    const postgres = await startPostgres(
      slowQueries ? { settings: { shared_preload_libraries: 'pg_stat_statements' } } : {},
    );
    started.push(postgres);
    progress(`PostgreSQL ${postgres.version} on 127.0.0.1:${postgres.port}; starting Redis…`);
    const redis = await startRedis();
    started.push(redis);
    progress(`Redis on 127.0.0.1:${redis.port}; loading sample data…`);
    const postgresUrl = await postgres.createDatabase('shop');
    const sample = await loadSampleData(postgresUrl, redis.url);
    if (slowQueries) await createExtension(postgresUrl, 'pg_stat_statements');
    const webApp = await startDemoWebApp(postgresUrl);
    started.push(webApp);
    const endpoints: DemoEndpoints = {
      postgresUrl,
      redisUrl: redis.url,
      healthUrl: webApp.healthUrl,
      tcp: { host: postgres.host, port: postgres.port },
      slowQueries,
    };
    const config = demoConfig(endpoints);
    let stopping: Promise<void> | undefined;
    return {
      config,
      postgres,
      redis,
      webApp,
      sample,
      endpoints,
      stop() {
        stopping ??= stopAll();
        return stopping;
      },
    };
  } catch (error) {
    await stopAll().catch(() => {});
    throw error;
  }
}
