/**
 * Turns whatever a check threw into a reason a person understands: `ECONNREFUSED 127.0.0.1:5999`,
 * `timed out after 2000 ms`, `certificate has expired`. Never a stack trace; always redacted.
 */
import { redact } from '../../shared/redact';
import { CheckFailed, CheckTimedOut } from './types';

const TLS_REASONS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate is not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain is not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate chain is incomplete or not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'certificate issuer is not trusted',
  ERR_TLS_CERT_ALTNAME_INVALID: 'certificate does not match the host name',
};

interface ErrnoLike {
  code?: unknown;
  address?: unknown;
  port?: unknown;
  hostname?: unknown;
  syscall?: unknown;
  message?: unknown;
  errors?: unknown;
  cause?: unknown;
  name?: unknown;
}

/** Reason text for a thrown value; `known` are secret values to redact. */
export function reasonFor(error: unknown, timeoutMs: number, known: readonly string[] = []): string {
  return redact(rawReason(error, timeoutMs, 0), known);
}

function rawReason(error: unknown, timeoutMs: number, depth: number): string {
  if (error instanceof CheckFailed || error instanceof CheckTimedOut) return error.message;
  if (typeof error !== 'object' || error === null) return String(error);
  const e = error as ErrnoLike;
  const name = typeof e.name === 'string' ? e.name : '';
  if (name === 'AbortError' || name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
  if (e.cause instanceof CheckTimedOut) return e.cause.message;
  // net's happy-eyeballs (several addresses) and some drivers wrap the real errors
  if (Array.isArray(e.errors) && e.errors.length > 0 && depth < 3) {
    const reasons = [...new Set(e.errors.map((inner) => rawReason(inner, timeoutMs, depth + 1)))];
    return reasons.slice(0, 2).join('; ');
  }
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = firstLine(typeof e.message === 'string' ? e.message : String(error));
  if (code && TLS_REASONS[code]) return TLS_REASONS[code];
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    const host = typeof e.hostname === 'string' ? e.hostname : hostFromMessage(message);
    return `${code} ${host ?? ''} (DNS lookup failed)`.replace('  ', ' ');
  }
  if (code === 'ETIMEDOUT' || /\btimed? ?out\b/i.test(message) || /timeout/i.test(name)) {
    return `timed out after ${timeoutMs} ms`;
  }
  if (code && /^E[A-Z]+$/.test(code)) {
    if (typeof e.address === 'string') {
      return typeof e.port === 'number' ? `${code} ${e.address}:${e.port}` : `${code} ${e.address}`;
    }
    // ioredis and others re-wrap net errors as "connect ECONNREFUSED 127.0.0.1:6379"
    const match = new RegExp(`${code}\\s+(\\S+)`).exec(message);
    return match ? `${code} ${match[1]}` : code;
  }
  if (!message && e.cause !== undefined && depth < 3) return rawReason(e.cause, timeoutMs, depth + 1);
  return message || name || 'unknown error';
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

function hostFromMessage(message: string): string | undefined {
  return /ENOTFOUND\s+(\S+)/.exec(message)?.[1];
}
