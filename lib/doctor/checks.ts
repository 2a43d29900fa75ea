/**
 * The verdicts of `nightshift doctor`, as pure functions: what the synthesized app expects (expected.ts)
 * and what the account answered in, one row per thing checked out. No AWS calls here — the command
 * (lib/cli/commands/doctor.ts) gathers the answers.
 *
 * Statuses: ok; pending (nothing wrong yet, e.g. a metric that appears at the job's first run); warn
 * (worth a look, does not make the account unhealthy); fail (makes `doctor` exit 1).
 */
import { maskContact } from '../../lambdas/shared/mask';
import { nextRuns } from '../config/primitives';
import { formatInZone } from '../plan';
import type {
  ExpectedAlarm,
  ExpectedBucket,
  ExpectedDimension,
  ExpectedMetric,
  ExpectedSchedule,
  ExpectedTopic,
} from './expected';

export type CheckStatus = 'ok' | 'pending' | 'warn' | 'fail';
export type CheckArea = 'alarm' | 'schedule' | 'job' | 'dlq' | 'subscription' | 'sms' | 'bucket' | 'table';

export interface CheckRow {
  readonly area: CheckArea;
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
}

/** CloudWatch lists a metric only if it had data in the last two weeks. */
export const LIST_METRICS_WINDOW_MS = 14 * 24 * 3_600_000;
/** How far back job runs and errors are counted. */
export const ACTIVITY_WINDOW_MS = 24 * 3_600_000;

// ---------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------

/** "Nightshift BackupSucceeded {Project=shop, Target=db}". */
export function describeMetric(metric: {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: readonly ExpectedDimension[];
}): string {
  return `${metric.namespace} ${metric.metricName} ${dimensionText(metric.dimensions)}`;
}

function dimensionText(dimensions: readonly ExpectedDimension[]): string {
  return `{${dimensions.map((d) => `${d.name}=${d.value}`).join(', ')}}`;
}

// ---------------------------------------------------------------------------------------------
// Jobs and schedules
// ---------------------------------------------------------------------------------------------

/** A function as the account reports it. */
export interface FunctionState {
  readonly name: string;
  /** Lambda's LastModified: the last deployment of the function. */
  readonly deployedAt?: Date | undefined;
  readonly invocations: number;
  readonly errors: number;
}

/** The first run of `schedule` at or after `from`. */
function firstRunAfter(schedule: ExpectedSchedule, from: Date): Date | undefined {
  return nextRuns(schedule.expression, schedule.timeZone, new Date(from.getTime() - 1), 1)[0];
}

/**
 * Whether any schedule fired between `since` and `now`, and the earliest next run of those that did
 * not. A schedule that has not fired yet explains a missing metric or a job with no runs yet.
 */
export function scheduleActivity(
  schedules: readonly ExpectedSchedule[],
  since: Date,
  now: Date,
): { anyFired: boolean; nextUnfired?: { at: Date; schedule: ExpectedSchedule } } {
  let nextUnfired: { at: Date; schedule: ExpectedSchedule } | undefined;
  let anyFired = false;
  for (const schedule of schedules) {
    const first = firstRunAfter(schedule, since);
    if (first && first.getTime() <= now.getTime()) {
      anyFired = true;
      continue;
    }
    const at = first ?? firstRunAfter(schedule, now);
    if (at && (!nextUnfired || at < nextUnfired.at)) nextUnfired = { at, schedule };
  }
  return { anyFired, ...(nextUnfired ? { nextUnfired } : {}) };
}

function windowStart(now: Date, windowMs: number, deployedAt: Date | undefined): Date {
  const start = new Date(now.getTime() - windowMs);
  return deployedAt && deployedAt > start ? deployedAt : start;
}

