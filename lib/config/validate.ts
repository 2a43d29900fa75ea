/**
 * Validation on top of the zod schema: literal-secret detection (before parsing, so that a password is
 * never echoed), cross-field rules, and errors that name the exact path and the fix.
 */
import { type ZodType, z } from 'zod';

type ZodDef = Record<string, unknown>;
const defOf = (schema: ZodType): ZodDef => (schema as unknown as { _zod: { def: ZodDef } })._zod.def;

import { InvalidAlarmConfig, resolveMetricAlarm } from './alarm-presets';
import { findCredentials } from './credentials';
import { ConfigError, type ConfigIssue } from './error';
import { limitIssues } from './limits';
import type { PathSegment } from './path';
import { durationMs, SEVERITIES, type Severity, urlProblem } from './primitives';
import {
  BACKUP_ENGINES,
  configSchema,
  HEALTH_KINDS,
  type HealthTarget,
  type NightshiftConfig,
  type RotationConfig,
  SUB_MINUTE_INTERVALS_MS,
} from './schema';
import { canonicalSeverities, severityName } from './severity-names';

export { ConfigError, type ConfigIssue, formatIssues } from './error';

// ---------------------------------------------------------------------------------------------
// zod issues → ConfigIssue
// ---------------------------------------------------------------------------------------------

/** Walks the schema along a path to find the field schema (for descriptions and allowed keys). */
function schemaAt(root: ZodType, path: PathSegment[]): ZodType | undefined {
  let current: ZodType | undefined = root;
  for (const segment of path) {
    current = current ? unwrap(current) : undefined;
    if (!current) return undefined;
    const def: ZodDef = defOf(current);
    if (def.type === 'object') {
      current = (def.shape as Record<string, ZodType>)[String(segment)];
    } else if (def.type === 'array') {
      current = def.element as ZodType;
    } else if (def.type === 'record') {
      current = def.valueType as ZodType;
    } else if (def.type === 'union') {
      // a discriminated union (maintenance.tasks): the first option that has the key
      current = (def.options as ZodType[])
        .map((option) => schemaAt(option, [segment]))
        .find((found) => found !== undefined);
    } else {
      return undefined;
    }
  }
  return current;
}

function unwrap(schema: ZodType): ZodType {
  let current = schema;
  for (let i = 0; i < 10; i++) {
    const def: ZodDef = defOf(current);
    if (['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch'].includes(String(def.type))) {
      current = def.innerType as ZodType;
    } else if (def.type === 'pipe') {
      current = def.in as ZodType;
    } else {
      return current;
    }
  }
  return current;
}

function describe(schema: ZodType | undefined): string | undefined {
  let current = schema;
  for (let i = 0; current && i < 10; i++) {
    if (current.description) return current.description.replace(/\s*@default.*$/, '');
    const def: ZodDef = defOf(current);
    current = (def.innerType ?? def.in) as ZodType | undefined;
  }
  return undefined;
}

function allowedKeys(path: PathSegment[]): string[] {
  const schema = schemaAt(configSchema, path);
  if (!schema) return [];
  const def = defOf(unwrap(schema));
  if (def.type === 'union')
    return [
      ...new Set(
        (def.options as ZodType[]).flatMap((option) => {
          const inner = defOf(unwrap(option));
          return inner.type === 'object' ? Object.keys(inner.shape as object) : [];
        }),
      ),
    ];
  return def.type === 'object' ? Object.keys(def.shape as object) : [];
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = levenshtein(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] ?? 0;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

/** A message we wrote (schema messages start lower-case or with a quote); zod's own start upper-case. */
const isOwnMessage = (message: string | undefined): message is string =>
  message !== undefined && message !== '' && !/^[A-Z]/.test(message);

const EXPECTED_TYPE: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  int: 'a whole number',
  number: 'a number',
  string: 'text',
  boolean: 'true or false',
  null: 'nothing (null)',
};

