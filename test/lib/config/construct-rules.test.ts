/**
 * Every config rule lives in lib/config: each way a construct used to reject a config is here a mutation
 * of every example (examples/*.yaml), and the loader `nightshift validate` uses (parseConfigText, the
 * text path of loadConfig) must reject it first, naming the field. The constructs now trust the parsed
 * config; what they still check is an internal invariant ("internal: …") a valid config cannot reach.
 *
 * Each mutation says where it was rejected before this change:
 *   construct only — `nightshift validate` passed it and `cdk synth` threw a plain Error;
 *   both            — validate rejected it and the construct checked it again (the copy is gone).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseConfigText } from '../../../lib/config/load';
import { formatPath } from '../../../lib/config/path';
import { LOG_RETENTION_DAYS } from '../../../lib/config/primitives';
import { ConfigError } from '../../../lib/config/validate';
import { ROOT } from '../../support/cli';

type Raw = Record<string, unknown> & {
  healthChecks?: { targets?: Record<string, unknown>[] } & Record<string, unknown>;
  backups?: { targets: Record<string, unknown>[] } & Record<string, unknown>;
  alerts: Record<string, unknown>;
};

interface Mutation {
  /** What the mutation breaks, and who rejected it before (construct only / both). */
  readonly name: string;
  readonly apply: (config: Raw) => void;
  /** The issue validate must report: its path (formatted; # is the last entry of the list) and a fragment of the message. */
  readonly path: string;
  readonly message: RegExp;
}

/** Gives the example a log archive when it has none, so the log archive rules apply to every example. */
function logArchive(config: Raw): Record<string, unknown> & { groups: Record<string, unknown>[] } {
  config.logArchive ??= { groups: [{ name: '/ecs/app' }] };
  return config.logArchive as Record<string, unknown> & { groups: Record<string, unknown>[] };
}

const MUTATIONS: Mutation[] = [
  {
    // construct only: the schema took any integer 1–3653, LogArchive checked its own list
    name: 'logArchive.hotRetentionDays not a CloudWatch retention',
    apply: (c) => {
      logArchive(c).hotRetentionDays = 45;
    },
    path: 'logArchive.hotRetentionDays',
    message: /45 is not a retention CloudWatch Logs accepts — use one of 1, 3, 5/,
  },
  {
    // construct only: LogArchive required a name for mode firehose
    name: 'logArchive group in firehose mode chosen by prefix',
    apply: (c) => {
      logArchive(c).groups = [{ prefix: '/ecs/', mode: 'firehose' }];
    },
    path: 'logArchive.groups[0].mode',
    message: /firehose attaches a subscription filter to one log group — give its name/,
  },
  {
    // construct only: logArchiveLifecycleRules (called by LogArchive and the DataStack's bucket)
    name: 'STANDARD_IA before 30 days',
    apply: (c) => {
      logArchive(c).cold = {
        transitions: [{ storageClass: 'STANDARD_IA', afterDays: 7 }],
        expireAfterDays: 365,
      };
    },
    path: 'logArchive.cold.transitions[0].afterDays',
    message: /STANDARD_IA after 30 days at the earliest — use afterDays: 30 or more/,
  },
  {
    // both: validate and logArchiveLifecycleRules
    name: 'expiry before the last transition',
    apply: (c) => {
      logArchive(c).cold = {
        transitions: [{ storageClass: 'DEEP_ARCHIVE', afterDays: 400 }],
        expireAfterDays: 365,
      };
    },
    path: 'logArchive.cold.transitions[0].afterDays',
    message: /must be before expireAfterDays \(365\)/,
  },
  {
    // both: validate and LogArchive's own validate()
    name: 'logArchive group with a name and a prefix',
    apply: (c) => {
      logArchive(c).groups = [{ name: '/ecs/app', prefix: '/ecs/' }];
    },
    path: 'logArchive.groups[0]',
    message: /give exactly one of name, prefix or tag/,
  },
  {
    // both: validate (unique) and Backups
    name: 'two backup targets with one name',
    apply: (c) => {
      const targets = c.backups?.targets ?? [];
      targets.push({ ...targets[0] });
    },
    path: 'backups.targets[#].name',
    message: /is already the name of backup target 0 — names must be unique/,
  },
  {
    // both: validate and Backups.fargateTarget
    name: 'fargate backup without network',
    apply: (c) => {
      delete c.network;
      for (const section of ['healthChecks', 'backups', 'maintenance'] as const)
        if (c[section]) delete (c[section] as Record<string, unknown>).vpc;
      const first = c.backups?.targets[0];
      if (first) first.runtime = 'fargate';
    },
    path: 'backups.targets[0].runtime',
    message: /fargate tasks run in a VPC — add `network`/,
  },
  {
    // construct only: resolveMetricAlarm, called by Alerting at synth
    name: 'alarm preset without its dimensions',
    apply: (c) => {
      c.alerts.alarms = [{ name: 'db-cpu', preset: 'rds-cpu' }];
    },
    path: 'alerts.alarms[0].dimensions',
    message: /preset rds-cpu needs dimensions DBInstanceIdentifier — e\.g\. dimensions:/,
  },
  {
    // construct only: resolveMetricAlarm
    name: 'metric math with a metric the expression does not use',
    apply: (c) => {
      c.alerts.alarms = [
        {
          name: 'error-rate',
          expression: 'errors * 100',
          metrics: {
            errors: { namespace: 'AWS/ApiGateway', metric: '5XXError' },
            requests: { namespace: 'AWS/ApiGateway', metric: 'Count' },
          },
          threshold: 5,
          comparison: '>',
        },
      ];
    },
    path: 'alerts.alarms[0].expression',
    message: /metrics\.requests is not used in expression "errors \* 100" — use it there or remove it/,
  },
  {
    // construct only: resolveMetricAlarm (the preset gives evaluationPeriods, the entry datapoints)
    name: 'preset datapoints over its evaluationPeriods',
    apply: (c) => {
      c.alerts.alarms = [
        { name: 'db-cpu', preset: 'rds-cpu', dimensions: { DBInstanceIdentifier: 'db' }, datapoints: 50 },
      ];
    },
    path: 'alerts.alarms[0].datapoints',
    message: /datapoints \(50\) cannot exceed evaluationPeriods/,
  },
  {
    // construct only: resolveMetricAlarm
    name: 'alarm period CloudWatch does not take',
    apply: (c) => {
      c.alerts.alarms = [
        { name: 'db-cpu', preset: 'rds-cpu', dimensions: { DBInstanceIdentifier: 'db' }, period: '45s' },
      ];
    },
    path: 'alerts.alarms[0].period',
    message: /period must be 10s, 20s, 30s or a whole number of minutes/,
  },
  {
    // construct only: Alerting measured the router's settings at synth
    name: 'router settings over the Lambda environment',
    apply: (c) => {
      c.alerts.maintenance = Array.from({ length: 30 }, (_, i) => ({
        name: `weekly database patching window number ${i} agreed with the hosting provider's operations team`,
        cron: 'cron(0 3 ? * SUN *)',
        duration: '1h',
      }));
    },
    path: 'alerts',
    message:
      /the alert router's settings come to \d+ characters, over the 3500 .* — shorten alerts\.maintenance/,
  },
  {
    // construct only: StatusPage measured the page's settings at synth
    name: 'status page settings over the Lambda environment',
    apply: (c) => {
      const many = Array.from({ length: 30 }, (_, i) => ({
        name: `service-${i}`,
        http: { url: `https://s${i}.example.com/` },
      }));
      c.healthChecks = { ...c.healthChecks, targets: [...(c.healthChecks?.targets ?? []), ...many] };
      c.statusPage = {
        title: 'Status',
        targets: many.map((t) => ({ target: t.name, name: `Public service number ${t.name}` })),
      };
    },
    path: 'statusPage.targets',
    message: /the page's settings come to \d+ characters, over the 3800 .* list fewer targets/,
  },
  {
    // construct only: healthSchedules (HealthChecks) refused a target too large for a schedule input
    name: 'health target larger than a schedule input',
    apply: (c) => {
      const targets = c.healthChecks?.targets ?? [];
      targets.push({
        name: 'huge',
        http: { url: 'https://huge.example.com/', method: 'POST', body: 'x'.repeat(9_000) },
      });
      c.healthChecks = { ...c.healthChecks, targets };
    },
    path: 'healthChecks.targets[#]',
    message:
      /this target takes \d+ characters of a schedule input, over the 7936 that fit — shorten its headers, body/,
  },
];

