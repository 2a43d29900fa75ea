/**
 * Redaction of credentials from any text that may reach a log, an error, CLI output or a message:
 * URL userinfo passwords, key=value / "key": "value" passwords, and explicitly known secret values.
 */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^/@\s:]*:)([^@\s/]+)(@)/gi;
const KEY_VALUE =
  /\b(password|passwd|pwd|secret|token|apikey|api_key|authorization)(\s*[=:]\s*|"\s*:\s*")([^\s"&,;]+)/gi;
const PG_ENV = /\b(PGPASSWORD=)(\S+)/g;

export const REDACTED = '***';

/** Returns text with credentials replaced by ***; `known` adds exact values (e.g. a resolved password). */
export function redact(text: string, known: readonly (string | undefined)[] = []): string {
  let out = text
    .replace(URL_PASSWORD, `$1${REDACTED}$3`)
    .replace(KEY_VALUE, `$1$2${REDACTED}`)
    .replace(PG_ENV, `$1${REDACTED}`);
  for (const value of known) {
    if (value && value.length >= 3) out = out.split(value).join(REDACTED);
  }
  return out;
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