export function checkSchedule(
  expected: ExpectedSchedule,
  actual:
    | {
        readonly state?: string | undefined;
        readonly expression?: string | undefined;
        readonly timeZone?: string | undefined;
      }
    | undefined,
  now: Date,
): CheckRow {
  const row = (status: CheckStatus, detail: string): CheckRow => ({
    area: 'schedule',
    name: expected.name,
    status,
    detail,
  });
  if (!actual) return row('fail', `not found in schedule group "${expected.group}" — run cdk deploy`);
  if (actual.state !== 'ENABLED') {
    return row(
      'fail',
      `${actual.state ?? 'unknown state'}: the job does not run — enable it (aws scheduler update-schedule … --state ENABLED, or redeploy)`,
    );
  }
  if (actual.expression !== expected.expression || (actual.timeZone ?? 'UTC') !== expected.timeZone) {
    return row(
      'fail',
      `runs ${actual.expression} (${actual.timeZone ?? 'UTC'}) but the app says ${expected.expression} (${expected.timeZone}) — redeploy`,
    );
  }
  const next = firstRunAfter(expected, now);
  return row(
    'ok',
    `enabled, ${expected.expression}${next ? `, next run ${formatInZone(next, expected.timeZone)}` : ''}`,
  );
}

export function checkJob(
  job: { readonly functionName: string; readonly schedules: readonly ExpectedSchedule[] },
  state: FunctionState | undefined,
  now: Date,
): CheckRow {
  const row = (status: CheckStatus, detail: string): CheckRow => ({
    area: 'job',
    name: job.functionName,
    status,
    detail,
  });
  if (!state) return row('fail', 'function not found — run cdk deploy');
  const counts = `${state.invocations} run${state.invocations === 1 ? '' : 's'}, ${state.errors} error${state.errors === 1 ? '' : 's'} in the last 24 h`;
  if (state.errors > 0) {
    return row('fail', `${counts} — see its log group and "nightshift alarms"`);
  }
  if (state.invocations === 0) {
    const since = windowStart(now, ACTIVITY_WINDOW_MS, state.deployedAt);
    const activity = scheduleActivity(job.schedules, since, now);
    if (activity.anyFired || !activity.nextUnfired) {
      return row(
        'fail',
        `${counts}, though a schedule was due — check the schedules and the dead-letter queue`,
      );
    }
    const { at, schedule } = activity.nextUnfired;
    return row('pending', `no runs yet — first run at ${formatInZone(at, schedule.timeZone)}`);
  }
  return row('ok', counts);
}

// ---------------------------------------------------------------------------------------------
// Alarms
// ---------------------------------------------------------------------------------------------

/** What ListMetrics returned for one alarm metric queried with its full dimension set. */
export type ListedDimensions = readonly ExpectedDimension[];

function sameSet(a: readonly ExpectedDimension[], b: readonly ExpectedDimension[]): boolean {
  return a.length === b.length && a.every((d) => b.some((e) => e.name === d.name && e.value === d.value));
}

/**
 * One alarm: every metric it watches must exist with exactly its dimension set. A metric listed only
 * with more dimensions is published under another identity, so the alarm never sees it (fail). A
 * missing metric is "no data yet" while the emitting job has not had its first run.
 */
export function checkAlarm(
  alarm: ExpectedAlarm,
  listed: readonly (readonly ListedDimensions[])[],
  emitter:
    | { readonly state: FunctionState | undefined; readonly schedules: readonly ExpectedSchedule[] }
    | undefined,
  now: Date,
): CheckRow {
  const row = (status: CheckStatus, detail: string): CheckRow => ({
    area: 'alarm',
    name: alarm.name,
    status,
    detail,
  });
  if (alarm.metrics.length === 0) return row('ok', 'no metric (composite alarm)');
  const problems = alarm.metrics
    .map((metric, i) => ({ metric, found: listed[i] ?? [] }))
    .filter(({ metric, found }) => !found.some((dims) => sameSet(dims, metric.dimensions)));
  const first = problems[0];
  if (!first) {
    return row('ok', alarm.metrics.map((m) => describeMetric(m)).join(' · '));
  }
  const { metric, found } = first;
  const other = found[0];
  if (other) {
    return row(
      'fail',
      `${metric.namespace} ${metric.metricName} is published with ${dimensionText(other)} but the alarm watches ${dimensionText(metric.dimensions)} — CloudWatch matches dimension sets exactly, so the alarm never sees a datapoint`,
    );
  }
  return missingMetric(alarm, metric, emitter, now, row);
}

