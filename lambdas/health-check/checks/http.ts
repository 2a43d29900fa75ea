/**
 * http(s): one request with node:http/https (a fresh connection each time, so latency and the peer
 * certificate are real), bounded redirects, status/body/JSON conditions and TLS days left.
 */
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type PeerCertificate, type TLSSocket, connect as tlsConnect } from 'node:tls';
import type { HttpCheck } from '../../../lib/config/schema';
import { formatBytes } from '../../shared/format';
import { redact, registerSecret } from '../../shared/redact';
import { HealthMetric } from '../metrics';
import { evaluateConditions } from './json-conditions';
import {
  answered,
  type CheckContext,
  CheckFailed,
  type CheckMetric,
  type CheckOutcome,
  elapsedMs,
} from './types';

/** Redirects followed at most (a loop or a long chain is a failure). */
export const MAX_REDIRECTS = 5;
/** Bytes of body read for body and JSON conditions; the rest is discarded. */
export const MAX_BODY_BYTES = 1024 * 1024;
const DAY_MS = 86_400_000;

interface Answer {
  readonly status: number;
  readonly statusText: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly truncated: boolean;
  readonly certificate?: PeerCertificate | undefined;
}

export async function checkHttp(spec: HttpCheck, ctx: CheckContext): Promise<CheckOutcome> {
  const headers = await resolveHeaders(spec, ctx);
  const needBody = spec.bodyContains !== undefined || spec.bodyMatches !== undefined || spec.json.length > 0;
  const start = performance.now();
  const configured = new URL(spec.url);
  let url = configured;
  let method: string = spec.method;
  let body = spec.body;
  let sendHeaders = headers.all;
  let answer: Answer | undefined;
  let certificate: PeerCertificate | undefined;
  for (let hop = 0; ; hop++) {
    try {
      answer = await send(url, method, sendHeaders, body, needBody, ctx);
    } catch (error) {
      if (hop === 0 && isExpiryError(error) && configured.protocol === 'https:') {
        return expiredOutcome(configured, ctx, spec.tls !== false);
      }
      throw error;
    }
    if (hop === 0) certificate = answer.certificate;
    const location = answer.headers.location;
    if (!spec.followRedirects || !isRedirect(answer.status) || !location) break;
    if (hop >= MAX_REDIRECTS)
      throw new CheckFailed(`more than ${MAX_REDIRECTS} redirects (last to ${location})`);
    const next = new URL(location, url);
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      throw new CheckFailed(`redirect to unsupported URL scheme ${next.protocol}`);
    }
    if (answer.status === 303 || ((answer.status === 301 || answer.status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
    }
    // like browsers: credentials configured for one origin never travel to another
    if (next.origin !== configured.origin) sendHeaders = headers.plain;
    url = next;
  }
  const latencyMs = elapsedMs(start);
  const failures: string[] = [];
  const warnings: string[] = [];
  const metrics: CheckMetric[] = [];

  if (!statusMatches(answer.status, spec.expectStatus)) {
    failures.push(`status ${answer.status}, expected ${describeExpected(spec.expectStatus)}`);
  }
  // a server may echo request headers into its body: never quote a body the secret went out with
  if (needBody) failures.push(...bodyFailures(answer, spec, sendHeaders === headers.all && headers.secret));

  if (configured.protocol === 'https:' && spec.tls !== false) {
    const warnDays = spec.tls?.warnDays ?? 14;
    const criticalDays = spec.tls?.criticalDays ?? 7;
    const validTo = certificate?.valid_to ? Date.parse(certificate.valid_to) : Number.NaN;
    if (!Number.isNaN(validTo)) {
      const daysLeft = (validTo - ctx.now().getTime()) / DAY_MS;
      metrics.push({
        name: HealthMetric.TlsDaysLeft,
        unit: 'Count',
        value: Math.round(daysLeft * 100) / 100,
      });
      // An expiring certificate is the tls-warn/-critical alarms' page: the target still answers, and
      // marking it down as well would page a second time for the same certificate. Once expired, the
      // handshake fails and the target is down.
      if (daysLeft <= Math.max(warnDays, criticalDays)) warnings.push(expiresIn(daysLeft));
    }
  }

  const where = url.href === configured.href ? '' : ` from ${url.origin}${url.pathname}`;
  const detail = `${answer.status} ${answer.statusText}${where}, ${formatBytes(answer.body.length)}${answer.truncated ? '+' : ''}`;
  return answered({ latencyMs, detail: detail.replace(/, 0 B$/, ''), failures, warnings, metrics });
}

/**
 * All configured headers, and those whose value did not come from a secret (for other origins). Secret
 * values are registered for redaction. Also used by the prometheus kind.
 */
export async function resolveHeaders(
  spec: Pick<HttpCheck, 'headers'>,
  ctx: CheckContext,
): Promise<{ all: OutgoingHttpHeaders; plain: OutgoingHttpHeaders; secret: boolean }> {
  let secret = false;
  const all: OutgoingHttpHeaders = { 'user-agent': 'nightshift-health-check' };
  const plain: OutgoingHttpHeaders = { 'user-agent': 'nightshift-health-check' };
  for (const [name, value] of Object.entries(spec.headers)) {
    if (typeof value === 'string') {
      all[name.toLowerCase()] = value;
      plain[name.toLowerCase()] = value;
      continue;
    }
    const text = await ctx.secrets.getSecretString(value.secret);
    let headerValue = text;
    if (value.key !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new CheckFailed(`secret ${value.secret} is not JSON, so it has no key "${value.key}"`);
      }
      const field = (parsed as Record<string, unknown> | null)?.[value.key];
      if (field === undefined || field === null || typeof field === 'object') {
        throw new CheckFailed(`secret ${value.secret} has no string key "${value.key}" (header ${name})`);
      }
      headerValue = String(field);
    }
    registerSecret(headerValue);
    // "Bearer <token>": a server may echo the credential without its scheme word
    for (const word of headerValue.split(/\s+/)) if (word.length >= 8) registerSecret(word);
    ctx.known.push(headerValue);
    secret = true;
    all[name.toLowerCase()] = headerValue;
  }
  return { all, plain, secret };
}

