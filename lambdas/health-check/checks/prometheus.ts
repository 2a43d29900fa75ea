/**
 * prometheus: scrapes a /metrics endpoint (text exposition format; headers from secrets like the http
 * kind), evaluates the target's rules against it and the previous scrape (kept in a ScrapeStateStore),
 * and returns one RuleValue metric per rule that has a value. Up is the scrape: it is down when the
 * endpoint does not answer, answers with a non-2xx status, or with something that is not the format.
 * A rule over its threshold is a warning here; paging is its alarm's job (for:, severity).
 */
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { PrometheusCheck, PrometheusRule } from '../../../lib/config/prometheus';
import { formatBytes } from '../../shared/format';
import { HealthMetric } from '../metrics';
import { evaluateRules, type RuleValue } from '../prometheus/rules';
import { NotPrometheusText, parseSamples } from '../prometheus/samples';
import { MemoryScrapeState, type ScrapeStateStore } from '../prometheus/state';
import { resolveHeaders } from './http';
import { type CheckContext, CheckFailed, type CheckMetric, type CheckOutcome, elapsedMs } from './types';

/** Largest metrics page read; an app exposing more is cut off and reported down. */
export const MAX_METRICS_BYTES = 10 * 1024 * 1024;
/** The text format, not OpenMetrics or protobuf (what Prometheus itself asks for, minus those). */
const ACCEPT = 'text/plain;version=0.0.4;q=1,*/*;q=0.1';

/** Where scrapes are kept when the caller gives no store: this process (local runs, `nightshift check`). */
const processState = new MemoryScrapeState();

export async function checkPrometheus(
  spec: PrometheusCheck,
  target: string,
  ctx: CheckContext,
): Promise<CheckOutcome> {
  const store: ScrapeStateStore = ctx.scrapeState ?? processState;
  const warnings: string[] = [];
  // read the previous scrape while this one is on the wire; a store failure costs the rates, not the check
  const previous = store.load(target).catch((error: unknown) => {
    warnings.push(`previous scrape could not be read (${errorText(error)}): rates start again`);
    return undefined;
  });
  const headers = await resolveHeaders(spec, ctx);
  const start = performance.now();
  const page = await scrape(new URL(spec.url), headers.all, ctx);
  const latencyMs = elapsedMs(start);
  const scrapedAtMs = ctx.now().getTime();
  if (page.status < 200 || page.status > 299) {
    return {
      up: false,
      latencyMs,
      reason: `status ${page.status} from the metrics endpoint, expected 200-299`,
      detail: `${page.status} ${page.statusText}`,
      warnings: [],
      metrics: [],
    };
  }
  let samples: ReturnType<typeof parseSamples>;
  try {
    samples = parseSamples(page.body);
  } catch (error) {
    if (error instanceof NotPrometheusText) throw new CheckFailed(error.message);
    throw error;
  }
  const before = await previous;
  const evaluation = evaluateRules(spec.rules, samples, before, scrapedAtMs);
  if (Object.keys(evaluation.state.series).length > 0 || before !== undefined) {
    await store.save(target, evaluation.state).catch((error: unknown) => {
      warnings.push(`this scrape could not be kept for the next one (${errorText(error)})`);
    });
  }
  const metrics: CheckMetric[] = [];
  for (const result of evaluation.values) {
    if (result.value === undefined) continue;
    metrics.push({ name: HealthMetric.RuleValue, unit: 'None', value: result.value, rule: result.rule });
  }
  const rules = new Map(spec.rules.map((r) => [r.name, r]));
  for (const result of evaluation.values) {
    const breach = breached(rules.get(result.rule), result);
    if (breach) warnings.push(breach);
  }
  return {
    up: true,
    latencyMs,
    detail: `${samples.length} samples, ${formatBytes(Buffer.byteLength(page.body))}; ${evaluation.values.map(describeValue).join(', ')}`,
    warnings,
    metrics,
  };
}

function describeValue(result: RuleValue): string {
  return result.value === undefined
    ? `${result.rule}: no value (${result.missing})`
    : `${result.rule} = ${round(result.value)}`;
}

function breached(rule: PrometheusRule | undefined, result: RuleValue): string | undefined {
  if (!rule || result.value === undefined) return undefined;
  if (rule.above !== undefined && result.value > rule.above)
    return `${rule.name} = ${round(result.value)}, above ${rule.above}`;
  if (rule.below !== undefined && result.value < rule.below)
    return `${rule.name} = ${round(result.value)}, below ${rule.below}`;
  return undefined;
}

function round(value: number): string {
  return String(Number(value.toPrecision(4)));
}

function errorText(error: unknown): string {
  if (error instanceof Error)
    return error.name === 'Error' ? error.message : `${error.name}: ${error.message}`;
  return String(error);
}

interface Page {
  readonly status: number;
  readonly statusText: string;
  readonly body: string;
}

/** One GET, fresh connection, no redirects (a metrics endpoint that redirects is misconfigured). */
function scrape(url: URL, headers: OutgoingHttpHeaders, ctx: CheckContext): Promise<Page> {
  const https = url.protocol === 'https:';
  const request = https ? httpsRequest : httpRequest;
  return new Promise<Page>((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        headers: { accept: ACCEPT, ...headers },
        agent: false,
        signal: ctx.signal,
        timeout: ctx.timeoutMs,
        ...(https && ctx.trustedCa?.length ? { ca: [...ctx.trustedCa] } : {}),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 299) {
          res.resume();
          resolve({ status, statusText: res.statusMessage ?? '', body: '' });
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_METRICS_BYTES) {
            res.destroy();
            reject(
              new CheckFailed(
                `metrics page is larger than ${formatBytes(MAX_METRICS_BYTES)} — expose fewer series`,
              ),
            );
            return;
          }
          chunks.push(chunk);
        });
        res.once('end', () =>
          resolve({
            status,
            statusText: res.statusMessage ?? '',
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.once('error', reject);
      },
    );
    req.once('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.once('error', reject);
    req.end();
  });
}
