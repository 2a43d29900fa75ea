/**
 * The one credential detector. `validate` (and every command that loads the config) runs it over the raw
 * YAML data before the schema, so a credential written into the config stops the load with its path and
 * never reaches a message, a template or a log. Findings name where and what kind, never the value.
 * Credentials enter the config only as `secret:` references to AWS Secrets Manager.
 */
import type { PathSegment } from './path';

export interface CredentialFinding {
  readonly path: PathSegment[];
  /** What was found and what to do; never contains the value. */
  readonly message: string;
}

const USE_A_SECRET =
  'store it in AWS Secrets Manager (aws secretsmanager create-secret --name prod/app/db --secret-string file://secret.json) and reference it with `secret: prod/app/db`';

const USE_A_HEADER_SECRET =
  'store the value in AWS Secrets Manager and write `{ secret: prod/app/api-token }` (add `key: FIELD` for a JSON secret)';

/** Mapping keys whose literal value is a password, whatever section they appear in. */
const SECRET_KEYS = new Set([
  'password',
  'passwd',
  'pwd',
  'pass',
  'secretvalue',
  'secret_value',
  'secretstring',
  'token',
  'apikey',
  'api_key',
  'authtoken',
  'auth_token',
  'accesskey',
  'secretaccesskey',
  'secret_access_key',
  'privatekey',
  'private_key',
  'client_secret',
  'clientsecret',
]);

/** Header names that suggest a credential; their value must be a `{ secret: … }` reference. */
const CREDENTIAL_HEADER =
  /auth|token|key|secret|session|cookie|signature|sig$|password|passwd|pwd|credential|jwt|bearer|csrf|xsrf/i;

/** Query parameters that carry credentials (compared lower-case, `-` and `_` ignored). */
const CREDENTIAL_PARAMS = new Set([
  'password',
  'pass',
  'passwd',
  'pwd',
  'secret',
  'token',
  'key',
  'accesstoken',
  'apikey',
  'authtoken',
  'auth',
  'sig',
  'signature',
  'clientsecret',
  'sslpassword',
  'xamzsignature',
  'xamzcredential',
  'xamzsecuritytoken',
  'code',
  'session',
  'sessionid',
  'jwt',
]);
const CREDENTIAL_PARAM_SUFFIX = /(token|secret|password|passwd|key|signature)$/;

