/** Shared fixtures for the alert router tests: a three-level config and the alarm event samples. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventFacts } from '../../../lambdas/alert-router/event';
import type { AlarmFacts } from '../../../lambdas/alert-router/format';
import { routerSettings } from '../../../lambdas/alert-router/settings';
import { configSchema, type NightshiftConfigInput } from '../../../lib/config/schema';
import { canonicalSeverities } from '../../../lib/config/severity-names';

export const TOPICS = [
  'arn:aws:sns:eu-west-1:123456789012:shop-team',
  'arn:aws:sns:eu-west-1:123456789012:shop-oncall',
  'arn:aws:sns:eu-west-1:123456789012:shop-lead',
];

/**
 * Parsed by the schema after severity aliases are resolved, as validateConfig does; without its
 * cross-field rules, so tests may name maintenance targets that the config does not define.
 */
export function testConfig(alerts: Partial<NightshiftConfigInput['alerts']> = {}) {
  const raw = {
    project: 'shop',
    region: 'eu-west-1',
    timezone: 'Europe/London',
    alerts: {
      levels: [
        { name: 'team', email: ['dev@example.com', 'ops@example.com'] },
        { name: 'oncall', sms: ['+447700900123'] },
        { name: 'lead', email: ['lead@example.com'], sms: ['+447700900456'] },
      ],
      severities: {
        critical: {
          escalateAfter: '15m',
          repeatEvery: '30m',
          runbook: 'https://wiki.example.com/runbooks/shop',
        },
        high: { escalateAfter: '30m', repeatEvery: '1h' },
        medium: { notify: 'team', escalateAfter: '2h', repeatEvery: '4h' },
        low: { notify: 'lead', escalateAfter: '12h', repeatEvery: '24h' },
      },
      logPatterns: [
        { name: 'auth-failed', logGroup: '/ecs/shop-api', pattern: '"authentication failed"', threshold: 5 },
      ],
      ...alerts,
    },
  };
  const { data, issues } = canonicalSeverities(raw);
  if (issues.length) throw new Error(JSON.stringify(issues));
  return configSchema.parse(data);
}

export function testSettings(alerts: Partial<NightshiftConfigInput['alerts']> = {}) {
  return routerSettings(testConfig(alerts), TOPICS);
}

export type FixtureName =
  | 'metric-alarm'
  | 'metric-ok'
  | 'insufficient-data'
  | 'composite-alarm'
  | 'metric-math-alarm'
  | 'log-pattern-alarm';

/** The fields tests change; the rest of the sample stays as recorded. */
export interface FixtureEvent {
  id: string;
  resources: string[];
  detail: {
    alarmName: string;
    state: { value: string; timestamp: string };
    previousState: { value: string; timestamp: string };
    configuration: { description?: string };
  };
}

export function fixture(name: FixtureName): FixtureEvent {
  return JSON.parse(
    readFileSync(join(import.meta.dirname, '../../fixtures/alarm-events', `${name}.json`), 'utf8'),
  ) as FixtureEvent;
}

/** A fixture with the alarm renamed and the description replaced (user alarms, long names…). */
export function variant(
  name: FixtureName,
  patch: { alarmName?: string; description?: string | null; stateTime?: string },
): FixtureEvent {
  const event = fixture(name);
  if (patch.alarmName) {
    event.detail.alarmName = patch.alarmName;
    event.resources = [`arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${patch.alarmName}`];
  }
  if (patch.description === null) delete event.detail.configuration.description;
  else if (patch.description !== undefined) event.detail.configuration.description = patch.description;
  if (patch.stateTime) event.detail.state.timestamp = patch.stateTime;
  return event;
}

/**
 * The facts the router renders for a fixture event: the api target of project shop, critical, with a
 * runbook (without the measured metric and triggering alarms, which callers add when they render them).
 */
export function fixtureFacts(name: FixtureName, over: Partial<AlarmFacts> = {}): AlarmFacts {
  const e = eventFacts(fixture(name) as never);
  return {
    project: 'shop',
    alarmName: e.alarmName,
    alarmArn: e.alarmArn,
    region: e.region,
    kind: e.kind,
    severity: 'critical',
    target: 'api',
    summary: 'api health check failing',
    state: e.state,
    previousState: e.previousState,
    changedAt: e.changedAt,
    reason: e.reason,
    value: e.value,
    threshold: e.threshold,
    comparison: e.comparison,
    runbook: 'https://wiki.example.com/runbooks/api',
    ...over,
  };
}
