/**
 * The environment contract (DESIGN rule 11, docs/adr/004-environment-contract.md). Each job declares, in
 * `lambdas/<job>/env.ts`, the variables it reads — name, whether the writer must set it, and who reads it —
 * with a writer the construct uses and a reader the handler uses. Constructs write a job's environment
 * only through its contract (`writeEnv`, `ScheduledJob`), so a variable that nobody reads cannot be
 * deployed, and test/lib/app/env-contract.test.ts checks the synthesized templates against the readers.
 * Only names, ids, settings and password-less URLs go into an environment, never secret values.
 *
 * Shared variables:
 *   NIGHTSHIFT_PROJECT    project name (metric dimension)
 *   NIGHTSHIFT_TIME_ZONE  the project's IANA time zone
 *   NODE_OPTIONS          read by the Node.js runtime at start: source maps plus the job's V8 flags
 *
 * Powertools Logger/Metrics would fall back to POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE,
 * but every handler passes serviceName and namespace explicitly, which take precedence
 * (@aws-lambda-powertools/metrics Metrics#setNamespace, logger Logger#setPowertoolsLogData), so neither
 * is written.
 */

export type EnvSource = Readonly<Record<string, string | undefined>>;

export interface EnvVariable {
  readonly name: string;
  /** The writer must set it: the reader (or the runtime) cannot do without it. */
  readonly required: boolean;
  /** `handler`: the job's reader parses it. `node`: the Node.js runtime reads it at start-up. */
  readonly readBy: 'handler' | 'node';
}

export interface EnvContract<T> {
  /** Job name in errors, e.g. "health-check". */
  readonly job: string;
  readonly variables: readonly EnvVariable[];
  /** V8/Node flags the job needs in NODE_OPTIONS, after --enable-source-maps. */
  readonly nodeFlags: readonly string[];
  /** The reader: parses the environment or throws EnvironmentInvalid naming the variable. */
  read(env: EnvSource): T;
}

/** A job's environment as its contract's writer produced it; the only form constructs accept. */
export interface WrittenEnv {
  readonly contract: EnvContract<unknown>;
  readonly variables: Readonly<Record<string, string>>;
}

/** Bucket name and key prefix variables of a bucket binding (ScheduledJob.bindBucket). */
export interface BucketVariables {
  readonly bucket: string;
  readonly prefix: string;
}

export class EnvironmentInvalid extends Error {
  override readonly name = 'EnvironmentInvalid';
  constructor(
    readonly job: string,
    readonly variable: string,
    reason: string,
  ) {
    super(`${job}: environment variable ${variable} ${reason} — redeploy the Nightshift stack`);
  }
}

export const PROJECT_VAR = 'NIGHTSHIFT_PROJECT';
export const TIME_ZONE_VAR = 'NIGHTSHIFT_TIME_ZONE';
export const NODE_OPTIONS_VAR = 'NODE_OPTIONS';

/** A variable the handler's reader parses. */
export function handlerVariable(name: string, required = true): EnvVariable {
  return { name, required, readBy: 'handler' };
}

/** NODE_OPTIONS: always written (source maps), read by Node itself. */
export const NODE_OPTIONS: EnvVariable = { name: NODE_OPTIONS_VAR, required: true, readBy: 'node' };

export function nodeOptions(flags: readonly string[]): string {
  return ['--enable-source-maps', ...flags].join(' ');
}

/**
 * The writer: the given variables (undefined ones left out) plus NODE_OPTIONS from the contract's flags.
 * A name the contract does not declare is a construct bug, so it throws at synth time.
 */
export function writeEnv(
  contract: EnvContract<unknown>,
  values: Readonly<Record<string, string | undefined>>,
): WrittenEnv {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    assertDeclared(contract, name);
    variables[name] = value;
  }
  if (contract.variables.some((v) => v.name === NODE_OPTIONS_VAR))
    variables[NODE_OPTIONS_VAR] = nodeOptions(contract.nodeFlags);
  return { contract, variables };
}

export function assertDeclared(contract: EnvContract<unknown>, name: string): void {
  if (!contract.variables.some((v) => v.name === name)) {
    throw new Error(
      `${contract.job}: environment variable ${name} is not in the job's contract (lambdas/${contract.job}/env.ts) — declare it there and read it in the handler`,
    );
  }
}

/** Reader helpers: each failure names the variable and the job. */
export function envReader(job: string, env: EnvSource) {
  const fail = (name: string, reason: string) => new EnvironmentInvalid(job, name, reason);
  const required = (name: string): string => {
    const value = env[name];
    if (!value) throw fail(name, 'is not set');
    return value;
  };
  const optional = (name: string): string | undefined => env[name] || undefined;
  const integerOf = (name: string, value: string, min: number, max: number): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw fail(name, `must be an integer ${min}–${max}`);
    return n;
  };
  return {
    fail,
    required,
    optional,
    json(name: string): unknown {
      const text = required(name);
      try {
        return JSON.parse(text);
      } catch {
        throw fail(name, 'is not valid JSON');
      }
    },
    integer(name: string, min: number, max: number): number {
      return integerOf(name, required(name), min, max);
    },
    optionalInteger(name: string, min: number, max: number): number | undefined {
      const value = optional(name);
      return value === undefined ? undefined : integerOf(name, value, min, max);
    },
    timeZone(name: string): string {
      const zone = required(name);
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: zone });
      } catch {
        throw fail(name, `is not an IANA time zone ("${zone}")`);
      }
      return zone;
    },
  };
}