const FORMAT_HINT: Record<string, string> = {
  datetime: 'not an ISO 8601 date and time — write it as 2026-03-01T22:00:00Z or 2026-03-01T23:00:00+01:00',
  email: 'not an e-mail address — write it as name@example.com',
  url: 'not a URL — write it as https://example.com/path',
  regex: 'does not have the expected form — check it against the example',
};

const plural = (n: number | bigint, one: string, many = `${one}s`) =>
  `${n} ${n === 1 || n === 1n ? one : many}`;

function bound(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === 'too_small';
  const limit = small ? issue.minimum : issue.maximum;
  const inclusive = issue.inclusive !== false;
  const word = issue.exact
    ? 'exactly'
    : small
      ? inclusive
        ? 'at least'
        : 'more than'
      : inclusive
        ? 'at most'
        : 'less than';
  const fix = small
    ? `${inclusive ? '' : 'more than '}${limit}${inclusive ? ' or more' : ''}`
    : `${inclusive ? '' : 'less than '}${limit}${inclusive ? ' or less' : ''}`;
  switch (issue.origin) {
    case 'number':
    case 'int':
    case 'bigint':
      return small && limit === 0 && !inclusive
        ? 'must be greater than 0 — change it to a positive number'
        : `must be ${word} ${limit} — change it to ${issue.exact ? limit : fix}`;
    case 'string':
      return small && limit === 1
        ? 'must not be empty — write a value or remove the key'
        : `must be ${word} ${plural(limit, 'character')} long — ${small ? 'lengthen' : 'shorten'} it`;
    case 'array':
    case 'set':
      return small && limit === 1
        ? 'needs at least one entry — add one'
        : `needs ${word} ${plural(limit, 'entry', 'entries')} — ${small ? 'add' : 'remove'} entries`;
    default:
      return `must be ${word} ${limit} — change it to ${fix}`;
  }
}

const notValid = (description: string) =>
  description
    ? `not a valid value — change it to what this field takes: ${description.replace(/^ — /, '')}`
    : 'not a valid value — check it against the config reference in README.md';

/**
 * One zod issue → our issues, in our words. Every issue code has a case; a message we wrote in the schema
 * passes through, zod's default wording never does.
 */
export function issuesFromZod(issue: z.core.$ZodIssue): ConfigIssue[] {
  const path = issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
  const description = () => {
    const text = describe(schemaAt(configSchema, path));
    return text ? ` — ${text}` : '';
  };
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeys(path);
      return issue.keys.map((key) => {
        // in a union (maintenance.tasks) a key may belong to another option: another kind's field
        if (allowed.includes(key))
          return {
            path: [...path, key],
            message: 'not a field of this kind — remove it (it belongs to another kind)',
          };
        const suggestion = closest(key, allowed);
        const hint = suggestion
          ? ` — did you mean "${suggestion}"? Rename it.`
          : ' — remove it or correct it.';
        const list = allowed.length
          ? ` Allowed here: ${allowed.filter((k) => k !== '$schema').join(', ')}.`
          : '';
        return { path: [...path, key], message: `unknown key${hint}${list}` };
      });
    }
    case 'invalid_type': {
      const key = path[path.length - 1];
      if (issue.input === undefined) {
        const add = typeof key === 'string' ? `; add \`${key}:\`` : '';
        return [{ path, message: `required${description()}${add}` }];
      }
      const expected = EXPECTED_TYPE[issue.expected] ?? `a ${issue.expected}`;
      return [
        {
          path,
          message: `expected ${expected}, got ${typeName(issue.input)} — write ${expected} here${description().replace(' — ', ': ')}`,
        },
      ];
    }
    case 'invalid_value':
      if (isOwnMessage(issue.message)) return [{ path, message: issue.message }];
      return [{ path, message: `use one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` }];
    case 'invalid_union':
      // a discriminated union (kind: slack | teams) that matched no kind: its own message names them
      if (isOwnMessage(issue.message)) return [{ path, message: issue.message }];
      return [{ path, message: notValid(description()) }];
    case 'too_small':
    case 'too_big':
      if (isOwnMessage(issue.message)) return [{ path, message: issue.message }];
      return [{ path, message: `${bound(issue)}${description()}` }];
    case 'invalid_format':
      if (isOwnMessage(issue.message)) return [{ path, message: issue.message }];
      return [
        { path, message: `${FORMAT_HINT[issue.format] ?? 'not in the expected form'}${description()}` },
      ];
    case 'not_multiple_of':
      return [{ path, message: `must be a multiple of ${issue.divisor} — change it to one${description()}` }];
    case 'invalid_key': {
      const inner = issue.issues.flatMap((nested) => issuesFromZod({ ...nested, path: [] }));
      const why = inner[0]?.message ?? 'not an allowed key';
      return [{ path, message: `the key ${JSON.stringify(issue.input)} is not allowed here: ${why}` }];
    }
    case 'invalid_element': {
      const inner = issue.issues.flatMap((nested) => issuesFromZod({ ...nested, path: [] }));
      return [{ path, message: inner[0]?.message ?? `not a valid entry${description()}` }];
    }
    case 'custom':
      if (isOwnMessage(issue.message)) return [{ path, message: issue.message }];
      return [{ path, message: notValid(description()) }];
  }
}

