/**
 * How a Nightshift alarm carries its routing facts. The CDK side writes them into the alarm description
 * (last line, machine-readable) and as alarm tags; the alert router reads the description first (it comes
 * with the EventBridge event) and falls back to tags (ListTagsForResource) for user alarms that opt in.
 */
import type { Severity } from '../../lib/config/primitives';

export const SEVERITY_TAG = 'nightshift:severity';
export const TARGET_TAG = 'nightshift:target';
export const MARKER = 'nightshift:';

export interface AlarmMetadata {
  readonly severity: Severity;
  /** Target or job the alarm is about, e.g. "api" or "backup/postgres". */
  readonly target?: string | undefined;
  /** Runbook link quoted in messages. */
  readonly runbook?: string | undefined;
  /** Project the alarm belongs to. */
  readonly project?: string | undefined;
}

/** Human summary on top, then one machine line: `nightshift: {"severity":"critical",...}`. */
export function encodeAlarmDescription(summary: string, meta: AlarmMetadata): string {
  const machine = `${MARKER} ${JSON.stringify(meta)}`;
  const room = 1024 - machine.length - 1; // CloudWatch limits descriptions to 1024 characters
  const human = summary.length > room ? `${summary.slice(0, Math.max(0, room - 1))}…` : summary;
  return `${human}\n${machine}`;
}

export function decodeAlarmDescription(description: string | undefined): {
  summary: string;
  meta?: AlarmMetadata;
} {
  if (!description) return { summary: '' };
  const index = description.lastIndexOf(`\n${MARKER} `);
  const start = index >= 0 ? index + 1 : description.startsWith(`${MARKER} `) ? 0 : -1;
  if (start < 0) return { summary: description };
  try {
    const meta = JSON.parse(description.slice(start + MARKER.length + 1)) as AlarmMetadata;
    if (!['critical', 'high', 'medium', 'low'].includes(meta.severity)) return { summary: description };
    return { summary: description.slice(0, Math.max(0, start - 1)), meta };
  } catch {
    return { summary: description };
  }
}
