import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  effectiveBackupTargets,
  effectiveHealthTargets,
  parseConfigText,
  severityPolicy,
  validateConfig,
} from '../../../lib/config';
import { REPO } from '../../support/cdk';

const base = {
  project: 'shop',
  region: 'eu-west-1',
  alerts: { levels: [{ name: 'team', email: ['team@example.com'] }] },
};

/** Validates `base` deep-merged with `patch`; returns "path: message" lines. */
function problems(patch: Record<string, unknown>): string[] {
  const result = validateConfig({ ...base, ...patch });
  if (result.ok) return [];
  return result.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('examples', () => {
  const files = readdirSync(join(REPO, 'examples')).filter((f) => f.endsWith('.yaml'));

  it('ships the five example apps', () => {
    expect(files.sort()).toEqual([
      'inventory.yaml',
      'local.yaml',
      'nestjs-mongo.yaml',
      'planner.yaml',
      'python-api.yaml',
    ]);
  });

  it.each([...files, '../nightshift.config.yaml'])('%s validates', (file) => {
    const path = join(REPO, 'examples', file);
    expect(() => parseConfigText(readFileSync(path, 'utf8'), path)).not.toThrow();
  });
});

describe('defaults', () => {
  it('fills documented defaults', () => {
    const result = validateConfig({
      ...base,
      healthChecks: { targets: [{ name: 'api', http: { url: 'https://example.com/health' } }] },
      backups: { targets: [{ name: 'db', postgres: { secret: 'prod/db' } }] },
      logArchive: { groups: [{ name: '/ecs/api' }] },
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const config = result.config;
    expect(config.timezone).toBe('UTC');
    expect(config.healthChecks?.schedule).toBe('rate(1 minute)');
    expect(config.backups?.schedule).toBe('cron(0 2 * * ? *)');
    expect(config.backups?.retention).toEqual({ daily: 7, weekly: 4, monthly: 3 });
    expect(config.backups?.objectLock).toBe('off');
    expect(config.logArchive?.hotRetentionDays).toBe(30);
    expect(config.logArchive?.cold.expireAfterDays).toBe(365);
    const [health] = effectiveHealthTargets(config);
    expect(health).toMatchObject({
      kind: 'http',
      severity: 'high',
      timeoutMs: 5000,
      down: { datapoints: 2, evaluationPeriods: 3 },
    });
    const [backup] = effectiveBackupTargets(config);
    expect(backup).toMatchObject({ engine: 'postgres', schedule: 'cron(0 2 * * ? *)', compressionLevel: 1 });
    expect(severityPolicy(config, 'critical')).toMatchObject({
      firstLevel: 0,
      escalateAfterMs: 15 * 60_000,
      repeatEveryMs: 30 * 60_000,
    });
  });

  it('resolves a severity to the named level', () => {
    const result = validateConfig({
      ...base,
      alerts: {
        levels: [
          { name: 'team', email: ['team@example.com'] },
          { name: 'oncall', sms: ['+4915112345678'] },
        ],
        severities: { critical: { notify: 'oncall', escalateAfter: '5m', repeatEvery: '10m' } },
      },
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(severityPolicy(result.config, 'critical')).toMatchObject({
      firstLevel: 1,
      escalateAfterMs: 300_000,
      repeatEveryMs: 600_000,
    });
  });
});

describe('errors name the path and the fix', () => {
  it.each([
    [{ project: 'Shop!' }, 'project: use lower-case letters'],
    [{ region: 'europe' }, 'region: not an AWS region'],
    [{ account: '123' }, 'account: an AWS account id is 12 digits'],
    [{ timezone: 'Mars/Olympus' }, 'timezone: "Mars/Olympus" is not an IANA time zone'],
    [{ alerts: { levels: [] } }, 'alerts.levels: '],
    [
      { alerts: { levels: [{ name: 'team', email: ['nope'] }] } },
      'alerts.levels.0.email.0: not an e-mail address',
    ],
    [
      { alerts: { levels: [{ name: 'team', sms: ['0151 123'] }] } },
      'alerts.levels.0.sms.0: not an E.164 phone number',
    ],
    [
      { alerts: { levels: [{ name: 'team' }] } },
      'alerts.levels.0: level "team" has nobody to notify — add an email, sms, chat or webhooks entry',
    ],
    [
      { alerts: { levels: [{ name: 'team', chat: [{ kind: 'signal', channelId: 'x' }] }] } },
      'alerts.levels.0.chat.0.kind: write kind: slack or teams',
    ],
    [
      {
        alerts: {
          levels: [
            { name: 'team', chat: [{ kind: 'slack', workspaceId: 'my-team', channelId: 'C0456EFGH' }] },
          ],
        },
      },
      'alerts.levels.0.chat.0.workspaceId: not a Slack workspace id — copy it from Slack',
    ],
    [
      {
        alerts: {
          levels: [
            {
              name: 'team',
              chat: [
                {
                  kind: 'teams',
                  teamId: 'abc',
                  tenantId: '1d2c3b4a-2222-4b4b-8c8c-ba9876543210',
                  channelId: '19:x',
                },
              ],
            },
          ],
        },
      },
      'alerts.levels.0.chat.0.teamId: not a Microsoft Teams team id',
    ],
    [
      { alerts: { levels: [{ name: 'team', webhooks: [{ kind: 'teams', secret: 'prod/x' }] }] } },
      'alerts.levels.0.webhooks.0.kind: write kind: slack, googleChat, discord, mattermost, json',
    ],
    [
      {
        alerts: {
          levels: [
            { name: 'team', webhooks: [{ kind: 'slack', secret: 'https://hooks.slack.com/services/T/B/x' }] },
          ],
        },
      },
      'alerts.levels.0.webhooks.0.secret: not a secret reference',
    ],
    [
      { alerts: { ...base.alerts, severities: { high: { notify: 'boss' } } } },
      'alerts.severities.high.notify: no level named "boss" — use one of team',
    ],
    [
      { alerts: { ...base.alerts, severities: { low: { escalateAfter: '15 minutes' } } } },
      'alerts.severities.low.escalateAfter: "15 minutes" is not a duration',
    ],
    [
      { alerts: { ...base.alerts, severities: { low: { repeatEvery: '1m' } } } },
      'is too short — use at least 5m',
    ],
    [{ backups: { maxAge: '8d' } }, 'backups.maxAge: "8d" is too long — use at most 7d'],
    [
      { healthChecks: { schedule: 'every minute' } },
      'healthChecks.schedule: "every minute" is not a schedule',
    ],
    [{ healthChecks: { schedule: 'rate(1 minutes)' } }, 'write rate(1 minute)'],
    [{ healthChecks: { schedule: 'cron(0 2 * * *)' } }, 'a cron expression has 6 fields'],
    [
      { healthChecks: { schedule: 'cron(0 2 * * MON *)' } },
      'exactly one of day-of-month and day-of-week must be "?"',
    ],
    [{ healthChecks: { schedule: 'cron(0 25 * * ? *)' } }, 'healthChecks.schedule: "cron(0 25 * * ? *)"'],
    [
      { healthChecks: { targets: [{ name: 'api' }] } },
      'healthChecks.targets.0: give exactly one of http, tcp, postgres, mongodb, redis, prometheus (found none)',
    ],
    [
      {
        healthChecks: {
          targets: [{ name: 'api', http: { url: 'https://x.io' }, tcp: { host: 'x', port: 1 } }],
        },
      },
      '(found http and tcp)',
    ],
    [
      { healthChecks: { targets: [{ name: 'api', http: { url: 'ftp://x' } }] } },
      'healthChecks.targets.0.http.url: the scheme "ftp:" is not allowed here',
    ],
    [
      { healthChecks: { targets: [{ name: 'api', http: { url: 'http://x.io', tls: { warnDays: 14 } } }] } },
      'healthChecks.targets.0.http.tls: certificate checks apply to https URLs only',
    ],
    [
      { healthChecks: { targets: [{ name: 'api', http: { url: 'https://x.io', expectStatus: '2xx' } }] } },
      'healthChecks.targets.0.http.expectStatus: write a range such as 200-299',
    ],
    [
      {
        healthChecks: {
          targets: [{ name: 'api', http: { url: 'https://x.io', json: [{ path: 'database' }] } }],
        },
      },
      'healthChecks.targets.0.http.json.0.path: write a path such as $.database',
    ],
    [
      {
        healthChecks: { targets: [{ name: 'api', http: { url: 'https://x.io', json: [{ path: '$.a' }] } }] },
      },
      'give a condition: equals, in, exists',
    ],
    [
      { healthChecks: { targets: [{ name: 'api', http: { url: 'https://x.io', bodyMatches: '(' } }] } },
      'healthChecks.targets.0.http.bodyMatches: not a valid regular expression',
    ],
    [
      { healthChecks: { targets: [{ name: 'db', postgres: {} }] } },
      'healthChecks.targets.0.postgres.secret: required — the Secrets Manager secret holding host, port, username, password and dbname',
    ],
    [
      { healthChecks: { targets: [{ name: 'db', postgres: { secret: 'a', url: 'postgres://x/y' } }] } },
      'healthChecks.targets.0.postgres: give either `secret` or `url`, not both',
    ],
    [
      {
        healthChecks: {
          targets: [
            { name: 'db', tcp: { host: 'x', port: 1 } },
            { name: 'db', tcp: { host: 'y', port: 2 } },
          ],
        },
      },
      'healthChecks.targets.1.name: "db" is already the name of health check target 0',
    ],
    [
      { healthChecks: { targets: [{ name: 'db', tcp: { host: 'x', port: 70000 } }] } },
      'healthChecks.targets.0.tcp.port: ',
    ],
    [{ healthChecks: { vpc: true } }, 'healthChecks.vpc: needs `network`'],
    [
      { backups: { targets: [{ name: 'db', postgres: { database: 'x' } }] } },
      'backups.targets.0.postgres.secret: required — the Secrets Manager secret holding host, port, username, password and dbname',
    ],
    [
      { backups: { targets: [{ name: 'db' }] } },
      'backups.targets.0: give exactly one of postgres, mongodb, redis',
    ],
    [
      { backups: { targets: [{ name: 'c', redis: { secret: 'x', mode: 'aof' } }] } },
      'backups.targets.0.redis.mode: ',
    ],
    [{ backups: { objectLock: 'yes' } }, 'backups.objectLock: '],
    [{ backups: { retention: { daily: 0 } } }, 'backups.retention.daily: '],
    [
      { backups: { targets: [{ name: 'db', runtime: 'fargate', postgres: { secret: 'x' } }] } },
      'backups.targets.0.runtime: fargate tasks run in a VPC',
    ],
    [
      { backups: { targets: [{ name: 'db', postgres: { secret: 'x' }, verify: {} }] } },
      'backups.targets.0.verify.secret: give either `secret` or `url` for the scratch database',
    ],
    [
      { backups: { targets: [{ name: 'db', postgres: { secret: 'has space' } }] } },
      'not a secret reference — write a Secrets Manager name such as prod/shop/db, a full secret ARN, or an SSM SecureString parameter as ssm:/prod/shop/db',
    ],
    [{ logArchive: { groups: [] } }, 'logArchive.groups: '],
    [
      { logArchive: { groups: [{ name: '/a', prefix: '/b' }] } },
      'logArchive.groups.0: give exactly one of name, prefix or tag',
    ],
    [{ logArchive: { groups: [{ name: '/a', mode: 'kinesis' }] } }, 'logArchive.groups.0.mode: '],
    [
      {
        logArchive: {
          groups: [{ name: '/a' }],
          cold: { transitions: [{ storageClass: 'GLACIER', afterDays: 400 }] },
        },
      },
      'logArchive.cold.transitions.0.afterDays: must be before expireAfterDays (365)',
    ],
    [
      { logArchive: { groups: [{ name: '/a' }], deadline: '6am' } },
      'logArchive.deadline: write a time of day as HH:MM',
    ],
    [{ network: { vpcId: 'vpc-1', subnetIds: [], securityGroupIds: [] } }, 'network.vpcId: not a VPC id'],
    [
      { alerts: { ...base.alerts, maintenance: [{ cron: 'cron(0 3 ? * SUN *)' }] } },
      'alerts.maintenance.0.duration: required for a recurring window',
    ],
    [
      {
        alerts: {
          ...base.alerts,
          maintenance: [{ start: '2026-01-02T00:00:00Z', end: '2026-01-01T00:00:00Z' }],
        },
      },
      'alerts.maintenance.0.end: must be after start',
    ],
    [
      {
        alerts: {
          ...base.alerts,
          maintenance: [{ cron: 'cron(0 3 ? * SUN *)', duration: '1h', targets: ['ghost'] }],
        },
      },
      'alerts.maintenance.0.targets.0: no target or alarm named "ghost"',
    ],
    [
      { alerts: { ...base.alerts, alarms: [{ name: 'cpu', severity: 'high' }] } },
      'alerts.alarms.0.metric: required — a metric',
    ],
    [
      {
        alerts: {
          ...base.alerts,
          alarms: [{ name: 'cpu', namespace: 'AWS/RDS', metric: 'CPUUtilization', comparison: '>' }],
        },
      },
      'alerts.alarms.0.threshold: required',
    ],
    [
      { alerts: { ...base.alerts, alarms: [{ name: 'cpu', preset: 'rds-cpu', statistic: 'Mean' }] } },
      'alerts.alarms.0.statistic: use Average',
    ],
    [
      { alerts: { ...base.alerts, alarms: [{ name: 'cpu', preset: 'rds-cpu', severity: 'urgent' }] } },
      'alerts.alarms.0.severity: unknown severity "urgent" — use critical, high, medium, low',
    ],
    [{ logRetentionDays: 31 }, 'logRetentionDays: '],
    [
      { alerts: { ...base.alerts, alarms: [{ name: 'health-api-down', preset: 'rds-cpu' }] } },
      'alerts.alarms.0.name: names starting with "health-" are reserved',
    ],
  ])('%j → %s', (patch, expected) => {
    const lines = problems(patch as Record<string, unknown>);
    expect(lines.join('\n')).toContain(expected);
  });
});

describe('sub-minute intervals', () => {
  const target = (extra: Record<string, unknown>) => ({
    healthChecks: { targets: [{ name: 'api', http: { url: 'https://shop.example.com/health' }, ...extra }] },
  });
  const at = 'healthChecks.targets.0';

  it('accepts 10s, 15s, 20s and 30s, with downFor a whole number of intervals', () => {
    for (const interval of ['10s', '15s', '20s', '30s'])
      expect(problems(target({ interval })), interval).toEqual([]);
    expect(problems(target({ interval: '10s', downFor: '30s', timeout: '5s' }))).toEqual([]);
    expect(problems(target({ interval: '1m' }))).toEqual([]);
  });

  it('rejects an interval that does not divide a minute, or is under 10s, naming the field', () => {
    expect(problems(target({ interval: '25s' }))).toEqual([
      `${at}.interval: "25s" does not divide a minute — a sub-minute interval is 10s, 15s, 20s or 30s (or use 1m or longer)`,
    ]);
    expect(problems(target({ interval: '5s' }))[0]).toMatch(
      /^healthChecks\.targets\.0\.interval: "5s" is too short — use at least 10s/,
    );
  });

  it('rejects a downFor that is not a whole number of intervals, or on a minutely target', () => {
    expect(problems(target({ interval: '20s', downFor: '30s' }))).toEqual([
      `${at}.downFor: must be a whole number of intervals — each check stands for one interval; use 20s, 40s, 60s, …`,
    ]);
    expect(problems(target({ downFor: '30s' }))[0]).toMatch(
      /^healthChecks\.targets\.0\.downFor: applies to sub-minute/,
    );
    expect(problems(target({ interval: '30s', down: { datapoints: 1, evaluationPeriods: 1 } }))[0]).toMatch(
      /^healthChecks\.targets\.0\.down: a target checked every 30s alarms after downFor/,
    );
  });

  it('rejects a timeout (own or default) that is not shorter than the interval', () => {
    expect(problems(target({ interval: '10s', timeout: '10s' }))).toEqual([
      `${at}.timeout: 10s is not shorter than the interval 10s — every check must end before the next one; use a timeout below 10s, e.g. timeout: 5s`,
    ]);
    expect(
      problems({
        healthChecks: {
          defaults: { timeout: '15s' },
          targets: [{ name: 'api', interval: '15s', http: { url: 'https://shop.example.com/' } }],
        },
      })[0],
    ).toMatch(/timeout: 15s \(healthChecks\.defaults\.timeout\) is not shorter than the interval 15s/);
  });
});

describe('unknown keys', () => {
  it('rejects a typo and suggests the right key', () => {
    const lines = problems({ backups: { schedul: 'cron(0 2 * * ? *)' } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^backups\.schedul: unknown key — did you mean "schedule"\? Rename it\. Allowed here: schedule, retention/,
    );
  });

  it('rejects unknown top-level sections', () => {
    expect(problems({ healthcheck: {} }).join('\n')).toContain(
      'healthcheck: unknown key — did you mean "healthChecks"?',
    );
  });
});

describe('literal secrets', () => {
  const SECRET = 'hunter2-very-secret';

  it.each([
    [
      { backups: { targets: [{ name: 'db', postgres: { secret: 'x', password: SECRET } }] } },
      'backups.targets.0.postgres.password',
    ],
    [
      {
        healthChecks: {
          targets: [{ name: 'db', postgres: { url: `postgres://app:${SECRET}@db:5432/app` } }],
        },
      },
      'healthChecks.targets.0.postgres.url',
    ],
    [
      { healthChecks: { targets: [{ name: 'c', redis: { url: `redis://:${SECRET}@cache:6379` } }] } },
      'healthChecks.targets.0.redis.url',
    ],
    [
      {
        healthChecks: {
          targets: [
            { name: 'api', http: { url: 'https://x.io', headers: { Authorization: `Bearer ${SECRET}` } } },
          ],
        },
      },
      'healthChecks.targets.0.http.headers.Authorization',
    ],
    [{ alerts: { ...base.alerts, token: SECRET } }, 'alerts.token'],
  ])('rejects %j at %s without echoing it', (patch, path) => {
    const result = validateConfig({ ...base, ...patch });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = result.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    expect(text).toContain(path);
    expect(text).toContain('Secrets Manager');
    expect(text).not.toContain(SECRET);
  });

  it('accepts secret-sourced header values', () => {
    const lines = problems({
      healthChecks: {
        targets: [
          {
            name: 'api',
            http: {
              url: 'https://x.io',
              headers: { Authorization: { secret: 'prod/api-token', key: 'header' } },
            },
          },
        ],
      },
    });
    expect(lines).toEqual([]);
  });
});

describe('YAML', () => {
  it('reports the line of each problem', () => {
    const text = [
      'project: shop',
      'region: eu-west-1',
      'alerts:',
      '  levels:',
      '    - name: team',
      '      email: [not-an-email]',
    ].join('\n');
    try {
      parseConfigText(text, 'nightshift.config.yaml');
      expect.unreachable('should have thrown');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toContain('nightshift.config.yaml: 1 problem');
      expect(message).toContain('alerts.levels[0].email[0] (line 6): not an e-mail address');
    }
  });

  it('reports YAML syntax errors with their line', () => {
    expect(() => parseConfigText('project: shop\nregion: [eu-west-1\n', 'c.yaml')).toThrow(/YAML syntax/);
  });

  it('rejects duplicate keys, which YAML would otherwise silently merge', () => {
    expect(() => parseConfigText('project: shop\nproject: other\n', 'c.yaml')).toThrow(
      /project \(line 2\): "project" is given twice in the same mapping, on line 1 and line 2/,
    );
  });

  it('rejects an empty file with a hint', () => {
    expect(() => parseConfigText('', 'c.yaml')).toThrow(
      /the file is empty — start from one of the files in examples/,
    );
  });
});
