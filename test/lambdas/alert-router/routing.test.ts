import { describe, expect, it } from 'vitest';
import { escalationLevels, needsTags, routingDecision } from '../../../lambdas/alert-router/routing';
import { encodeAlarmDescription } from '../../../lambdas/shared/alarm-metadata';
import { testSettings } from './support';

const settings = testSettings({
  routeAlarms: { tagKey: 'team:page', namePrefix: 'RDS-', severity: 'medium' },
});
const own = encodeAlarmDescription('api down', { severity: 'critical', target: 'api', project: 'shop' });

describe('routingDecision', () => {
  it('routes Nightshift alarms by their description, without needing tags', () => {
    expect(needsTags(own)).toBe(false);
    expect(routingDecision(settings, { name: 'shop-health-api-down', description: own })).toMatchObject({
      routed: true,
      severity: 'critical',
      target: 'api',
      summary: 'api down',
      runbook: 'https://wiki.example.com/runbooks/shop',
    });
  });

  it('routes opted-in alarms by tag (configured key or nightshift:severity) and by name prefix', () => {
    expect(needsTags('plain description')).toBe(true);
    const tagged = (tags: Record<string, string>) =>
      routingDecision(settings, { name: 'queue-depth', description: 'plain', tags });
    expect(tagged({ 'team:page': 'low' })).toMatchObject({ routed: true, severity: 'low' });
    expect(tagged({ 'nightshift:severity': 'high' })).toMatchObject({ routed: true, severity: 'high' });
    expect(tagged({ 'team:page': 'yes' })).toMatchObject({ routed: true, severity: 'medium' });
    expect(tagged({ team: 'payments' })).toMatchObject({ routed: false });
    expect(routingDecision(settings, { name: 'RDS-CPU' })).toMatchObject({
      routed: true,
      severity: 'medium',
    });
  });

  it('never routes another project’s alarms or Auto Scaling target-tracking alarms', () => {
    const theirs = encodeAlarmDescription('x', { severity: 'high', project: 'blog' });
    expect(routingDecision(settings, { name: 'shop-x', description: theirs })).toMatchObject({
      routed: false,
    });
    expect(
      routingDecision(settings, { name: 'shop-y', tags: { 'nightshift:project': 'blog' } }),
    ).toMatchObject({ routed: false });
    expect(
      routingDecision(settings, {
        name: 'TargetTracking-table-AlarmHigh',
        tags: { 'nightshift:severity': 'high' },
      }),
    ).toMatchObject({ routed: false });
  });

  it('gives the levels a severity notifies, first one first', () => {
    expect(escalationLevels(settings, 'high')).toEqual(['team', 'oncall', 'lead']);
    expect(escalationLevels(settings, 'low')).toEqual(['lead']);
  });
});

describe('routingDecision with severity aliases', () => {
  const aliased = testSettings({
    severities: { aliases: { SEV1: 'critical', SEV2: 'high', SEV3: 'medium', SEV4: 'low' } },
    routeAlarms: { tagKey: 'team:page', severity: 'SEV3' },
  });
  const tagged = (tags: Record<string, string>) =>
    routingDecision(aliased, { name: 'queue-depth', description: 'plain', tags });

  it('reads the runbook name from the tag value, in either tag and any case', () => {
    expect(aliased.routeAlarms.severity).toBe('medium');
    expect(tagged({ 'team:page': 'SEV1' })).toMatchObject({ routed: true, severity: 'critical' });
    expect(tagged({ 'nightshift:severity': 'sev4' })).toMatchObject({ routed: true, severity: 'low' });
    expect(tagged({ 'nightshift:severity': 'high' })).toMatchObject({ routed: true, severity: 'high' });
  });

  it('falls back to routeAlarms.severity for a tag value that is neither a severity nor an alias', () => {
    expect(tagged({ 'team:page': 'SEV9' })).toMatchObject({ routed: true, severity: 'medium' });
  });
});