function missingMetric(
  alarm: ExpectedAlarm,
  metric: ExpectedMetric,
  emitter: Parameters<typeof checkAlarm>[2],
  now: Date,
  row: (status: CheckStatus, detail: string) => CheckRow,
): CheckRow {
  const what = describeMetric(metric);
  if (metric.onlyWhenBreaching) {
    return row('ok', `${what}: no failure in the last 2 weeks (the checks send it only when breaching)`);
  }
  if (emitter && emitter.schedules.length > 0) {
    const since = windowStart(now, LIST_METRICS_WINDOW_MS, emitter.state?.deployedAt);
    const activity = scheduleActivity(emitter.schedules, since, now);
    if (activity.nextUnfired) {
      const { at, schedule } = activity.nextUnfired;
      return row('pending', `no data yet — first run at ${formatInZone(at, schedule.timeZone)} (${what})`);
    }
    if (metric.source !== 'external') {
      return row(
        'fail',
        `${what} has no data in the last 2 weeks although ${alarm.emitter ?? 'its job'} was scheduled to run — the job publishes it under other dimensions, or not at all`,
      );
    }
  }
  if (metric.source === 'resource') {
    return row('pending', `no data yet — AWS publishes ${what} once the resource is used`);
  }
  if (metric.source === 'job') {
    return row('warn', `${what} has no data in the last 2 weeks`);
  }
  return row(
    'warn',
    `${what} has no data in the last 2 weeks — check that ${dimensionText(metric.dimensions)} names a live resource`,
  );
}

// ---------------------------------------------------------------------------------------------
// Queues, topics, SMS, buckets, tables
// ---------------------------------------------------------------------------------------------

export interface QueueDepth {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}

export function checkDeadLetterQueue(name: string, depth: QueueDepth | undefined): CheckRow {
  const row = (status: CheckStatus, detail: string): CheckRow => ({ area: 'dlq', name, status, detail });
  if (!depth) return row('fail', 'queue not found — run cdk deploy');
  const total = depth.visible + depth.inFlight + depth.delayed;
  if (total === 0) return row('ok', 'empty');
  return row(
    'fail',
    `${total} message${total === 1 ? '' : 's'} (${depth.visible} visible, ${depth.inFlight} in flight, ${depth.delayed} delayed): events that were never delivered — read them with "aws sqs receive-message", fix the cause, then purge`,
  );
}

/** A subscription as ListSubscriptionsByTopic returns it. */
export interface ListedSubscription {
  readonly SubscriptionArn?: string | undefined;
  readonly Protocol?: string | undefined;
  readonly Endpoint?: string | undefined;
}

/** One row per expected subscription; `listed` undefined when the topic does not exist. */
export function checkSubscriptions(
  topic: ExpectedTopic,
  listed: readonly ListedSubscription[] | undefined,
): CheckRow[] {
  if (!listed) {
    return [
      { area: 'subscription', name: topic.name, status: 'fail', detail: 'topic not found — run cdk deploy' },
    ];
  }
  return topic.subscriptions.map((sub) => {
    const name = `${topic.name} ${sub.protocol} ${maskContact(sub.endpoint)}`;
    const match = listed.find((l) => l.Protocol === sub.protocol && l.Endpoint === sub.endpoint);
    if (!match)
      return { area: 'subscription', name, status: 'fail', detail: 'not subscribed — run cdk deploy' };
    if (match.SubscriptionArn === 'PendingConfirmation') {
      return {
        area: 'subscription',
        name,
        status: 'fail',
        detail:
          sub.protocol === 'email' || sub.protocol === 'email-json'
            ? `pending confirmation: ${maskContact(sub.endpoint)} has to open the "AWS Notification - Subscription Confirmation" e-mail and click "Confirm subscription"`
            : 'pending confirmation',
      };
    }
    return { area: 'subscription', name, status: 'ok', detail: 'confirmed' };
  });
}

export interface SmsAccount {
  readonly inSandbox: boolean;
  /** MonthlySpendLimit from GetSMSAttributes, in USD; AWS's default is 1 when unset. */
  readonly monthlySpendLimitUsd?: number | undefined;
}

