/**
 * Maintenance windows: planned work during which notifications (not alarms) are held. A window is
 * either recurring (cron + duration, in the config time zone) or one-off (start/end), and covers every
 * alarm or only the named targets/alarms.
 */
import { durationMs, nextRuns } from '../../lib/config/primitives';
import type { MaintenanceWindow } from '../../lib/config/schema';

export interface ActiveWindow {
  readonly name: string;
  readonly start: Date;
  readonly end: Date;
}

function covers(window: MaintenanceWindow, names: readonly string[]): boolean {
  if (!window.targets || window.targets.length === 0) return true;
  return window.targets.some((t) => names.includes(t));
}

function windowName(window: MaintenanceWindow, index: number): string {
  return window.name ?? `maintenance #${index + 1}`;
}

/** The window (if any) that covers `at` for an alarm known by `names`; the latest-ending one wins. */
export function activeWindow(
  windows: readonly MaintenanceWindow[],
  at: Date,
  timeZone: string,
  names: readonly string[],
): ActiveWindow | undefined {
  let found: ActiveWindow | undefined;
  windows.forEach((window, index) => {
    if (!covers(window, names)) return;
    let candidate: ActiveWindow | undefined;
    if (window.start && window.end) {
      const start = new Date(window.start);
      const end = new Date(window.end);
      if (start <= at && at < end) candidate = { name: windowName(window, index), start, end };
    } else if (window.cron && window.duration) {
      const length = durationMs(window.duration);
      // The first start after (at - length) is the only one whose window can still be open at `at`.
      const [start] = nextRuns(window.cron, timeZone, new Date(at.getTime() - length - 1), 1);
      if (start && start <= at && at.getTime() < start.getTime() + length) {
        candidate = { name: windowName(window, index), start, end: new Date(start.getTime() + length) };
      }
    }
    if (candidate && (!found || candidate.end > found.end)) found = candidate;
  });
  return found;
}