function send(
  url: URL,
  method: string,
  headers: OutgoingHttpHeaders,
  body: string | undefined,
  readBody: boolean,
  ctx: CheckContext,
): Promise<Answer> {
  const https = url.protocol === 'https:';
  const request = https ? httpsRequest : httpRequest;
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
        agent: false,
        signal: ctx.signal,
        timeout: ctx.timeoutMs,
        ...(https && ctx.trustedCa?.length ? { ca: [...ctx.trustedCa] } : {}),
      },
      (res) => {
        const certificate = https ? (res.socket as TLSSocket).getPeerCertificate() : undefined;
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        const finish = () =>
          resolve({
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? '',
            headers: res.headers,
            body: Buffer.concat(chunks),
            truncated,
            certificate,
          });
        if (!readBody || method === 'HEAD') {
          res.resume();
          res.once('end', finish);
          res.once('error', reject);
          return;
        }
        res.on('data', (chunk: Buffer) => {
          if (truncated) return;
          const room = MAX_BODY_BYTES - size;
          if (chunk.length >= room) {
            chunks.push(chunk.subarray(0, room));
            size = MAX_BODY_BYTES;
            truncated = true;
            finish();
            res.destroy();
            return;
          }
          chunks.push(chunk);
          size += chunk.length;
        });
        res.once('end', finish);
        res.once('error', (error) => {
          if (!truncated) reject(error);
        });
      },
    );
    req.once('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.once('error', reject);
    req.end(body);
  });
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

export function statusMatches(status: number, expect: HttpCheck['expectStatus']): boolean {
  if (typeof expect === 'number') return status === expect;
  if (Array.isArray(expect)) return expect.includes(status);
  const [from, to] = expect.split('-').map(Number);
  return status >= (from ?? 0) && status <= (to ?? 0);
}

function describeExpected(expect: HttpCheck['expectStatus']): string {
  if (Array.isArray(expect)) return expect.length === 1 ? String(expect[0]) : `one of ${expect.join(', ')}`;
  return String(expect);
}

