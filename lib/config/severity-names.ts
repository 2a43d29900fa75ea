/**
 * Severities as the runbooks write them: `alerts.severities.aliases` maps a runbook's names (P0…P3, SEV1…,
 * 1…4) to Nightshift's four severities. This is the one mapping used by the config (severity fields and
 * policy keys), the alert router (the `nightshift:severity` tag value) and the CLI and messages (shown
 * names), so an alias means the same everywhere.
 */
import { SEVERITIES, type Severity } from './primitives';

/** Runbook name → Nightshift severity, as written under alerts.severities.aliases. */
export type SeverityAliases = Readonly<Record<string, Severity>>;

function isSeverity(value: string): value is Severity {
  return SEVERITIES.includes(value as Severity);
}

/**
 * The Nightshift severity a written name means: a Nightshift name or an alias, compared without regard
 * to case (tags are typed by hand: "p1" means P1). Undefined when it is neither.
 */
export function resolveSeverity(aliases: SeverityAliases, written: string): Severity | undefined {
  const lower = written.trim().toLowerCase();
  if (isSeverity(lower)) return lower;
  const match = Object.entries(aliases).find(([alias]) => alias.toLowerCase() === lower);
  return match?.[1];
}

/**
 * How a severity is shown: the first alias that maps to it (the runbook's name), else its own name.
 * "First" is JavaScript key order: written order, except that names made of digits (1…4) come first.
 */
export function severityName(aliases: SeverityAliases, severity: Severity): string {
  return Object.entries(aliases).find(([, target]) => target === severity)?.[0] ?? severity;
}

/** A severity in CLI tables: "P1 (high)" with an alias, else "high". */
export function severityWithName(aliases: SeverityAliases, severity: Severity): string {
  const name = severityName(aliases, severity);
  return name === severity ? severity : `${name} (${severity})`;
}

/** The names a severity may be written as, for error messages: "critical, high, medium, low or P0, P1". */
export function knownSeverityNames(aliases: SeverityAliases): string {
  const names = Object.keys(aliases);
  return names.length ? `${SEVERITIES.join(', ')} or ${names.join(', ')}` : SEVERITIES.join(', ');
}

/** One severity written with a name that is neither a Nightshift severity nor an alias. */
export interface SeverityNameIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The valid entries of alerts.severities.aliases in raw config data (the schema reports the others). */
export function rawAliases(raw: unknown): SeverityAliases {
  const alerts = isRecord(raw) ? raw.alerts : undefined;
  const severities = isRecord(alerts) ? alerts.severities : undefined;
  const aliases = isRecord(severities) ? severities.aliases : undefined;
  if (!isRecord(aliases)) return {};
  return Object.fromEntries(
    Object.entries(aliases).filter((entry): entry is [string, Severity] =>
      typeof entry[1] === 'string' ? isSeverity(entry[1]) : false,
    ),
  );
}

/**
 * Rewrites every severity written in raw config data to its Nightshift name: each `severity` and `promoteTo` field
 * (alarms, log patterns, routeAlarms, health check and backup targets and defaults) and the policy keys
 * under alerts.severities (`P1: { escalateAfter: 1h }` is the policy of the severity P1 maps to). Runs
 * before the schema, which then sees only Nightshift names. Returns the rewritten copy and one issue per
 * unknown name.
 */
export function canonicalSeverities(raw: unknown): {
  data: unknown;
  issues: SeverityNameIssue[];
  /** Policy keys written as aliases: Nightshift name → the key as written (for error paths and lines). */
  writtenKeys: Partial<Record<Severity, string>>;
} {
  const aliases = rawAliases(raw);
  const issues: SeverityNameIssue[] = [];
  const writtenKeys: Partial<Record<Severity, string>> = {};
  const unknown = (path: (string | number)[], written: string) =>
    issues.push({
      path,
      message: `unknown severity "${written}" — use ${knownSeverityNames(aliases)}${Object.keys(aliases).length ? '' : ', or map your own names under alerts.severities.aliases'}`,
    });
  const walk = (value: unknown, path: (string | number)[]): unknown => {
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i]));
    if (!isRecord(value)) return value;
    const policies = path.length === 2 && path[0] === 'alerts' && path[1] === 'severities';
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      const here = [...path, key];
      if (
        (key === 'severity' || key === 'promoteTo') &&
        (typeof child === 'string' || typeof child === 'number')
      ) {
        // YAML reads `severity: 2` as a number; runbooks with levels 1-4 write it that way.
        const written = String(child);
        const resolved = resolveSeverity(aliases, written);
        if (!resolved) unknown(here, written);
        out[key] = resolved ?? child;
      } else if (policies && key !== 'aliases') {
        const resolved = resolveSeverity(aliases, key);
        if (!resolved) unknown(here, key);
        else if (resolved in out)
          issues.push({ path: here, message: `${resolved} is already configured — write its policy once` });
        if (resolved && resolved !== key) writtenKeys[resolved] = key;
        out[resolved ?? key] = walk(child, here);
      } else {
        out[key] = walk(child, here);
      }
    }
    return out;
  };
  return { data: walk(raw, []), issues, writtenKeys };
}