// ---------------------------------------------------------------------------------------------
// Cross-field rules
// ---------------------------------------------------------------------------------------------

/** Prefixes of the alarms Nightshift creates itself (<project>-<prefix>…); user alarms must not clash. */
export const RESERVED_ALARM_PREFIXES = [
  'health-',
  'backup-',
  'log-',
  'alert-',
  'escalation-',
  'sms-spend',
  'db-maintenance-',
];

type ConnectionFields = { secret?: string | undefined; url?: string | undefined };

function crossFieldIssues(config: NightshiftConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: PathSegment[], message: string) => issues.push({ path, message });

  const unique = (items: { name?: string | undefined }[], base: PathSegment[], what: string) => {
    const seen = new Map<string, number>();
    items.forEach((item, index) => {
      if (!item.name) return;
      const first = seen.get(item.name);
      if (first !== undefined) {
        add(
          [...base, index, 'name'],
          `"${item.name}" is already the name of ${what} ${first} — names must be unique`,
        );
      } else {
        seen.set(item.name, index);
      }
    });
  };

  const exactlyOneConnection = (
    connection: { secret?: string | undefined; url?: string | undefined },
    path: PathSegment[],
    holding: string,
  ) => {
    if (connection.secret && connection.url) {
      add(path, 'give either `secret` or `url`, not both');
    } else if (!connection.secret && !connection.url) {
      add(
        [...path, 'secret'],
        `required — the Secrets Manager secret holding ${holding} (or a \`url\` without a password for a local server)`,
      );
    }
  };

  /** A target names exactly one kind (http, postgres, …); database kinds have exactly one connection. */
  const exactlyOneKind = <K extends string>(
    target: Partial<Record<K, unknown>> & Partial<Record<'postgres' | 'redis' | 'mongodb', ConnectionFields>>,
    kinds: readonly K[],
    path: PathSegment[],
  ): boolean => {
    const found = kinds.filter((kind) => target[kind] !== undefined);
    if (found.length !== 1) {
      add(
        path,
        `give exactly one of ${kinds.join(', ')} (found ${found.length ? found.join(' and ') : 'none'})`,
      );
      return false;
    }
    if (target.postgres)
      exactlyOneConnection(
        target.postgres,
        [...path, 'postgres'],
        'host, port, username, password and dbname',
      );
    if (target.redis) exactlyOneConnection(target.redis, [...path, 'redis'], 'host, port and password');
    if (target.mongodb) exactlyOneConnection(target.mongodb, [...path, 'mongodb'], 'the connection string');
    return true;
  };

  // Alerts
  const { alerts } = config;
  unique(alerts.levels, ['alerts', 'levels'], 'level');
  const levelNames = alerts.levels.map((level) => level.name);
  const { aliases, ...policies } = alerts.severities;
  const seenAliases = new Map<string, string>();
  for (const alias of Object.keys(aliases)) {
    const path = ['alerts', 'severities', 'aliases', alias];
    const lower = alias.toLowerCase();
    if ((SEVERITIES as readonly string[]).includes(lower))
      add(path, `"${alias}" is already a Nightshift severity — an alias must be another name, e.g. P1`);
    else if (seenAliases.has(lower))
      add(path, `"${alias}" and "${seenAliases.get(lower)}" differ only in case — keep one`);
    seenAliases.set(lower, alias);
  }
  for (const [name, policy] of Object.entries(policies)) {
    const rank = (s: string) => (SEVERITIES as readonly string[]).indexOf(s);
    const shown = (s: string) => severityName(aliases, s as Severity);
    if (policy.promoteTo && !policy.promoteAfter)
      add(
        ['alerts', 'severities', name, 'promoteAfter'],
        'required with promoteTo — how long before the alarm is raised, e.g. 30m',
      );
    if (policy.promoteAfter && !policy.promoteTo && name === 'critical')
      add(
        ['alerts', 'severities', name, 'promoteAfter'],
        `${shown('critical')} is the most severe severity — there is nothing to raise it to; remove promoteAfter`,
      );
    if (policy.promoteTo && rank(policy.promoteTo) >= rank(name))
      add(
        ['alerts', 'severities', name, 'promoteTo'],
        `${shown(policy.promoteTo)} is not more severe than ${shown(name)} — promote to one of ${SEVERITIES.slice(0, rank(name)).map(shown).join(', ') || 'none'}`,
      );
    if (policy.notify && !levelNames.includes(policy.notify)) {
      add(
        ['alerts', 'severities', name, 'notify'],
        `no level named "${policy.notify}" — use one of ${levelNames.join(', ')}`,
      );
    }
  }
  alerts.levels.forEach((level, index) => {
    if (level.rotation) {
      rotationIssues(level.name, level.rotation, ['alerts', 'levels', index], add);
      if (level.email.length > 0 || level.sms.length > 0) {
        add(
          ['alerts', 'levels', index],
          `level "${level.name}" has both a rotation and fixed email/sms lists — put everyone in rotation.members, or drop the rotation`,
        );
      }
      return;
    }
    if (
      level.email.length === 0 &&
      level.sms.length === 0 &&
      level.chat.length === 0 &&
      level.webhooks.length === 0
    ) {
      add(
        ['alerts', 'levels', index],
        `level "${level.name}" has nobody to notify — add an email, sms, chat or webhooks entry`,
      );
    }
  });
  // Member topics are named <project>-rota-<level>-<member>: "a-b"/"c" and "a"/"b-c" would share one.
  const memberTopics = new Map<string, string>();
  alerts.levels.forEach((level, index) => {
    level.rotation?.members.forEach((member, i) => {
      const topic = `${level.name}-${member.name}`;
      const other = memberTopics.get(topic);
      if (other && other !== level.name) {
        add(
          ['alerts', 'levels', index, 'rotation', 'members', i, 'name'],
          `member "${member.name}" of level "${level.name}" would share the e-mail topic of a member of level "${other}" (both end in "${topic}") — rename the member or the level`,
        );
      }
      memberTopics.set(topic, level.name);
    });
  });
  unique(alerts.alarms, ['alerts', 'alarms'], 'alarm');
  alerts.alarms.forEach((alarm, index) => {
    const reserved = RESERVED_ALARM_PREFIXES.find((prefix) => alarm.name.startsWith(prefix));
    if (reserved) {
      add(
        ['alerts', 'alarms', index, 'name'],
        `names starting with "${reserved}" are reserved for Nightshift's own alarms — choose another name`,
      );
    }
  });
  unique(alerts.logPatterns, ['alerts', 'logPatterns'], 'log pattern');
  alerts.alarms.forEach((alarm, index) => {
    const path = ['alerts', 'alarms', index];
    if (alarm.preset) return;
    const simple = alarm.namespace !== undefined || alarm.metric !== undefined;
    const math = alarm.expression !== undefined || alarm.metrics !== undefined;
    if (simple && math) add(path, 'give either namespace + metric or expression + metrics, not both');
    else if (!simple && !math)
      add(
        [...path, 'metric'],
        'required — a metric (namespace + metric), a metric math expression (expression + metrics), or a preset',
      );
    else if (simple && (!alarm.namespace || !alarm.metric))
      add([...path, alarm.namespace ? 'metric' : 'namespace'], 'required with a simple metric alarm');
    else if (math && (!alarm.expression || !alarm.metrics))
      add([...path, alarm.expression ? 'metrics' : 'expression'], 'required with a metric math alarm');
    if (alarm.threshold === undefined)
      add([...path, 'threshold'], 'required — the value the alarm compares against');
    if (alarm.comparison === undefined) add([...path, 'comparison'], 'required — one of >, >=, <, <=');
    if (
      alarm.datapoints !== undefined &&
      alarm.evaluationPeriods !== undefined &&
      alarm.datapoints > alarm.evaluationPeriods
    ) {
      add([...path, 'datapoints'], 'must not exceed evaluationPeriods (M of N)');
    }
  });
  // what the Alerting construct builds from each entry (merged with its preset) must resolve too;
  // entries with a problem found above are left at that one message
  alerts.alarms.forEach((alarm, index) => {
    const reported = issues.some(
      (i) => i.path[0] === 'alerts' && i.path[1] === 'alarms' && i.path[2] === index,
    );
    if (reported) return;
    try {
      resolveMetricAlarm(alarm, index);
    } catch (error) {
      if (!(error instanceof InvalidAlarmConfig)) throw error;
      add(['alerts', 'alarms', index, error.field], error.reason);
    }
  });

  // Health checks
  const healthNames = new Set<string>();
  if (config.healthChecks) {
    const targets = config.healthChecks.targets;
    unique(targets, ['healthChecks', 'targets'], 'health check target');
    targets.forEach((target, index) => {
      healthNames.add(target.name);
      const path: PathSegment[] = ['healthChecks', 'targets', index];
      if (!exactlyOneKind(target, HEALTH_KINDS, path)) return;
      if (target.http) {
        const https = target.http.url.startsWith('https:');
        if (target.http.tls && !https)
          add(
            [...path, 'http', 'tls'],
            'certificate checks apply to https URLs only — remove tls or use https',
          );
        if (target.http.tls && target.http.tls.criticalDays >= target.http.tls.warnDays) {
          add([...path, 'http', 'tls', 'criticalDays'], 'must be fewer days than warnDays');
        }
        if (target.http.body && (target.http.method === 'GET' || target.http.method === 'HEAD')) {
          add(
            [...path, 'http', 'body'],
            `a ${target.http.method} request has no body — use method: POST or PUT`,
          );
        }
        target.http.json.forEach((condition, i) => {
          const ops = (['equals', 'in', 'exists', 'gt', 'gte', 'lt', 'lte'] as const).filter(
            (op) => condition[op] !== undefined,
          );
          if (ops.length === 0)
            add([...path, 'http', 'json', i], 'give a condition: equals, in, exists, gt, gte, lt or lte');
        });
      }
      const down = target.down ?? config.healthChecks?.defaults.down;
      if (down && down.datapoints > down.evaluationPeriods)
        add([...path, 'down', 'datapoints'], 'must not exceed evaluationPeriods (M of N)');
      if (config.healthChecks) subMinuteProblems(target, config.healthChecks.defaults.timeout, path, add);
    });
    if (config.healthChecks.vpc && !config.network)
      add(['healthChecks', 'vpc'], 'needs `network` (vpcId, subnetIds, securityGroupIds)');
  }

  // Backups
  const backupNames = new Set<string>();
  if (config.backups) {
    const targets = config.backups.targets;
    unique(targets, ['backups', 'targets'], 'backup target');
    targets.forEach((target, index) => {
      backupNames.add(target.name);
      const path: PathSegment[] = ['backups', 'targets', index];
      if (!exactlyOneKind(target, BACKUP_ENGINES, path)) return;
      if (target.verify) {
        if (Boolean(target.verify.secret) === Boolean(target.verify.url)) {
          add(
            [...path, 'verify', 'secret'],
            'give either `secret` or `url` for the scratch database, not both and not neither',
          );
        }
        const engine = BACKUP_ENGINES.find((kind) => target[kind] !== undefined);
        const problem = engine && target.verify.url ? urlProblem(target.verify.url, [engine]) : undefined;
        if (problem)
          add([...path, 'verify', 'url'], `the scratch database must be ${engine} too: ${problem}`);
      }
      if (target.runtime === 'fargate' && !config.network) {
        add(
          [...path, 'runtime'],
          'fargate tasks run in a VPC — add `network` (vpcId, subnetIds, securityGroupIds)',
        );
      }
    });
    if (config.backups.vpc && !config.network)
      add(['backups', 'vpc'], 'needs `network` (vpcId, subnetIds, securityGroupIds)');
  }

  // Log archive
  config.logArchive?.groups.forEach((group, index) => {
    const given = [group.name, group.prefix, group.tag].filter((v) => v !== undefined).length;
    if (given !== 1) add(['logArchive', 'groups', index], 'give exactly one of name, prefix or tag');
    else if (group.mode === 'firehose' && group.name === undefined)
      add(
        ['logArchive', 'groups', index, 'mode'],
        'firehose attaches a subscription filter to one log group — give its name (not a prefix or tag), or use mode: api',
      );
  });
  if (config.logArchive) {
    const cold = config.logArchive.cold;
    cold.transitions.forEach((transition, index) => {
      if (transition.storageClass === 'STANDARD_IA' && transition.afterDays < STANDARD_IA_MIN_DAYS) {
        add(
          ['logArchive', 'cold', 'transitions', index, 'afterDays'],
          `S3 moves objects to STANDARD_IA after ${STANDARD_IA_MIN_DAYS} days at the earliest — use afterDays: ${STANDARD_IA_MIN_DAYS} or more`,
        );
      }
      if (transition.afterDays >= cold.expireAfterDays) {
        add(
          ['logArchive', 'cold', 'transitions', index, 'afterDays'],
          `must be before expireAfterDays (${cold.expireAfterDays})`,
        );
      }
    });
  }

  // Database maintenance tasks (maintenance.tasks)
  const taskNames = new Set<string>();
  if (config.maintenance) {
    const tasks = config.maintenance.tasks;
    unique(tasks, ['maintenance', 'tasks'], 'maintenance task');
    tasks.forEach((task, index) => {
      taskNames.add(task.name);
      const path: PathSegment[] = ['maintenance', 'tasks', index];
      if ('postgres' in task)
        exactlyOneConnection(
          task.postgres,
          [...path, 'postgres'],
          'host, port, username, password and dbname',
        );
      else exactlyOneConnection(task.redis, [...path, 'redis'], 'host, port and password');
    });
    if (config.maintenance.vpc && !config.network)
      add(['maintenance', 'vpc'], 'needs `network` (vpcId, subnetIds, securityGroupIds)');
  }

  // Maintenance windows
  const known = new Set([
    ...healthNames,
    ...backupNames,
    ...taskNames,
    ...alerts.alarms.map((a) => a.name),
    ...alerts.logPatterns.map((p) => p.name),
  ]);
  alerts.maintenance.forEach((window, index) => {
    const path: PathSegment[] = ['alerts', 'maintenance', index];
    const recurring = window.cron !== undefined || window.duration !== undefined;
    const oneOff = window.start !== undefined || window.end !== undefined;
    if (recurring === oneOff) add(path, 'give either cron + duration (recurring) or start + end (one-off)');
    else if (recurring && (!window.cron || !window.duration))
      add([...path, window.cron ? 'duration' : 'cron'], 'required for a recurring window');
    else if (oneOff && (!window.start || !window.end))
      add([...path, window.start ? 'end' : 'start'], 'required for a one-off window');
    else if (window.start && window.end && Date.parse(window.end) <= Date.parse(window.start))
      add([...path, 'end'], 'must be after start');
    window.targets?.forEach((name, i) => {
      if (!known.has(name)) add([...path, 'targets', i], `no target or alarm named "${name}"`);
    });
  });

  // Status page: every listed target is a health-check target, listed once
  const shown = new Set<string>();
  config.statusPage?.targets.forEach((entry, i) => {
    const name = typeof entry === 'string' ? entry : entry.target;
    const path: PathSegment[] = [
      'statusPage',
      'targets',
      i,
      ...(typeof entry === 'string' ? [] : ['target']),
    ];
    if (!healthNames.has(name)) {
      const known = [...healthNames];
      add(
        path,
        known.length
          ? `no health-check target named "${name}" — use one of ${known.join(', ')} (healthChecks.targets)`
          : `no health-check target named "${name}" — the status page shows healthChecks.targets; add one there first`,
      );
    } else if (shown.has(name)) add(path, `"${name}" is listed twice — list each target once`);
    shown.add(name);
  });

  return issues;
}

