/**
 * AWS size limits the config must fit, checked by validateConfig after the schema and the cross-field
 * rules. Each check builds the same value the construct writes into the template (the router's and the
 * status page's Lambda environment, a health schedule's input), so `nightshift validate` rejects what
 * `cdk synth` could not deploy, and the constructs trust the config.
 */
import { routerSettings } from '../../lambdas/alert-router/settings';
import { healthEventTarget } from '../../lambdas/health-check/event';
import {
  DEFAULT_CACHE_SECONDS,
  type IncidentKind,
  type StatusPageSettings,
} from '../../lambdas/status-page/settings';
import type { PathSegment } from './path';
import { effectiveHealthTargets } from './resolved';
import type { NightshiftConfig } from './schema';

/** Lambda limits all environment variables together to 4 KB: the alert router's settings get this much. */
export const MAX_ROUTER_SETTINGS_CHARS = 3_500;
/** The status page's settings (one variable of its 4 KB environment) get this much. */
export const MAX_STATUS_SETTINGS_CHARS = 3_800;
/**
 * Largest schedule input (JSON characters) one schedule carries; more targets on the same interval are
 * split over several schedules that fire together, each invocation checking its share.
 */
export const MAX_SCHEDULE_INPUT = 8_000;
/** Room a schedule input needs beside its targets (schedule name, flags). */
export const SCHEDULE_INPUT_OVERHEAD = 64;

/** The alert router's settings with level topic ARNs as long as real ones: what its environment carries. */
export function routerSettingsProbe(config: NightshiftConfig): ReturnType<typeof routerSettings> {
  return routerSettings(
    config,
    config.alerts.levels.map(
      (l) => `arn:aws:sns:xx-xxxxxxxxx-1:123456789012:${config.project}-alerts-${l.name}`,
    ),
  );
}

/** Characters one target takes in a health schedule's input (its event entry and a comma). */
export function healthTargetInputChars(target: Parameters<typeof healthEventTarget>[0]): number {
  return JSON.stringify(healthEventTarget(target)).length + 1;
}

/**
 * The status page's settings at their largest: every target's down alarm (and its latency alarm when
 * maxLatency is set) and the longest period, so the real settings are never longer.
 */
export function statusSettingsProbe(config: NightshiftConfig): StatusPageSettings | undefined {
  const section = config.statusPage;
  if (!section) return undefined;
  const byName = new Map(effectiveHealthTargets(config).map((t) => [t.target.name, t]));
  return {
    project: config.project,
    title: section.title,
    public: section.public,
    cacheSeconds: DEFAULT_CACHE_SECONDS,
    targets: section.targets.map((entry) => {
      const target = typeof entry === 'string' ? entry : entry.target;
      const alarms: Record<string, IncidentKind> = { [`${config.project}-health-${target}-down`]: 'down' };
      if (byName.get(target)?.maxLatencyMs !== undefined)
        alarms[`${config.project}-health-${target}-latency`] = 'slow';
      return {
        target,
        display: typeof entry === 'string' ? entry : entry.name,
        periodMs: 86_400_000,
        alarms,
      };
    }),
  };
}

/** Size problems of an otherwise valid config, each naming the field to shorten. */
export function limitIssues(config: NightshiftConfig): { path: PathSegment[]; message: string }[] {
  const issues: { path: PathSegment[]; message: string }[] = [];
  const router = JSON.stringify(routerSettingsProbe(config)).length;
  if (router > MAX_ROUTER_SETTINGS_CHARS) {
    issues.push({
      path: ['alerts'],
      message: `the alert router's settings come to ${router} characters, over the ${MAX_ROUTER_SETTINGS_CHARS} that fit a Lambda environment — shorten alerts.maintenance windows or alerts.logPatterns, or split them over projects`,
    });
  }
  effectiveHealthTargets(config).forEach((target, index) => {
    const chars = healthTargetInputChars(target);
    if (chars + SCHEDULE_INPUT_OVERHEAD > MAX_SCHEDULE_INPUT) {
      issues.push({
        path: ['healthChecks', 'targets', index],
        message: `this target takes ${chars} characters of a schedule input, over the ${MAX_SCHEDULE_INPUT - SCHEDULE_INPUT_OVERHEAD} that fit — shorten its headers, body, conditions or rules`,
      });
    }
  });
  const status = statusSettingsProbe(config);
  const statusChars = status ? JSON.stringify(status).length : 0;
  if (statusChars > MAX_STATUS_SETTINGS_CHARS) {
    issues.push({
      path: ['statusPage', 'targets'],
      message: `the page's settings come to ${statusChars} characters, over the ${MAX_STATUS_SETTINGS_CHARS} that fit a Lambda environment — list fewer targets or give them shorter display names`,
    });
  }
  return issues;
}
