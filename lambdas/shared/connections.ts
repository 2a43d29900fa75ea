/**
 * Database connection settings, resolved from a Secrets Manager secret or an SSM SecureString (in AWS) or from a password-less
 * URL (local servers). Passwords only ever live in the returned objects — never in logs or errors:
 * use `describe*` to name a target. Every password, credential URL and secret string read here is
 * registered with the redactor (registerSecret) the moment it is read, so no output can print it.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { registerSecret, registerUrlSecrets } from './redact';
import { SECRET_CACHE_TTL_MS } from './secret-cache';

export interface SecretsReader {
  /** The secret's string value; throws SecretUnavailable with a clear message. */
  getSecretString(secretId: string): Promise<string>;
  /**
   * Drops a cached value, so the next read fetches it again: called when the value was refused
   * (an authentication failure), which is how a rotated secret is picked up before its TTL ends.
   */
  forget?(secretId: string): void;
}

export { SECRET_CACHE_TTL_MS } from './secret-cache';

export class SecretUnavailable extends Error {
  constructor(
    readonly secretId: string,
    reason: string,
  ) {
    super(`cannot read secret ${secretId}: ${reason}`);
    this.name = 'SecretUnavailable';
  }
}

/** Reads secrets through Secrets Manager, caching each value for `ttlMs` (per Lambda container). */
export function secretsManagerReader(
  client: SecretsManagerClient,
  ttlMs = SECRET_CACHE_TTL_MS,
): SecretsReader {
  const cache = new Map<string, { value: string; until: number }>();
  return {
    forget: (secretId) => cache.delete(secretId),
    async getSecretString(secretId) {
      const hit = cache.get(secretId);
      if (hit && hit.until > Date.now()) return hit.value;
      try {
        const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
        if (out.SecretString === undefined)
          throw new Error('the secret has no string value (binary secrets are not supported)');
        registerSecretString(out.SecretString);
        cache.set(secretId, { value: out.SecretString, until: Date.now() + ttlMs });
        return out.SecretString;
      } catch (error) {
        const name = (error as { name?: string }).name ?? '';
        const hint =
          name === 'ResourceNotFoundException'
            ? 'it does not exist — create it or fix the name in the config'
            : name === 'AccessDeniedException'
              ? 'access denied — redeploy so the job is granted secretsmanager:GetSecretValue on it'
              : (error as Error).message;
        throw new SecretUnavailable(secretId, hint);
      }
    },
  };
}

/**
 * What the Parameter Store reader needs: GetParameter with WithDecryption: true, returning the
 * parameter's value. Kept this small so any SSM client plugs in with a one-line adapter, e.g.
 * `(name) => ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true })).then((o) => o.Parameter?.Value)`.
 */
export type GetDecryptedParameter = (name: string) => Promise<string | undefined>;

/** The prefix of a secret reference that names an SSM Parameter Store SecureString (lib/config/primitives.ts). */
const SSM_PREFIX = 'ssm:';

/**
 * Reads `ssm:/name` references from SSM Parameter Store (SecureString, decrypted), caching each value for
 * `ttlMs`. The value is registered with the redactor exactly like a Secrets Manager value.
 */
export function parameterStoreReader(
  getParameter: GetDecryptedParameter,
  ttlMs = SECRET_CACHE_TTL_MS,
): SecretsReader {
  const cache = new Map<string, { value: string; until: number }>();
  return {
    forget: (ref) => cache.delete(ref),
    async getSecretString(ref) {
      const hit = cache.get(ref);
      if (hit && hit.until > Date.now()) return hit.value;
      const name = ref.startsWith(SSM_PREFIX) ? ref.slice(SSM_PREFIX.length) : ref;
      try {
        const value = await getParameter(name);
        if (value === undefined) throw new Error('the parameter has no value');
        registerSecretString(value);
        cache.set(ref, { value, until: Date.now() + ttlMs });
        return value;
      } catch (error) {
        const errorName = (error as { name?: string }).name ?? '';
        const hint =
          errorName === 'ParameterNotFound'
            ? 'it does not exist — create it (aws ssm put-parameter --type SecureString) or fix the name in the config'
            : errorName === 'AccessDeniedException'
              ? 'access denied — redeploy so the job is granted ssm:GetParameter on it and kms:Decrypt on its key (config ssmParameterKey if not aws/ssm)'
              : (error as Error).message;
        throw new SecretUnavailable(ref, hint);
      }
    },
  };
}