/** Known credential formats, by name. Each pattern is linear (no nested quantifiers). */
const KNOWN_FORMATS: readonly { readonly what: string; readonly pattern: RegExp }[] = [
  { what: 'an AWS access key id', pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/ },
  { what: 'a PEM private key', pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/ },
  { what: 'a JSON Web Token', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/ },
  { what: 'a GitHub token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/ },
  { what: 'a GitLab token', pattern: /\bgl(?:pat|dt|rt|ptt|cbt|imt|agent|oas)-[A-Za-z0-9_-]{20,}/ },
  { what: 'a Slack token', pattern: /\bxox[abposre]-[A-Za-z0-9-]{10,}/ },
  { what: 'a Slack webhook URL', pattern: /hooks\.slack\.com\/services\/T[A-Za-z0-9]+\/B[A-Za-z0-9]+\/\w+/ },
  { what: 'a Stripe secret key', pattern: /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}/ },
  { what: 'a Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}/ },
  {
    what: 'an Authorization value (Bearer/Basic/Token …)',
    pattern: /^\s*(?:bearer|basic|token|digest)\s+\S{8,}/i,
  },
];

/**
 * A "high-entropy bearer string": one run of at least 32 token characters with upper case, lower case
 * and at least three digits, and more than 4.3 bits of entropy per character. Dashes, slashes, dots and
 * colons split runs, so ARNs, log group names and URL paths stay well below the bar.
 */
const TOKEN_RUN = /[A-Za-z0-9+_=]{32,}/g;

function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

function looksRandom(run: string): boolean {
  const digits = run.replace(/\D/g, '').length;
  return /[A-Z]/.test(run) && /[a-z]/.test(run) && digits >= 3 && entropy(run) > 4.3;
}

/** The kind of credential a string looks like (e.g. "a GitHub token"), or undefined. */
export function credentialFormatOf(text: string): string | undefined {
  for (const { what, pattern } of KNOWN_FORMATS) if (pattern.test(text)) return what;
  for (const match of text.matchAll(TOKEN_RUN)) {
    if (looksRandom(match[0])) return 'a random token (a high-entropy string)';
  }
  return undefined;
}

const normalizeParam = (name: string) => name.toLowerCase().replace(/[-_]/g, '');

/** Credentials carried by a URL: user-info on http(s), any password, credential query parameters. */
function urlCredential(text: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Not parseable, but a user:password@ part is still a password.
    return /^[a-z][a-z0-9+.-]*:\/\/[^/@\s:]*:[^/@\s]+@/i.test(text)
      ? `a password inside a URL is not allowed — remove it and ${USE_A_SECRET}`
      : undefined;
  }
  if (url.password) return `a password inside a URL is not allowed — remove it and ${USE_A_SECRET}`;
  if (url.username && (url.protocol === 'http:' || url.protocol === 'https:')) {
    return `a user name or token in an http(s) URL is a credential — remove it; send it as a header whose value is a secret reference: ${USE_A_HEADER_SECRET}`;
  }
  for (const [name, value] of url.searchParams) {
    const normalized = normalizeParam(name);
    if (value !== '' && (CREDENTIAL_PARAMS.has(normalized) || CREDENTIAL_PARAM_SUFFIX.test(normalized))) {
      return `the URL's query parameter "${name}" carries a credential — remove it from the URL and ${
        url.protocol === 'http:' || url.protocol === 'https:'
          ? `send it as a header instead: ${USE_A_HEADER_SECRET}`
          : `put the connection in a secret: ${USE_A_SECRET}`
      }`;
    }
  }
  return undefined;
}

function stringCredential(text: string): string | undefined {
  const inUrl = urlCredential(text);
  if (inUrl) return inUrl;
  const format = credentialFormatOf(text);
  return format
    ? `this looks like ${format} — never write credentials in the config; ${USE_A_SECRET}`
    : undefined;
}

/**
 * Every credential written into raw config data (from YAML or JSON). Walks the data with an explicit
 * stack (in document order), so a deeply nested document cannot exhaust the call stack.
 */
export function findCredentials(raw: unknown): CredentialFinding[] {
  const findings: CredentialFinding[] = [];
  const stack: { value: unknown; path: PathSegment[] }[] = [{ value: raw, path: [] }];
  while (stack.length) {
    const { value, path } = stack.pop() as { value: unknown; path: PathSegment[] };
    if (typeof value === 'string') {
      const message = stringCredential(value);
      if (message) findings.push({ path, message });
    } else if (Array.isArray(value)) {
      for (let index = value.length - 1; index >= 0; index--) {
        stack.push({ value: value[index], path: [...path, index] });
      }
    } else if (value && typeof value === 'object') {
      const inHeaders = path[path.length - 1] === 'headers';
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i] as [string, unknown];
        const here = [...path, key];
        const literal = (typeof child === 'string' && child !== '') || typeof child === 'number';
        const keyFormat = credentialFormatOf(key);
        if (keyFormat) {
          findings.push({
            path: here,
            message: `this key looks like ${keyFormat} — never write credentials in the config; ${USE_A_SECRET}`,
          });
        } else if (literal && SECRET_KEYS.has(key.toLowerCase())) {
          findings.push({
            path: here,
            message: `a literal password is not allowed in the config — ${USE_A_SECRET}`,
          });
        } else if (literal && inHeaders && CREDENTIAL_HEADER.test(key)) {
          findings.push({
            path: here,
            message: `the header "${key}" carries a credential and must not be written in the config — ${USE_A_HEADER_SECRET}`,
          });
        } else {
          stack.push({ value: child, path: here });
        }
      }
    }
  }
  return findings;
}