/** Validates already-parsed config data (from YAML or JSON). Never throws. */
export function validateConfig(
  raw: unknown,
): { ok: true; config: NightshiftConfig } | { ok: false; issues: ConfigIssue[] } {
  const secrets = findCredentials(raw);
  if (secrets.length) return { ok: false, issues: secrets.map(({ path, message }) => ({ path, message })) };
  // Runbook severity names (alerts.severities.aliases) become Nightshift's before the schema sees them.
  const named = canonicalSeverities(raw);
  if (named.issues.length) return { ok: false, issues: named.issues };
  // Issues under a policy keyed by an alias name the key as written (`alerts.severities.P0`), so the
  // message and its line number point at what the user wrote.
  const asWritten = (issue: ConfigIssue): ConfigIssue => {
    const [a, b, key] = issue.path;
    const written = a === 'alerts' && b === 'severities' ? named.writtenKeys[key as Severity] : undefined;
    return written ? { ...issue, path: ['alerts', 'severities', written, ...issue.path.slice(3)] } : issue;
  };
  const result = configSchema.safeParse(named.data, { reportInput: true });
  if (!result.success)
    return { ok: false, issues: result.error.issues.flatMap(issuesFromZod).map(asWritten) };
  const cross = crossFieldIssues(result.data);
  if (cross.length) return { ok: false, issues: cross.map(asWritten) };
  // sizes are measured on a config that is otherwise valid (durations parse, targets resolve)
  const tooLarge = limitIssues(result.data);
  if (tooLarge.length) return { ok: false, issues: tooLarge };
  return { ok: true, config: result.data };
}