/** One reader for every secret reference: `ssm:/name` from Parameter Store, anything else from Secrets Manager. */
export function secretsReaderFor(
  secretsManager: SecretsReader,
  parameterStore: SecretsReader,
): SecretsReader {
  const of = (ref: string) => (ref.startsWith(SSM_PREFIX) ? parameterStore : secretsManager);
  return {
    getSecretString: (ref) => of(ref).getSecretString(ref),
    forget: (ref) => of(ref).forget?.(ref),
  };
}

/**
 * The reader every job and command uses: Secrets Manager, and SSM Parameter Store (SecureString,
 * decrypted) for `ssm:` references, with the same client settings. Create it once (module scope).
 */
export function awsSecretsReader(clientConfig: { region?: string } = {}): SecretsReader {
  const ssm = new SSMClient(clientConfig);
  return secretsReaderFor(
    secretsManagerReader(new SecretsManagerClient(clientConfig)),
    parameterStoreReader((name) =>
      ssm
        .send(new GetParameterCommand({ Name: name, WithDecryption: true }))
        .then((out) => out.Parameter?.Value),
    ),
  );
}

const CREDENTIAL_FIELD = /pass|pwd|secret|token|key|auth|credential/i;

/**
 * Registers what a secret string holds: a JSON secret's credential fields and the passwords of any
 * URLs in it; a plain string as a whole (it is a token, a password or a credential URL).
 */
export function registerSecretString(text: string): void {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as Record<string, unknown>;
      for (const [name, value] of Object.entries(parsed)) {
        if (typeof value !== 'string') continue;
        if (CREDENTIAL_FIELD.test(name)) registerSecret(value);
        if (value.includes('://')) registerUrlSecrets(value);
      }
      return;
    } catch {
      // not JSON after all: treat it as one opaque value below
    }
  }
  registerSecret(trimmed);
  registerUrlSecrets(trimmed);
}

/** A reader that fails clearly, for local runs where secrets are not available. */
export const noSecrets: SecretsReader = {
  async getSecretString(secretId) {
    throw new SecretUnavailable(secretId, 'no AWS credentials in this run — use a `url` for local servers');
  },
};

export interface ConnectionRef {
  readonly secret?: string | undefined;
  readonly url?: string | undefined;
}

export interface PostgresParams {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password?: string | undefined;
  readonly database: string;
  readonly ssl: 'disable' | 'require' | 'verify-full';
}

export interface RedisParams {
  readonly host: string;
  readonly port: number;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly tls: boolean;
  readonly db: number;
}

export interface MongoParams {
  /** Full connection string, possibly with credentials: never log it, use describeMongo. */
  readonly url: string;
  readonly database?: string | undefined;
}

async function secretObject(ref: ConnectionRef, secrets: SecretsReader): Promise<Record<string, unknown>> {
  registerUrlSecrets(ref.url);
  if (!ref.secret) return {};
  const text = await secrets.getSecretString(ref.secret);
  // any reader (not only Secrets Manager's) feeds the registry
  registerSecretString(text);
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed) as Record<string, unknown>;
    } catch {
      throw new SecretUnavailable(ref.secret, 'the secret looks like JSON but does not parse');
    }
  }
  return { url: trimmed };
}

const str = (value: unknown): string | undefined =>
  value === undefined || value === null || value === '' ? undefined : String(value);