const EXAMPLES = readdirSync(join(ROOT, 'examples')).filter((file) => file.endsWith('.yaml'));

function issuesOf(text: string): { path: string; message: string }[] {
  try {
    parseConfigText(text, 'mutated.yaml');
  } catch (error) {
    if (error instanceof ConfigError)
      return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
    throw error;
  }
  return [];
}

describe('config rules the constructs used to check are validate’s', () => {
  it('has examples to mutate', () => {
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(5);
  });

  describe.each(EXAMPLES)('%s', (file) => {
    const text = readFileSync(join(ROOT, 'examples', file), 'utf8');

    it('is valid as written', () => {
      expect(issuesOf(text)).toEqual([]);
    });

    it.each(MUTATIONS.map((m) => [m.name, m] as const))('rejects: %s', (_name, mutation) => {
      const raw = parse(text) as Raw;
      mutation.apply(raw);
      // # is the entry the mutation appended: the last of its list
      const list = mutation.path.startsWith('backups') ? raw.backups?.targets : raw.healthChecks?.targets;
      const path = mutation.path.replace('#', String((list?.length ?? 1) - 1));
      const issues = issuesOf(stringify(raw));
      expect(issues, `validate passed the mutated ${file}`).not.toEqual([]);
      expect(
        issues.some((issue) => issue.path === path && mutation.message.test(issue.message)),
        `no issue at ${path} matching ${mutation.message}; got ${JSON.stringify(issues)}`,
      ).toBe(true);
    });
  });

  it('takes every retention CloudWatch Logs accepts, from the one list, in both retention fields', () => {
    const text = readFileSync(join(ROOT, 'examples', EXAMPLES[0] ?? ''), 'utf8');
    for (const days of LOG_RETENTION_DAYS) {
      const raw = parse(text) as Raw;
      raw.logRetentionDays = days;
      logArchive(raw).hotRetentionDays = days;
      logArchive(raw).cold = { transitions: [], expireAfterDays: 36_500 };
      expect(issuesOf(stringify(raw)), `${days} days`).toEqual([]);
    }
  });
});