/** AWS's monthly SMS spend limit for an account that never set one. */
export const DEFAULT_SMS_SPEND_LIMIT_USD = 1;

export function checkSms(
  topics: readonly ExpectedTopic[],
  account: SmsAccount,
  alarmThresholdUsd: number | undefined,
): CheckRow[] {
  const numbers = topics.flatMap((t) => t.subscriptions).filter((s) => s.protocol === 'sms').length;
  const limit = account.monthlySpendLimitUsd ?? DEFAULT_SMS_SPEND_LIMIT_USD;
  const rows: CheckRow[] = [];
  if (numbers === 0) {
    rows.push({
      area: 'sms',
      name: 'sandbox',
      status: 'ok',
      detail: `${account.inSandbox ? 'in the SMS sandbox' : 'out of the SMS sandbox'}; no SMS subscribers`,
    });
    return rows;
  }
  rows.push(
    account.inSandbox
      ? {
          area: 'sms',
          name: 'sandbox',
          status: 'fail',
          detail: `the account is in the SMS sandbox: texts reach only verified numbers (${numbers} SMS subscriber${numbers === 1 ? '' : 's'}) — request production access in the SNS console (Text messaging (SMS) → Sandbox → Exit SMS sandbox)`,
        }
      : { area: 'sms', name: 'sandbox', status: 'ok', detail: 'out of the SMS sandbox' },
  );
  const limitText = `${limit} USD${account.monthlySpendLimitUsd === undefined ? ' (AWS default)' : ''}`;
  if (alarmThresholdUsd !== undefined && limit < alarmThresholdUsd) {
    rows.push({
      area: 'sms',
      name: 'spend limit',
      status: 'fail',
      detail: `account limit ${limitText} is below the sms-spend alarm at ${alarmThresholdUsd} USD: texts stop before the alarm can fire — raise the limit (SNS → Text messaging (SMS) → Edit text messaging preferences)`,
    });
  } else {
    rows.push({
      area: 'sms',
      name: 'spend limit',
      status: 'ok',
      detail: `account limit ${limitText}${alarmThresholdUsd !== undefined ? `, alarm at ${alarmThresholdUsd} USD` : ''}`,
    });
  }
  return rows;
}

/** `rules` undefined: the bucket does not exist; empty: it has no lifecycle configuration. */
export function checkBucket(
  expected: ExpectedBucket,
  rules: readonly { readonly ID?: string | undefined; readonly Status?: string | undefined }[] | undefined,
): CheckRow {
  const row = (status: CheckStatus, detail: string): CheckRow => ({
    area: 'bucket',
    name: expected.name,
    status,
    detail,
  });
  if (!rules) return row('fail', 'bucket not found — run cdk deploy of the data stack');
  const enabled = new Set(rules.filter((r) => r.Status === 'Enabled').map((r) => r.ID));
  const missing = expected.lifecycleRules.filter((id) => !enabled.has(id));
  if (missing.length > 0) {
    return row(
      'fail',
      `lifecycle rule${missing.length === 1 ? '' : 's'} ${missing.join(', ')} missing or disabled — old objects are not expired; redeploy the data stack`,
    );
  }
  return row('ok', `${expected.lifecycleRules.length} lifecycle rules enabled`);
}

export function checkTable(name: string, status: string | undefined): CheckRow {
  if (status === undefined)
    return { area: 'table', name, status: 'fail', detail: 'table not found — run cdk deploy' };
  if (status !== 'ACTIVE' && status !== 'UPDATING')
    return { area: 'table', name, status: 'fail', detail: status };
  return { area: 'table', name, status: 'ok', detail: status };
}

// ---------------------------------------------------------------------------------------------
// Summary
// ---------------------------------------------------------------------------------------------

export interface DoctorSummary {
  readonly healthy: boolean;
  readonly counts: Readonly<Record<CheckStatus, number>>;
}

export function summarize(rows: readonly CheckRow[]): DoctorSummary {
  const counts: Record<CheckStatus, number> = { ok: 0, pending: 0, warn: 0, fail: 0 };
  for (const row of rows) counts[row.status]++;
  return { healthy: counts.fail === 0, counts };
}