export async function resolvePostgres(
  ref: ConnectionRef & {
    readonly ssl?: PostgresParams['ssl'] | undefined;
    readonly database?: string | undefined;
  },
  secrets: SecretsReader,
): Promise<PostgresParams> {
  const fromSecret = await secretObject(ref, secrets);
  const urlText = ref.url ?? str(fromSecret.url);
  const url = urlText ? new URL(urlText) : undefined;
  const host = str(fromSecret.host) ?? url?.hostname;
  if (!host)
    throw new SecretUnavailable(
      ref.secret ?? 'url',
      'no host — the secret needs host, port, username, password and dbname',
    );
  const sslFromUrl = url?.searchParams.get('sslmode');
  registerUrlSecrets(urlText);
  return {
    host,
    port: Number(str(fromSecret.port) ?? (url?.port || 5432)),
    user:
      str(fromSecret.username) ??
      str(fromSecret.user) ??
      (url?.username ? decodeURIComponent(url.username) : 'postgres'),
    password: str(fromSecret.password) ?? (url?.password ? decodeURIComponent(url.password) : undefined),
    database:
      ref.database ??
      str(fromSecret.dbname) ??
      str(fromSecret.database) ??
      (url?.pathname.slice(1) || 'postgres'),
    ssl:
      ref.ssl ??
      (sslFromUrl === 'disable' || sslFromUrl === 'require' || sslFromUrl === 'verify-full'
        ? sslFromUrl
        : 'require'),
  };
}

export async function resolveRedis(ref: ConnectionRef, secrets: SecretsReader): Promise<RedisParams> {
  const fromSecret = await secretObject(ref, secrets);
  const urlText = ref.url ?? str(fromSecret.url);
  registerUrlSecrets(urlText);
  const url = urlText ? new URL(urlText) : undefined;
  const host = str(fromSecret.host) ?? url?.hostname;
  if (!host)
    throw new SecretUnavailable(
      ref.secret ?? 'url',
      'no host — the secret needs host and port (and password if set)',
    );
  return {
    host,
    port: Number(str(fromSecret.port) ?? (url?.port || 6379)),
    username: str(fromSecret.username) ?? (url?.username ? decodeURIComponent(url.username) : undefined),
    password: str(fromSecret.password) ?? (url?.password ? decodeURIComponent(url.password) : undefined),
    tls: fromSecret.tls === true || fromSecret.tls === 'true' || url?.protocol === 'rediss:',
    db: Number(str(fromSecret.db) ?? (url?.pathname.slice(1) || 0)),
  };
}

export async function resolveMongo(ref: ConnectionRef, secrets: SecretsReader): Promise<MongoParams> {
  const fromSecret = await secretObject(ref, secrets);
  const direct = ref.url ?? str(fromSecret.url) ?? str(fromSecret.uri) ?? str(fromSecret.connectionString);
  registerUrlSecrets(direct);
  registerSecret(str(fromSecret.password));
  if (direct) return { url: direct, database: str(fromSecret.database) ?? str(fromSecret.dbname) };
  const host = str(fromSecret.host);
  if (!host)
    throw new SecretUnavailable(
      ref.secret ?? 'url',
      'no connection string — the secret needs "url" (or host, port, username, password)',
    );
  const user = str(fromSecret.username);
  const password = str(fromSecret.password);
  const auth = user
    ? `${encodeURIComponent(user)}${password ? `:${encodeURIComponent(password)}` : ''}@`
    : '';
  const database = str(fromSecret.database) ?? str(fromSecret.dbname);
  return { url: `mongodb://${auth}${host}:${str(fromSecret.port) ?? 27017}/${database ?? ''}`, database };
}

/** "postgres 10.0.1.5:5432/app" — safe to log. */
export function describePostgres(p: PostgresParams): string {
  return `postgres ${p.host}:${p.port}/${p.database}`;
}
export function describeRedis(p: RedisParams): string {
  return `redis ${p.host}:${p.port}${p.db ? `/${p.db}` : ''}`;
}
export function describeMongo(p: MongoParams): string {
  try {
    const url = new URL(p.url);
    return `mongodb ${url.host}${url.pathname}`;
  } catch {
    return 'mongodb (unparsable URL)';
  }
}

/** Values that must be redacted from anything derived from these params (registered as well). */
export function secretValuesOf(p: { password?: string | undefined; url?: string | undefined }): string[] {
  const values: string[] = [];
  registerSecret(p.password);
  registerUrlSecrets(p.url);
  if (p.password) values.push(p.password);
  if (p.url) {
    try {
      const pw = new URL(p.url).password;
      if (pw) values.push(pw, decodeURIComponent(pw));
    } catch {
      // not a URL: nothing to add
    }
  }
  return values;
}
