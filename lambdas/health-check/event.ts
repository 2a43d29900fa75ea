/**
 * The health-check job's event: what each schedule passes to the function. Built at synth time from the
 * validated config (healthEvent), checked at run time without pulling the config schema into the bundle
 * (parseHealthEvent).
 */
import type { EffectiveHealthTarget } from '../../lib/config/resolved';
import type { HealthKind } from '../../lib/config/schema';
import { type MetricsSent, SCHEDULED_TIME } from './metrics';

export interface HealthEvent {
  /** Name of the schedule that sent the event (informational). */
  readonly schedule?: string | undefined;
  /** Targets of this schedule with their defaults applied; secret names only. */
  readonly targets: EffectiveHealthTarget[];
  /** The schedule's period in ms: when the daily metrics are sent (sendsDailyMetrics). */
  readonly periodMs?: number | undefined;
  /** Which values the checks send (MetricsSent). @default 'all' */
  readonly metricsSent?: MetricsSent | undefined;
  /** Check only these (manual invocations). */
  readonly onlyTargets?: string[] | undefined;
  /**
   * Check sub-minute targets at every slot of the minute (written on the schedules of sub-minute
   * targets). Unset: each target once (a manual invocation).
   */
  readonly repeat?: boolean | undefined;
  /**
   * The time the schedule fired for (ISO 8601): the schedule input says SCHEDULED_TIME, which
   * EventBridge Scheduler replaces. Left as written (an input copied by hand): unknown.
   */
  readonly scheduledTime?: string | undefined;
}

/** The event is not what the HealthChecks construct writes: redeploy, or fix a hand-written test event. */
export class InvalidHealthEvent extends Error {
  constructor(detail: string) {
    super(
      `health-check event is invalid: ${detail} — the schedule input is written by "cdk deploy"; redeploy, or copy the input of the health-check schedule when invoking by hand`,
    );
    this.name = 'InvalidHealthEvent';
  }
}

// a copy of HEALTH_KINDS: importing the schema at run time would bundle zod and cron-parser
const KINDS: readonly string[] = [
  'http',
  'tcp',
  'postgres',
  'mongodb',
  'redis',
  'prometheus',
] satisfies HealthKind[];

export function parseHealthEvent(event: unknown): HealthEvent {
  if (event === null || typeof event !== 'object') throw new InvalidHealthEvent('not an object');
  const { schedule, periodMs, metricsSent, targets, onlyTargets, repeat, scheduledTime } = event as Record<
    string,
    unknown
  >;
  if (!Array.isArray(targets)) throw new InvalidHealthEvent('"targets" is not a list');
  targets.forEach((item, index) => {
    const t = item as Partial<EffectiveHealthTarget> | null;
    const where = `targets[${index}]`;
    if (t === null || typeof t !== 'object') throw new InvalidHealthEvent(`${where} is not an object`);
    if (typeof t.target?.name !== 'string') throw new InvalidHealthEvent(`${where}.target.name is missing`);
    if (typeof t.kind !== 'string' || !KINDS.includes(t.kind) || !t.target[t.kind as HealthKind]) {
      throw new InvalidHealthEvent(`${where} (${t.target.name}) has no valid kind`);
    }
    if (typeof t.timeoutMs !== 'number' || t.timeoutMs <= 0) {
      throw new InvalidHealthEvent(`${where} (${t.target.name}) has no timeoutMs`);
    }
    if (t.maxLatencyMs !== undefined && typeof t.maxLatencyMs !== 'number') {
      throw new InvalidHealthEvent(`${where} (${t.target.name}) has a maxLatencyMs that is not a number`);
    }
    if (t.intervalMs !== undefined && !(typeof t.intervalMs === 'number' && t.intervalMs > 0)) {
      throw new InvalidHealthEvent(
        `${where} (${t.target.name}) has an intervalMs that is not a positive number`,
      );
    }
  });
  if (
    onlyTargets !== undefined &&
    (!Array.isArray(onlyTargets) || onlyTargets.some((n) => typeof n !== 'string'))
  ) {
    throw new InvalidHealthEvent('"onlyTargets" is not a list of names');
  }
  if (periodMs !== undefined && (typeof periodMs !== 'number' || !(periodMs > 0))) {
    throw new InvalidHealthEvent('"periodMs" is not a positive number');
  }
  if (repeat !== undefined && typeof repeat !== 'boolean') {
    throw new InvalidHealthEvent('"repeat" is not true or false');
  }
  const known = scheduledTime !== undefined && scheduledTime !== SCHEDULED_TIME;
  if (known && (typeof scheduledTime !== 'string' || Number.isNaN(Date.parse(scheduledTime)))) {
    throw new InvalidHealthEvent('"scheduledTime" is not an ISO 8601 time');
  }
  if (metricsSent !== undefined && metricsSent !== 'all' && metricsSent !== 'breaches') {
    throw new InvalidHealthEvent('"metricsSent" is neither "all" nor "breaches"');
  }
  return {
    ...(repeat !== undefined ? { repeat } : {}),
    ...(known ? { scheduledTime: scheduledTime as string } : {}),
    schedule: typeof schedule === 'string' ? schedule : undefined,
    periodMs,
    metricsSent: metricsSent as MetricsSent | undefined,
    targets: targets as EffectiveHealthTarget[],
    onlyTargets: onlyTargets as string[] | undefined,
  };
}

/** What the event carries of a target: everything the check needs, nothing only the CDK side uses. */
export function healthEventTarget(target: EffectiveHealthTarget): EffectiveHealthTarget {
  const { runbook: _runbook, ...rest } = target;
  return rest;
}