/** `carriedSecret`: true when the request carried a secret header, so no excerpt of the body is shown. */
function bodyFailures(answer: Answer, spec: HttpCheck, carriedSecret: boolean): string[] {
  const failures: string[] = [];
  const text = answer.body.toString('utf8');
  if (spec.bodyContains !== undefined && !text.includes(spec.bodyContains)) {
    failures.push(`body does not contain ${JSON.stringify(spec.bodyContains)}`);
  }
  if (spec.bodyMatches !== undefined && !new RegExp(spec.bodyMatches).test(text)) {
    failures.push(`body does not match /${spec.bodyMatches}/`);
  }
  if (spec.json.length > 0) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      failures.push(
        answer.truncated
          ? `body is larger than ${formatBytes(MAX_BODY_BYTES)}, cannot check JSON conditions`
          : `body is not JSON${bodyExcerpt(text, carriedSecret)}`,
      );
      return failures;
    }
    failures.push(...evaluateConditions(parsed, spec.json));
  }
  return failures;
}

/**
 * " (starts with "…")" for a reason: redacted before it is cut (a cut secret would no longer match),
 * and omitted when the request carried a secret header (the server may echo it in any encoding).
 */
function bodyExcerpt(text: string, carriedSecret: boolean): string {
  const trimmed = text.trim();
  if (!trimmed) return ' (empty)';
  if (carriedSecret) return ' (not quoted: the request carried a secret header)';
  return ` (starts with ${JSON.stringify(redact(trimmed).slice(0, 20))})`;
}

function expiresIn(daysLeft: number): string {
  if (daysLeft <= 0) return expiredAgo(-daysLeft);
  if (daysLeft < 1) return `certificate expires in ${Math.max(1, Math.round(daysLeft * 24))} h`;
  const days = Math.round(daysLeft);
  return `certificate expires in ${days} day${days === 1 ? '' : 's'}`;
}

function expiredAgo(daysAgo: number): string {
  if (daysAgo < 1) return `certificate expired ${Math.max(1, Math.round(daysAgo * 24))} h ago`;
  const days = Math.round(daysAgo);
  return `certificate expired ${days} day${days === 1 ? '' : 's'} ago`;
}

function isExpiryError(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'CERT_HAS_EXPIRED';
}

/**
 * The request failed because the certificate expired: read the certificate over a bare TLS handshake
 * (nothing is sent, so no header or secret reaches an unverified server) to say since when, and report
 * the (negative) days left so the TLS alarm fires too.
 */
async function expiredOutcome(url: URL, ctx: CheckContext, tlsMetric: boolean): Promise<CheckOutcome> {
  const down = (reason: string, metrics: CheckMetric[] = []): CheckOutcome => ({
    up: false,
    reason,
    detail: 'TLS handshake refused',
    warnings: [],
    metrics,
  });
  let certificate: PeerCertificate;
  try {
    certificate = await peekCertificate(url, ctx);
  } catch {
    return down('certificate has expired');
  }
  const validTo = Date.parse(certificate.valid_to);
  if (Number.isNaN(validTo)) return down('certificate has expired');
  const daysLeft = (validTo - ctx.now().getTime()) / DAY_MS;
  const metrics: CheckMetric[] = tlsMetric
    ? [{ name: HealthMetric.TlsDaysLeft, unit: 'Count', value: Math.round(daysLeft * 100) / 100 }]
    : [];
  return down(`${expiresIn(daysLeft)} (${new Date(validTo).toISOString().slice(0, 10)})`, metrics);
}

function peekCertificate(url: URL, ctx: CheckContext): Promise<PeerCertificate> {
  return new Promise<PeerCertificate>((resolve, reject) => {
    const socket = tlsConnect({
      host: url.hostname,
      port: Number(url.port || 443),
      servername: isIp(url.hostname) ? undefined : url.hostname,
      rejectUnauthorized: false,
      timeout: ctx.timeoutMs,
    });
    const onAbort = () => socket.destroy(new Error('aborted'));
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    socket.once('close', () => ctx.signal.removeEventListener('abort', onAbort));
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate();
      socket.destroy();
      resolve(peer);
    });
    socket.once('timeout', () => socket.destroy(new Error('timed out')));
    socket.once('error', reject);
  });
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':') || host.startsWith('[');
}
