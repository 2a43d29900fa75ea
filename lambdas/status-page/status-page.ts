/**
 * The status-page core: answers the Function URL's requests (`/` HTML, `/status.json`) from a status
 * that is rebuilt at most once per `cacheSeconds` per function instance (and told to CloudFront and
 * browsers by Cache-Control), and records incidents from the alarm state changes of the page's targets.
 */
import type { Log } from '../shared/log';
import { reasonOf } from '../shared/redact';
import { closeIncidents, openIncident } from './incidents';
import { renderHtml } from './render';
import type { StatusPageSettings } from './settings';
import { buildStatus, type PublicStatus, type StatusDeps } from './status';

export interface HttpRequest {
  readonly method: string;
  readonly path: string;
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface ServeDeps extends StatusDeps {
  readonly log: Log;
}

interface CacheEntry {
  readonly key: string;
  readonly status: PublicStatus;
  readonly builtAt: number;
}

/** One status per function instance; page views within cacheSeconds share it. */
let cache: CacheEntry | undefined;

/** Forgets the cached status (tests; a new deployment starts new instances anyway). */
export function clearStatusCache(): void {
  cache = undefined;
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

async function currentStatus(
  deps: ServeDeps,
  settings: StatusPageSettings,
): Promise<{ status: PublicStatus; ageSeconds: number }> {
  const key = JSON.stringify(settings);
  const now = deps.now().getTime();
  if (cache && cache.key === key && now - cache.builtAt < settings.cacheSeconds * 1000) {
    return { status: cache.status, ageSeconds: Math.floor((now - cache.builtAt) / 1000) };
  }
  try {
    const status = await buildStatus(deps, settings);
    cache = { key, status, builtAt: now };
    return { status, ageSeconds: 0 };
  } catch (error) {
    // stale beats nothing: an older status is served (with its time) while CloudWatch or DynamoDB fail
    if (cache && cache.key === key) {
      deps.log.warn('status rebuild failed; serving the previous one', { reason: reasonOf(error) });
      return { status: cache.status, ageSeconds: Math.floor((now - cache.builtAt) / 1000) };
    }
    throw error;
  }
}

export async function serve(
  deps: ServeDeps,
  settings: StatusPageSettings,
  request: HttpRequest,
): Promise<HttpResponse> {
  const text = (statusCode: number, body: string, extra: Record<string, string> = {}): HttpResponse => ({
    statusCode,
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
      ...SECURITY_HEADERS,
      ...extra,
    },
    body,
  });
  if (request.method !== 'GET' && request.method !== 'HEAD')
    return text(405, 'Method not allowed\n', { allow: 'GET, HEAD' });
  const route =
    request.path === '/' || request.path === ''
      ? 'html'
      : request.path === '/status.json'
        ? 'json'
        : undefined;
  if (!route) return text(404, 'Not found\n');
  let result: { status: PublicStatus; ageSeconds: number };
  try {
    result = await currentStatus(deps, settings);
  } catch (error) {
    deps.log.error('status unavailable', { reason: reasonOf(error) });
    return text(503, 'Status temporarily unavailable, try again in a minute.\n', { 'retry-after': '60' });
  }
  const maxAge = Math.max(1, settings.cacheSeconds - result.ageSeconds);
  const cacheControl = settings.public
    ? `public, max-age=${maxAge}, s-maxage=${maxAge}, stale-if-error=600`
    : `private, max-age=${maxAge}`;
  const body = route === 'html' ? renderHtml(result.status) : `${JSON.stringify(result.status, null, 2)}\n`;
  return {
    statusCode: 200,
    headers: {
      'content-type': route === 'html' ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8',
      'cache-control': cacheControl,
      ...SECURITY_HEADERS,
    },
    body: request.method === 'HEAD' ? '' : body,
  };
}

/** The fields of an EventBridge "CloudWatch Alarm State Change" event the hook reads. */
export interface AlarmChange {
  readonly alarmName: string;
  readonly state: string;
  readonly time: string;
}

export function alarmChangeOf(event: unknown): AlarmChange | undefined {
  const e = event as {
    'detail-type'?: unknown;
    time?: unknown;
    detail?: { alarmName?: unknown; state?: { value?: unknown; timestamp?: unknown } };
  };
  if (e?.['detail-type'] !== 'CloudWatch Alarm State Change') return undefined;
  const name = e.detail?.alarmName;
  const state = e.detail?.state?.value;
  if (typeof name !== 'string' || typeof state !== 'string') return undefined;
  const stamp = e.detail?.state?.timestamp ?? e.time;
  const time =
    typeof stamp === 'string' && !Number.isNaN(Date.parse(stamp)) ? new Date(stamp).toISOString() : undefined;
  return time ? { alarmName: name, state, time } : undefined;
}

export type AlarmOutcome =
  | { readonly action: 'ignored'; readonly reason: string }
  | { readonly action: 'opened' | 'already open'; readonly target: string; readonly kind: string }
  | { readonly action: 'closed'; readonly target: string; readonly kind: string; readonly count: number };

/** ALARM opens an incident of the alarm's kind for its target, OK closes it; other states change nothing. */
export async function recordAlarm(
  deps: StatusDeps,
  settings: StatusPageSettings,
  change: AlarmChange,
): Promise<AlarmOutcome> {
  const target = settings.targets.find((t) => change.alarmName in t.alarms);
  const kind = target?.alarms[change.alarmName];
  if (!target || !kind) return { action: 'ignored', reason: 'not an alarm of a status-page target' };
  if (change.state === 'ALARM') {
    const action = await openIncident(deps.dynamo, deps.table, target.target, kind, change.time);
    if (action === 'opened') clearStatusCache();
    return { action, target: target.target, kind };
  }
  if (change.state === 'OK') {
    const count = await closeIncidents(deps.dynamo, deps.table, target.target, kind, change.time);
    if (count) clearStatusCache();
    return { action: 'closed', target: target.target, kind, count };
  }
  return { action: 'ignored', reason: `state ${change.state} neither opens nor closes an incident` };
}