/** Validates and returns the config, or throws ConfigError. */
export function parseConfig(raw: unknown, file?: string): NightshiftConfig {
  const result = validateConfig(raw);
  if (!result.ok) throw new ConfigError(result.issues, file);
  return result.config;
}

export { z };

const DAY_MS = 86_400_000;

/** S3 lifecycle rule: a transition to STANDARD_IA comes 30 days after creation or later. */
const STANDARD_IA_MIN_DAYS = 30;

/** Rules of one level's rotation that the schema cannot express. */
function rotationIssues(
  level: string,
  rotation: RotationConfig,
  path: PathSegment[],
  add: (path: PathSegment[], message: string) => void,
): void {
  const seen = new Set<string>();
  rotation.members.forEach((member, i) => {
    if (seen.has(member.name)) {
      add(
        [...path, 'rotation', 'members', i, 'name'],
        `member "${member.name}" appears twice in the rotation of level "${level}" — give each member one entry`,
      );
    }
    seen.add(member.name);
    if (!member.email && !member.sms) {
      add(
        [...path, 'rotation', 'members', i],
        `member "${member.name}" of level "${level}" cannot be reached — add an email or sms`,
      );
    }
  });
  const ms = durationMs(rotation.every);
  if (ms % DAY_MS !== 0) {
    add(
      [...path, 'rotation', 'every'],
      `"${rotation.every}" is not a whole number of days — hand-offs happen at one local time of day, so write e.g. 1d, 7d or 2w`,
    );
  } else if (rotation.handoff.weekday && ms % (7 * DAY_MS) !== 0) {
    add(
      [...path, 'rotation', 'every'],
      `"${rotation.every}" is not whole weeks, so hand-offs cannot stay on ${rotation.handoff.weekday} — write 1w or 2w, or drop handoff.weekday`,
    );
  }
  const [year, month, day] = rotation.start.split('-').map(Number);
  const date = new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 0));
  if (date.toISOString().slice(0, 10) !== rotation.start) {
    add(
      [...path, 'rotation', 'start'],
      `"${rotation.start}" is not a calendar date — write YYYY-MM-DD, e.g. 2026-01-05`,
    );
  }
}

