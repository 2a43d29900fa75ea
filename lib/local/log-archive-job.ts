/**
 * `nightshift run`'s log archive job. There is no CloudWatch Logs locally, so it archives a small
 * synthetic day (yesterday) for the configured groups from an in-memory LogsSource — the same core,
 * layout and manifest as in AWS — and then reads the archive back through the search core, to show
 * the round trip. `nightshift archive-logs` archives real CloudWatch Logs with your credentials.
 */
import { dayZone, previousDay } from '../../lambdas/log-archive/day';
import { run } from '../../lambdas/log-archive/log-archive';
import { searchArchive } from '../../lambdas/log-archive/search';
import { type MemoryLogGroup, memoryLogsSource, type SourceEvent } from '../../lambdas/log-archive/source';
import type { LogArchiveConfig } from '../config/schema';
import type { LocalJob, LocalJobReport } from './jobs';

const PATHS = ['/api/orders', '/api/customers', '/api/cart', '/health', '/api/checkout', '/static/app.js'];
const STATUSES = [200, 200, 200, 200, 201, 204, 304, 400, 404, 500];

/** Deterministic, realistic-looking access and error log events spread over [startMs, endMs). */
export function syntheticLogEvents(count: number, startMs: number, endMs: number, seed = 7): SourceEvent[] {
  let state = seed >>> 0;
  const random = () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return state / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const events: SourceEvent[] = [];
  for (let i = 0; i < count; i++) {
    const timestamp = startMs + Math.floor(((endMs - startMs) * i) / count);
    const stream = `2025/01/01/[$LATEST]${(0x1000 + (i % 3)).toString(16)}${'a7c3e9'.repeat(4)}`;
    const status = pick(STATUSES);
    const requestId = Math.floor(random() * 2 ** 48)
      .toString(16)
      .padStart(12, '0');
    const message =
      status >= 500
        ? `ERROR request ${requestId} failed: upstream timeout after ${Math.floor(random() * 3000)} ms\n`
        : `INFO ${pick(['GET', 'POST', 'PUT'])} ${pick(PATHS)}/${Math.floor(random() * 10_000)} ${status} ${Math.floor(random() * 400)}ms req=${requestId}\n`;
    events.push({ timestamp, stream, message });
  }
  return events;
}

/** One synthetic group per selector: the name itself, `<prefix>app`, or a group carrying the tag. */
export function syntheticGroups(
  config: LogArchiveConfig,
  startMs: number,
  endMs: number,
  perGroup = 2_000,
): MemoryLogGroup[] {
  return config.groups
    .filter((selector) => selector.mode === 'api')
    .map((selector, i) => {
      const name =
        selector.name ??
        (selector.prefix ? `${selector.prefix}app` : `/demo/tagged-${selector.tag?.key ?? i}`);
      const tags = selector.tag ? { [selector.tag.key]: selector.tag.value ?? 'true' } : undefined;
      return { name, tags, events: syntheticLogEvents(perGroup, startMs, endMs, i + 7) };
    });
}

export const logArchiveJob: LocalJob = {
  name: 'log-archive',
  enabled: (config) => config.logArchive !== undefined,
  async run(context): Promise<LocalJobReport> {
    const section = context.config.logArchive;
    if (!section) return { job: 'log-archive', ok: true, lines: ['no logArchive section'] };
    const window = previousDay(context.now(), dayZone(section.day, context.config.timezone));
    const groups = syntheticGroups(section, window.startMs, window.endMs);
    const apiSelectors = section.groups.filter((selector) => selector.mode === 'api');
    if (apiSelectors.length === 0) {
      return {
        job: 'log-archive',
        ok: true,
        lines: ['no mode: api groups (export-task and firehose run in AWS only)'],
      };
    }
    const report = await run(
      {
        source: memoryLogsSource(groups, 500),
        s3: context.s3,
        bucket: context.buckets.logs,
        config: { ...section, groups: apiSelectors },
        timeZone: context.config.timezone,
        project: context.config.project,
        log: context.log,
        metrics: context.metrics,
        now: context.now,
        progress: context.progress,
      },
      { date: window.date, force: true },
    );
    const lines = [
      `${window.date} (${window.timeZone}): synthetic log day — CloudWatch Logs is not available locally; \`nightshift archive-logs\` archives the real one`,
    ];
    for (const g of report.groups) {
      lines.push(
        `${g.group}  ${g.outcome}  ${g.events} events → ${g.parts} part(s), ${(g.bytes / 1024).toFixed(1)} KiB zstd${g.error ? `  ${g.error}` : ''}`,
      );
    }
    const first = report.groups.find((g) => g.outcome === 'complete');
    if (first) {
      let read = 0;
      let errors = 0;
      for await (const event of searchArchive({
        s3: context.s3,
        bucket: context.buckets.logs,
        group: first.group,
        date: window.date,
      })) {
        read++;
        if (event.message.startsWith('ERROR')) errors++;
      }
      lines.push(
        `read back ${first.group}: ${read} events, ${errors} ERROR lines, as \`nightshift logs search ${first.group} --date ${window.date} --grep ERROR\` reads a deployed archive (this demo store is removed at exit)`,
      );
    }
    lines.push(`manifest s3://${context.buckets.logs}/${report.manifestKey}`);
    return {
      job: 'log-archive',
      ok: report.groups.every((g) => g.outcome !== 'failed'),
      lines,
      detail: report,
    };
  },
};
