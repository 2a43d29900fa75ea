/**
 * The one redactor for every output: health reasons, logs (redactingLog), thrown errors (the
 * redactErrors middy middleware and the CLI's error path), CLI output (lib/cli/output.ts) and SNS
 * messages (alert-router/notifier.ts).
 *
 * It masks two kinds of text:
 * - credential shapes it can see without being told: URL userinfo passwords, `password=…` /
 *   `"token": "…"` pairs, PGPASSWORD=…;
 * - every secret value this process has resolved. Whoever resolves a secret (connections.ts for
 *   database secrets and URLs, the http check for header secrets, any future key) calls
 *   `registerSecret(value)` once, and from then on no output path can print it, wherever the value
 *   travelled in between (a server's error text, an echoed header, a stack trace).
 */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^/@\s:]*:)([^@\s/]+)(@)/gi;
// not `secret`: `secret: prod/app/db` is the config's own reference syntax and names no value
// (secret values are masked through the registry)
const KEY_VALUE =
  /\b(password|passwd|pwd|token|apikey|api_key|authorization)(\s*[=:]\s*|"\s*:\s*")([^\s"&,;]+)/gi;
const PG_ENV = /\b(PGPASSWORD=)(\S+)/g;

export const REDACTED = '***';

/**
 * Shorter values are not registered: masking every "ab" would garble output while protecting
 * nothing (a 1–3 character secret is guessable anyway).
 */
export const MIN_SECRET_LENGTH = 4;

/** Every secret value (and its encoded forms) resolved in this process, longest first when used. */
const registry = new Set<string>();
let ordered: string[] = [];

/** The forms a value takes once it has been put into a URL or a JSON string. */
function formsOf(value: string): string[] {
  const forms = [value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)];
  try {
    forms.push(decodeURIComponent(value));
  } catch {
    // not percent-encoded: the value itself is enough
  }
  return forms;
}

/**
 * Records a secret value resolved in this process, so every later output masks it. Call it where
 * the value is read (Secrets Manager, a URL's password), before it can reach any output.
 */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return;
  let added = false;
  for (const form of formsOf(value)) {
    if (form.length >= MIN_SECRET_LENGTH && !registry.has(form)) {
      registry.add(form);
      added = true;
    }
  }
  if (added) ordered = [...registry].sort((a, b) => b.length - a.length);
}

/**
 * Forgets every registered value. A Lambda or CLI process never needs it (its secrets stay secret
 * until it exits); the test suite runs many files in one process (test/support/isolation.ts), and one
 * file's secrets must not mask another file's output.
 */
export function forgetSecrets(): void {
  registry.clear();
  ordered = [];
}

/** Registers the password of a URL (raw and decoded); a URL without credentials adds nothing. */
export function registerUrlSecrets(url: string | undefined): void {
  if (!url) return;
  try {
    const parsed = new URL(url);
    if (parsed.password) registerSecret(parsed.password);
    for (const [name, value] of parsed.searchParams)
      if (/pass|pwd|secret|token|key|sig/i.test(name)) registerSecret(value);
  } catch {
    // not a URL: nothing to register
  }
}

/** Returns text with credentials replaced by ***; `known` adds exact values on top of the registry. */
export function redact(text: string, known: readonly (string | undefined)[] = []): string {
  let out = text
    .replace(URL_PASSWORD, `$1${REDACTED}$3`)
    .replace(KEY_VALUE, `$1$2${REDACTED}`)
    .replace(PG_ENV, `$1${REDACTED}`);
  for (const value of known) {
    if (value && value.length >= MIN_SECRET_LENGTH) out = out.split(value).join(REDACTED);
  }
  for (const value of ordered) if (out.includes(value)) out = out.split(value).join(REDACTED);
  return out;
}

/** A copy of any JSON-like value with every string (keys included) redacted; cycles become "[cycle]". */
export function redactDeep<T>(value: T, seen = new WeakSet<object>()): T {
  if (typeof value === 'string') return redact(value) as T;
  if (value instanceof Error) {
    // keep what makes an error useful in a log (name, message, stack), redacted
    const { name, message, stack } = value;
    return { name, message: redact(message), ...(stack ? { stack: redact(stack) } : {}) } as T;
  }
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  if (seen.has(value)) return '[cycle]' as T;
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, seen)) as T;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[redact(key)] = redactDeep(item, seen);
  return out as T;
}

/**
 * Redacts a thrown error in place — message, stack and its causes — so whatever logs it afterwards
 * (the Lambda runtime, a logger, the CLI) prints no secret. Returns the same error.
 */
export function redactError<E>(error: E, depth = 0): E {
  if (!(error instanceof Error) || depth > 5) return error;
  const message = redact(error.message);
  const stack = error.stack === undefined ? undefined : redact(error.stack);
  // message and stack are own writable properties on every Error; define them so frozen-ish
  // subclasses with getters are replaced rather than failing silently
  Object.defineProperty(error, 'message', { value: message, writable: true, configurable: true });
  if (stack !== undefined)
    Object.defineProperty(error, 'stack', { value: stack, writable: true, configurable: true });
  if (error.cause !== undefined) redactError(error.cause, depth + 1);
  if (error instanceof AggregateError) for (const inner of error.errors) redactError(inner, depth + 1);
  return error;
}

/** A short, human reason from any thrown value, redacted. Never a stack trace. */
export function reasonOf(error: unknown, known: readonly (string | undefined)[] = []): string {
  if (error instanceof AggregateError && error.errors.length) return reasonOf(error.errors[0], known);
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = error.message || code || error.name;
    return redact(code && !message.includes(code) ? `${code} ${message}` : message, known);
  }
  return redact(String(error), known);
}

/** The part of a middy request the error middleware touches. */
interface MiddyErrorRequest {
  error?: unknown;
}

/**
 * A middy middleware that redacts the error a handler throws before middy rethrows it to the Lambda
 * runtime (which logs message and stack). Register it first so its onError runs last, after the
 * other middlewares (Powertools) have seen the error — they log through redactingLog anyway.
 */
export function redactErrors(): { onError: (request: MiddyErrorRequest) => void } {
  return {
    onError(request) {
      if (request.error !== undefined) request.error = redactError(request.error);
    },
  };
}
