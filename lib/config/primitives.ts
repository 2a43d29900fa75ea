/**
 * Value types shared by every config section: durations, schedules, time zones, contacts, secrets.
 * Each one validates with a message that says what a correct value looks like.
 */
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Durations: "30s", "15m", "4h", "1d", "1h30m"
// ---------------------------------------------------------------------------------------------

const DURATION_PART = /(\d+)\s*(ms|s|m|h|d|w)/g;
const DURATION_WHOLE = /^(\d+\s*(ms|s|m|h|d|w)\s*)+$/;
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses a duration such as "15m", "4h" or "1h30m" into milliseconds; throws on anything else. */
export function durationMs(text: string): number {
  const trimmed = text.trim();
  if (!DURATION_WHOLE.test(trimmed)) {
    throw new Error(
      `"${text}" is not a duration — write a number and a unit, e.g. 30s, 15m, 4h, 1d or 1h30m`,
    );
  }
  let total = 0;
  for (const match of trimmed.matchAll(DURATION_PART)) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? 0);
  }
  return total;
}

/** Duration in whole seconds (rounded up). */
export function durationSeconds(text: string): number {
  return Math.ceil(durationMs(text) / 1000);
}

/** Formats milliseconds as a short human duration: "23 min", "1 h 5 min", "2 d 3 h". */
export function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))} s`;
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

export const duration = (what: string, bounds: { min?: string; max?: string } = {}) =>
  z
    .string()
    .describe(`${what} (a duration such as 30s, 15m, 4h, 1d)`)
    .superRefine((value, ctx) => {
      let ms: number;
      try {
        ms = durationMs(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return;
      }
      if (bounds.min && ms < durationMs(bounds.min)) {
        ctx.addIssue({ code: 'custom', message: `"${value}" is too short — use at least ${bounds.min}` });
      }
      if (bounds.max && ms > durationMs(bounds.max)) {
        ctx.addIssue({ code: 'custom', message: `"${value}" is too long — use at most ${bounds.max}` });
      }
    });

// ---------------------------------------------------------------------------------------------
// Schedules: EventBridge Scheduler expressions, cron(m h dom mon dow year) or rate(n unit)
// ---------------------------------------------------------------------------------------------

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((.+)\)$/;

export type ParsedSchedule =
  | { kind: 'rate'; everyMs: number; expression: string }
  | { kind: 'cron'; fields: string[]; expression: string };

/** Parses and validates a Scheduler expression; throws an Error whose message says how to fix it. */
export function parseSchedule(expression: string): ParsedSchedule {
  const text = expression.trim();
  const rate = RATE.exec(text);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2] ?? '';
    if (value < 1) throw new Error(`"${text}": the rate must be at least 1 — write e.g. rate(1 minute)`);
    const singular = !unit.endsWith('s');
    if (value === 1 && !singular)
      throw new Error(`"${text}": write rate(1 ${unit.slice(0, -1)}) for a value of 1`);
    if (value > 1 && singular)
      throw new Error(`"${text}": write rate(${value} ${unit}s) for a value above 1`);
    const unitMs = unit.startsWith('minute') ? 60_000 : unit.startsWith('hour') ? 3_600_000 : 86_400_000;
    return { kind: 'rate', everyMs: value * unitMs, expression: text };
  }
  const cron = CRON.exec(text);
  if (cron) {
    const fields = (cron[1] ?? '').trim().split(/\s+/);
    if (fields.length !== 6) {
      throw new Error(
        `"${text}": a cron expression has 6 fields (minutes hours day-of-month month day-of-week year) — write e.g. cron(0 2 * * ? *) for 02:00 every day`,
      );
    }
    const [, , dom, , dow] = fields;
    if ((dom === '?') === (dow === '?')) {
      throw new Error(
        `"${text}": exactly one of day-of-month and day-of-week must be "?" — write ? in the one you do not use, e.g. cron(0 2 * * ? *) or cron(0 2 ? * MON *)`,
      );
    }
    for (const [index, spec] of CRON_FIELDS.entries()) {
      const problem = cronFieldProblem(fields[index] ?? '', spec);
      if (problem) throw new Error(`"${text}": ${problem}`);
    }
    try {
      CronExpressionParser.parse(toStandardCron(fields), { tz: 'UTC' });
    } catch {
      // Our field checks accept what AWS accepts; cron-parser is stricter on a few combinations
      // (e.g. W in day-of-month). Its wording is never shown: name the expression and the fix.
      throw new Error(
        `"${text}": this combination of fields cannot be evaluated — simplify it to numbers, lists (1,15), ranges (1-5) and steps (*/10), e.g. cron(0 2 * * ? *)`,
      );
    }
    return { kind: 'cron', fields, expression: text };
  }
  throw new Error(
    `"${text}" is not a schedule — use rate(5 minutes) or cron(minutes hours day-of-month month day-of-week year), e.g. cron(0 2 * * ? *)`,
  );
}

interface CronFieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Three-letter names allowed instead of numbers (index 0 = min). */
  readonly names?: readonly string[];
  /** Characters beyond digits, names, `*`, `,`, `-` and `/` that AWS allows in this field. */
  readonly special: string;
  readonly example: string;
}

/** The six fields of an EventBridge Scheduler cron expression, as AWS documents them. */
const CRON_FIELDS: readonly CronFieldSpec[] = [
  { name: 'minutes', min: 0, max: 59, special: '', example: '0, 0,30 or */15' },
  { name: 'hours', min: 0, max: 23, special: '', example: '2, 8-18 or */6' },
  { name: 'day-of-month', min: 1, max: 31, special: '?LW', example: '1, 1,15, L or ?' },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
    special: '',
    example: '1, JAN-MAR or *',
  },
  {
    name: 'day-of-week',
    min: 1,
    max: 7,
    names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
    special: '?L#',
    example: 'MON-FRI, 1 (Sunday), 2#1 (first Monday) or ?',
  },
  { name: 'year', min: 1970, max: 2199, special: '', example: '* or 2027' },
];

/** Checks one AWS cron field; returns what is wrong in our words, or undefined. */
function cronFieldProblem(field: string, spec: CronFieldSpec): string | undefined {
  const range = `${spec.min}-${spec.max}${spec.names ? ` or ${spec.names[0]}-${spec.names[spec.names.length - 1]}` : ''}`;
  const bad = (why: string) =>
    `the ${spec.name} field "${field}" ${why} — use ${range}, e.g. ${spec.example}`;
  const value = (token: string): number | undefined => {
    if (/^\d+$/.test(token)) return Number(token);
    const named = spec.names?.indexOf(token.toUpperCase()) ?? -1;
    return named >= 0 ? spec.min + named : undefined;
  };
  if (field === '*' || (field === '?' && spec.special.includes('?'))) return undefined;
  for (const part of field.split(',')) {
    if (part === '') return bad('has an empty list entry');
    if (spec.special.includes('L') && (part === 'L' || /^L-\d+$/.test(part))) continue;
    let body = part;
    if (spec.special.includes('#')) {
      const nth = /^([^#]+)#(\d+)$/.exec(part);
      if (nth) {
        const occurrence = Number(nth[2]);
        if (occurrence < 1 || occurrence > 5)
          return bad(`asks for weekday occurrence #${nth[2]} (use #1 to #5)`);
        body = nth[1] ?? '';
      }
    }
    if (spec.special.includes('L') && /^[^-/*]+L$/.test(body)) body = body.slice(0, -1);
    if (spec.special.includes('W') && /^\d+W$/.test(body)) body = body.slice(0, -1);
    const [span = '', step, extra] = body.split('/');
    if (extra !== undefined) return bad('has more than one step');
    if (step !== undefined && !(/^\d+$/.test(step) && Number(step) >= 1))
      return bad(`has step "${step}" (write a whole number of at least 1 after /)`);
    if (span === '*') continue;
    const [from = '', to, more] = span.split('-');
    if (more !== undefined) return bad('has a range with more than one dash');
    for (const token of to === undefined ? [from] : [from, to]) {
      const number = value(token);
      if (number === undefined)
        return bad(`contains "${token}", which is not a number${spec.names ? ' or a name' : ''}`);
      if (number < spec.min || number > spec.max)
        return bad(`contains ${token}, outside ${spec.min}-${spec.max}`);
    }
    const first = value(from);
    const last = to === undefined ? undefined : value(to);
    if (first !== undefined && last !== undefined && first > last)
      return bad(`has the range ${span}, which runs backwards (write the smaller value first)`);
  }
  return undefined;
}

/** AWS cron fields (with year) → the 5-field form cron-parser reads. */
function toStandardCron(fields: string[]): string {
  const [min, hour, dom, month, dow] = fields;
  return [min, hour, dom, month, toStandardDayOfWeek(dow ?? '*')].join(' ');
}

/**
 * AWS numbers days of week 1-7 from Sunday; cron-parser 0-6 from Sunday. Only the day numbers move:
 * a step (`/2`) and an occurrence (`#3`) keep their value.
 */
export function toStandardDayOfWeek(field: string): string {
  const day = (token: string) => (/^\d+$/.test(token) ? String((Number(token) + 6) % 7) : token);
  return field
    .split(',')
    .map((part) => {
      const nth = /^([^#]+)(#\d+)$/.exec(part);
      const [head, occurrence] = nth ? [nth[1] ?? '', nth[2] ?? ''] : [part, ''];
      const [span = '', step] = head.split('/');
      const last = span.endsWith('L') && span !== 'L' ? 'L' : '';
      const days = last ? span.slice(0, -1) : span;
      const converted = days.split('-').map(day).join('-');
      return `${converted}${last}${step !== undefined ? `/${step}` : ''}${occurrence}`;
    })
    .join(',');
}

/**
 * The next `count` run times of a schedule, evaluated in `timeZone` (as EventBridge Scheduler does with
 * ScheduleExpressionTimezone). Rates run from `from`. With `before`, runs at or after it are left out
 * (and not computed: each cron step in a time zone is slow).
 */
export function nextRuns(expression: string, timeZone: string, from: Date, count = 1, before?: Date): Date[] {
  const parsed = parseSchedule(expression);
  if (parsed.kind === 'rate') {
    return Array.from(
      { length: count },
      (_, i) => new Date(from.getTime() + parsed.everyMs * (i + 1)),
    ).filter((run) => !before || run < before);
  }
  const iterator = CronExpressionParser.parse(toStandardCron(parsed.fields), {
    tz: timeZone,
    currentDate: from,
  });
  const yearField = parsed.fields[5] ?? '*';
  const runs: Date[] = [];
  for (let guard = 0; runs.length < count && guard < 10_000; guard++) {
    const next = iterator.next().toDate();
    if (before && next >= before) break;
    if (yearField === '*' || yearMatches(yearField, next.getUTCFullYear())) runs.push(next);
  }
  return runs;
}

/**
 * How many times a cron expression runs in a calendar year on the UTC clock, counted without stepping
 * through the runs (stepping costs cron-parser a luxon date per step: ~0.1 s for a daily schedule):
 * the days whose day-of-month, day-of-week and month match, times the hours, times the minutes.
 */
export function cronRunsInYear(expression: string, year: number): number {
  const parsed = parseSchedule(expression);
  if (parsed.kind !== 'cron') throw new Error(`"${expression}" is not a cron expression`);
  const yearField = parsed.fields[5] ?? '*';
  if (yearField !== '*' && !yearMatches(yearField, year)) return 0;
  const cron = CronExpressionParser.parse(toStandardCron(parsed.fields), { tz: 'UTC' });
  const { hour, minute } = cron.fields;
  const first = (hour.values[0] ?? 0) * 3_600_000 + (minute.values[0] ?? 0) * 60_000;
  let days = 0;
  for (let day = Date.UTC(year, 0, 1); day < Date.UTC(year + 1, 0, 1); day += 86_400_000) {
    if (cron.includesDate(new Date(day + first))) days++;
  }
  return days * hour.values.length * minute.values.length;
}

function yearMatches(field: string, year: number): boolean {
  return field.split(',').some((part) => {
    const [from, to] = part.split('-').map(Number);
    return to === undefined ? from === year : year >= (from ?? 0) && year <= to;
  });
}

/** Longest gap between two runs of a schedule, used for "did not run" alarms. */
export function schedulePeriodMs(expression: string, timeZone = 'UTC'): number {
  const parsed = parseSchedule(expression);
  if (parsed.kind === 'rate') return parsed.everyMs;
  const runs = nextRuns(expression, timeZone, new Date(Date.UTC(2025, 0, 1)), 40);
  let longest = 0;
  for (let i = 1; i < runs.length; i++) {
    longest = Math.max(longest, (runs[i]?.getTime() ?? 0) - (runs[i - 1]?.getTime() ?? 0));
  }
  return longest || 86_400_000;
}

export const schedule = (what: string) =>
  z
    .string()
    .describe(`${what}: an EventBridge Scheduler expression, rate(5 minutes) or cron(0 2 * * ? *)`)
    .superRefine((value, ctx) => {
      try {
        parseSchedule(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    });

// ---------------------------------------------------------------------------------------------
// Time zones, contacts, names, secrets, URLs
// ---------------------------------------------------------------------------------------------

export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export const timeZone = z
  .string()
  .describe('IANA time zone, e.g. Europe/Berlin or America/New_York')
  .superRefine((value, ctx) => {
    if (!isTimeZone(value)) {
      ctx.addIssue({
        code: 'custom',
        message: `"${value}" is not an IANA time zone — use a name such as UTC, Europe/Berlin or America/New_York`,
      });
    }
  });

export const E164 = /^\+[1-9]\d{6,14}$/;
export const phoneNumber = z
  .string()
  .describe('phone number in E.164 form, e.g. +4915112345678')
  .regex(E164, {
    message: 'not an E.164 phone number — write + then the country code and number, e.g. +4915112345678',
  });

export const email = z
  .email({ message: 'not an e-mail address — write it as name@example.com' })
  .describe('e-mail address');

export const NAME = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;
export const resourceName = (what: string) =>
  z
    .string()
    .describe(`${what}: lower-case letters, digits and dashes, 2-40 characters, starting with a letter`)
    .regex(NAME, {
      message:
        'use lower-case letters, digits and dashes (2-40 characters, starting with a letter), e.g. shop-api',
    });

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

export function isSecretArn(value: string): boolean {
  return SECRET_ARN.test(value);
}

/** `ssm:/prod/shop/db`: an SSM Parameter Store SecureString (free standard parameters) instead of a secret. */
const SSM_REF = /^ssm:(\/[A-Za-z0-9_.\-/]{1,1010})$/;
export const SSM_PREFIX = 'ssm:';

/** The parameter name of an `ssm:/…` secret reference, or undefined for a Secrets Manager name or ARN. */
export function ssmParameterName(ref: string): string | undefined {
  return SSM_REF.exec(ref)?.[1];
}

export const secretRef = (holding: string) =>
  z
    .string()
    .describe(
      `the Secrets Manager secret (name or ARN), or an SSM Parameter Store SecureString written ssm:/its/name, holding ${holding}`,
    )
    .refine(
      (value) =>
        SECRET_ARN.test(value) ||
        SSM_REF.test(value) ||
        (SECRET_NAME.test(value) && !value.startsWith('arn:')),
      {
        message:
          'not a secret reference — write a Secrets Manager name such as prod/shop/db, a full secret ARN, or an SSM SecureString parameter as ssm:/prod/shop/db',
      },
    );

/** The URL schemes each kind of URL field accepts. Every URL in the config and on the CLI is checked against one. */
export const URL_SCHEMES = {
  postgres: ['postgres', 'postgresql'],
  mongodb: ['mongodb', 'mongodb+srv'],
  redis: ['redis', 'rediss'],
  http: ['http', 'https'],
  s3: ['s3'],
} as const satisfies Record<string, readonly string[]>;
export type UrlKind = keyof typeof URL_SCHEMES;

export const URL_EXAMPLES: Record<UrlKind, string> = {
  postgres: 'postgres://app@localhost:5432/app',
  mongodb: 'mongodb://localhost:27017/app',
  redis: 'redis://localhost:6379/0',
  http: 'https://example.com/health',
  s3: 's3://bucket/prefix',
};

/** What is wrong with a URL for these kinds (scheme not allowed, or not a URL), or undefined. Never echoes the URL. */
export function urlProblem(value: string, kinds: readonly UrlKind[]): string | undefined {
  const schemes: string[] = kinds.flatMap((kind) => [...URL_SCHEMES[kind]]);
  const examples = kinds.map((kind) => URL_EXAMPLES[kind]).join(' or ');
  let scheme: string;
  try {
    scheme = new URL(value).protocol.replace(/:$/, '');
  } catch {
    return `not a URL — write it as ${examples}`;
  }
  if (!schemes.includes(scheme)) {
    return `the scheme "${scheme}:" is not allowed here — use ${schemes.map((s) => `${s}://`).join(', ')}, e.g. ${examples}`;
  }
  return undefined;
}

const urlField = (kinds: readonly UrlKind[]) =>
  z.string().superRefine((value, ctx) => {
    const problem = urlProblem(value, kinds);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const httpUrl = urlField(['http']).describe('http:// or https:// URL');

/** A connection URL for a database without a password (e.g. postgres://app@localhost:5432/app). */
export const connectionUrl = (kinds: readonly UrlKind[]) =>
  urlField(kinds).describe(
    `connection URL without a password (${kinds.flatMap((kind) => URL_SCHEMES[kind]).join(', ')}), e.g. ${kinds.map((kind) => URL_EXAMPLES[kind]).join(' or ')}`,
  );

/** An HTTP request header value: literal, or read from a secret (optionally one JSON key of it). */
export const headerValue = z.union([
  z.string(),
  z.strictObject({
    secret: secretRef('the header value'),
    key: z.string().optional().describe('JSON key inside the secret. @default the whole secret string'),
  }),
]);

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];
/** A Nightshift severity name; the enum itself, for places where aliases are not written (alias targets). */
export const severityEnum = z
  .enum(SEVERITIES, { message: 'use one of critical, high, medium, low' })
  .describe('severity: critical, high, medium or low');
/**
 * A severity as written in the config: a Nightshift name or an alias from alerts.severities.aliases.
 * Aliases are rewritten before the schema runs (lib/config/severity-names.ts); the string input keeps
 * editors that read nightshift.schema.json from flagging "P1".
 */
export const severity = z
  .string()
  .pipe(severityEnum)
  .describe('severity: critical, high, medium, low, or an alias from alerts.severities.aliases');

/** Weekdays as the config writes them (rotation hand-offs), Monday first (ISO order). */
export const WEEKDAYS = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const;

// ---------------------------------------------------------------------------------------------
// Log retention
// ---------------------------------------------------------------------------------------------

/**
 * Retention values CloudWatch Logs accepts (PutRetentionPolicy), in days: the one list, used by
 * logRetentionDays, logArchive.hotRetentionDays and the constructs' log groups.
 */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export type LogRetentionDays = (typeof LOG_RETENTION_DAYS)[number];

/** A CloudWatch Logs retention in days (one of LOG_RETENTION_DAYS), with a message that lists them. */
export const logRetentionDays = z.literal(LOG_RETENTION_DAYS, {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not a retention CloudWatch Logs accepts — use one of ${LOG_RETENTION_DAYS.join(', ')} (days)`,
});
