/**
 * The page's model: per target its state, daily and 90-day uptime, and the incidents of the last
 * INCIDENT_DAYS days (open ones always). Built from the Up metric (uptime.ts) and the incident table
 * (incidents.ts), and from the settings' display names only: nothing else about a target leaves here.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { type Dynamo, listIncidents, type StoredKind } from './incidents';
import type { StatusPageSettings } from './settings';
import { type DayUptime, dayStart, readUptime } from './uptime';

/** Closed incidents older than this are not listed (open ones always are). */
export const INCIDENT_DAYS = 14;

export type TargetState = 'operational' | 'degraded' | 'down' | 'unknown';

export interface PublicIncident {
  /** Display name of the target. */
  readonly target: string;
  readonly kind: StoredKind;
  readonly openedAt: string;
  readonly closedAt: string | null;
  readonly notes: readonly { readonly at: string; readonly text: string }[];
}

export interface PublicTarget {
  readonly name: string;
  readonly state: TargetState;
  /** 0–100 with two decimals; null when no day of the last 90 has data. */
  readonly uptimePercent: number | null;
  readonly daysWithData: number;
  readonly days: readonly DayUptime[];
}

export interface PublicStatus {
  readonly title: string;
  readonly generatedAt: string;
  /** The worst state of any target. */
  readonly state: TargetState;
  readonly targets: readonly PublicTarget[];
  readonly incidents: readonly PublicIncident[];
}

export interface StatusDeps {
  readonly cloudwatch: Pick<CloudWatchClient, 'send'>;
  readonly dynamo: Dynamo;
  readonly table: string;
  readonly now: () => Date;
}

const WORST: TargetState[] = ['down', 'degraded', 'unknown', 'operational'];

/** The state of a target from its open incidents and the newest check result. */
export function stateOf(openKinds: readonly StoredKind[], latest: number | undefined): TargetState {
  if (openKinds.includes('down')) return 'down';
  if (openKinds.includes('slow')) return 'degraded';
  if (latest === undefined) return 'unknown';
  // a failed check that has not (yet) raised the alarm: some checks fail, not an outage
  return latest >= 1 ? 'operational' : 'degraded';
}

export async function buildStatus(deps: StatusDeps, settings: StatusPageSettings): Promise<PublicStatus> {
  const now = deps.now();
  const since = dayStart(now, INCIDENT_DAYS).toISOString();
  const [uptime, incidentLists] = await Promise.all([
    readUptime(deps.cloudwatch, settings.project, settings.targets, now),
    Promise.all(settings.targets.map((t) => listIncidents(deps.dynamo, deps.table, t.target, { limit: 50 }))),
  ]);
  const incidents: PublicIncident[] = [];
  const targets = settings.targets.map((t, i): PublicTarget => {
    const own = incidentLists[i] ?? [];
    const open = own.filter((x) => !x.closedAt).map((x) => x.kind);
    for (const x of own) {
      if (x.closedAt && x.openedAt < since && x.closedAt < since) continue;
      incidents.push({
        target: t.display,
        kind: x.kind,
        openedAt: x.openedAt,
        closedAt: x.closedAt ?? null,
        notes: x.notes,
      });
    }
    const u = uptime.get(t.target);
    return {
      name: t.display,
      state: stateOf(open, u?.latest?.value),
      uptimePercent: u?.uptime == null ? null : Math.floor(u.uptime * 10_000) / 100,
      daysWithData: u?.daysWithData ?? 0,
      days: u?.days ?? [],
    };
  });
  incidents.sort((a, b) => {
    const openFirst = Number(a.closedAt !== null) - Number(b.closedAt !== null);
    return openFirst || b.openedAt.localeCompare(a.openedAt);
  });
  const state = WORST.find((s) => targets.some((t) => t.state === s)) ?? 'unknown';
  return { title: settings.title, generatedAt: now.toISOString(), state, targets, incidents };
}