/**
 * A sub-minute interval must divide a minute (10s, 15s, 20s, 30s); its down alarm is set with downFor (a
 * multiple of the interval), and every check must end before the next one starts.
 */
function subMinuteProblems(
  target: HealthTarget,
  defaultTimeout: string,
  path: PathSegment[],
  add: (path: PathSegment[], message: string) => void,
): void {
  const intervalMs = target.interval === undefined ? undefined : safeMs(target.interval);
  const subMinute = intervalMs !== undefined && intervalMs < 60_000;
  if (subMinute && !SUB_MINUTE_INTERVALS_MS.includes(intervalMs)) {
    add(
      [...path, 'interval'],
      `"${target.interval}" does not divide a minute — a sub-minute interval is 10s, 15s, 20s or 30s (or use 1m or longer)`,
    );
    return;
  }
  if (!subMinute) {
    if (target.downFor !== undefined)
      add(
        [...path, 'downFor'],
        'applies to sub-minute intervals (10s, 15s, 20s, 30s) only — set interval: 30s, or use down: { datapoints, evaluationPeriods }',
      );
    return;
  }
  if (target.down !== undefined)
    add(
      [...path, 'down'],
      `a target checked every ${target.interval} alarms after downFor (e.g. downFor: 30s), not down — replace down with downFor`,
    );
  const downForMs = target.downFor === undefined ? undefined : safeMs(target.downFor);
  if (downForMs !== undefined && (downForMs < intervalMs || downForMs % intervalMs !== 0))
    add(
      [...path, 'downFor'],
      `must be a whole number of intervals — each check stands for one interval; use ${target.interval}, ${(intervalMs * 2) / 1000}s, ${(intervalMs * 3) / 1000}s, …`,
    );
  const timeoutMs = safeMs(target.timeout ?? defaultTimeout);
  if (timeoutMs !== undefined && timeoutMs >= intervalMs)
    add(
      [...path, 'timeout'],
      `${target.timeout ?? `${defaultTimeout} (healthChecks.defaults.timeout)`} is not shorter than the interval ${target.interval} — every check must end before the next one; use a timeout below ${target.interval}, e.g. timeout: ${Math.max(1, Math.floor(intervalMs / 2000))}s`,
    );
}

function safeMs(text: string): number | undefined {
  try {
    return durationMs(text);
  } catch {
    return undefined;
  }
}
