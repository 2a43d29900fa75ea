import { describe, expect, it } from 'vitest';
import { effectiveHealthTargets, parseConfigText, severityPolicy, validateConfig } from '../../../lib/config';
import { resolveSeverity, severityName } from '../../../lib/config/severity-names';

const P = { P0: 'critical', P1: 'high', P2: 'medium', P3: 'low' } as const;
const base = {
  project: 'shop',
  region: 'eu-west-1',
  alerts: { levels: [{ name: 'team', email: ['team@example.com'] }], severities: { aliases: P } },
};

function problems(raw: unknown): string[] {
  const result = validateConfig(raw);
  return result.ok ? [] : result.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('severity aliases', () => {
  it('maps names both ways, ignoring case, and shows the first alias of a severity', () => {
    expect(resolveSeverity(P, 'P1')).toBe('high');
    expect(resolveSeverity(P, 'p0')).toBe('critical');
    expect(resolveSeverity(P, 'Medium')).toBe('medium');
    expect(resolveSeverity(P, 'P4')).toBeUndefined();
    expect(severityName(P, 'high')).toBe('P1');
    expect(severityName({ SEV1: 'critical', Sev0: 'critical' }, 'critical')).toBe('SEV1');
    expect(severityName({}, 'low')).toBe('low');
  });

  it('accepts aliases in severity fields and policy keys, and resolves them to Nightshift severities', () => {
    const result = validateConfig({
      ...base,
      alerts: {
        ...base.alerts,
        severities: { aliases: P, P0: { escalateAfter: '15m' }, P2: { escalateAfter: '4h' } },
        routeAlarms: { severity: 'P2' },
        alarms: [
          { name: 'db-cpu', preset: 'rds-cpu', dimensions: { DBInstanceIdentifier: 'db' }, severity: 'P0' },
        ],
        logPatterns: [{ name: 'auth', logGroup: '/app', pattern: 'denied', severity: 'p3' }],
      },
      healthChecks: {
        defaults: { severity: 'P1' },
        targets: [
          { name: 'api', http: { url: 'https://api.example.com/health' } },
          { name: 'web', http: { url: 'https://example.com/' }, severity: 'P0' },
        ],
      },
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const { alerts } = result.config;
    expect(alerts.routeAlarms.severity).toBe('medium');
    expect(alerts.alarms[0]?.severity).toBe('critical');
    expect(alerts.logPatterns[0]?.severity).toBe('low');
    expect(effectiveHealthTargets(result.config).map((t) => t.severity)).toEqual(['high', 'critical']);
    expect(severityPolicy(result.config, 'medium').escalateAfterMs).toBe(4 * 3_600_000);
    expect(alerts.severities.aliases).toEqual(P);
  });

  it('names the known severities and aliases when a severity is unknown', () => {
    expect(
      problems({
        ...base,
        healthChecks: { targets: [{ name: 'api', http: { url: 'https://a.example/' }, severity: 'P5' }] },
      }),
    ).toEqual([
      'healthChecks.targets.0.severity: unknown severity "P5" — use critical, high, medium, low or P0, P1, P2, P3',
    ]);
    expect(problems({ ...base, alerts: { ...base.alerts, severities: { aliases: P, SEV1: {} } } })).toEqual([
      'alerts.severities.SEV1: unknown severity "SEV1" — use critical, high, medium, low or P0, P1, P2, P3',
    ]);
  });

  it('without aliases, points to alerts.severities.aliases', () => {
    const [problem] = problems({
      ...base,
      alerts: { levels: base.alerts.levels, routeAlarms: { severity: 'P1' } },
    });
    expect(problem).toBe(
      'alerts.routeAlarms.severity: unknown severity "P1" — use critical, high, medium, low, or map your own names under alerts.severities.aliases',
    );
  });

  it('rejects an alias that is a Nightshift name, that maps to an unknown severity, or a policy written twice', () => {
    expect(
      problems({ ...base, alerts: { ...base.alerts, severities: { aliases: { High: 'critical' } } } }),
    ).toEqual([
      'alerts.severities.aliases.High: "High" is already a Nightshift severity — an alias must be another name, e.g. P1',
    ]);
    expect(
      problems({ ...base, alerts: { ...base.alerts, severities: { aliases: { P1: 'urgent' } } } })[0],
    ).toMatch(/^alerts\.severities\.aliases\.P1: .*critical, high, medium, low/);
    expect(
      problems({ ...base, alerts: { ...base.alerts, severities: { aliases: P, high: {}, P1: {} } } }),
    ).toEqual(['alerts.severities.P1: high is already configured — write its policy once']);
  });

  it('promoteAfter raises to the next more severe severity unless promoteTo (a name or alias) says otherwise', () => {
    const result = validateConfig({
      ...base,
      alerts: {
        ...base.alerts,
        severities: { aliases: P, P2: { promoteAfter: '30m' }, P3: { promoteAfter: '2h', promoteTo: 'P0' } },
      },
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(severityPolicy(result.config, 'medium')).toMatchObject({
      promoteAfterMs: 1_800_000,
      promoteTo: 'high',
    });
    expect(severityPolicy(result.config, 'low')).toMatchObject({
      promoteAfterMs: 7_200_000,
      promoteTo: 'critical',
    });
    expect(severityPolicy(result.config, 'high').promoteAfterMs).toBeUndefined();
  });

  it('rejects promotions that do not raise the severity, naming the allowed ones', () => {
    const severities = (policies: Record<string, unknown>) => ({
      ...base,
      alerts: { ...base.alerts, severities: { aliases: P, ...policies } },
    });
    expect(problems(severities({ P0: { promoteAfter: '30m' } }))).toEqual([
      'alerts.severities.P0.promoteAfter: P0 is the most severe severity — there is nothing to raise it to; remove promoteAfter',
    ]);
    expect(problems(severities({ P1: { promoteAfter: '30m', promoteTo: 'P2' } }))).toEqual([
      'alerts.severities.P1.promoteTo: P2 is not more severe than P1 — promote to one of P0',
    ]);
    expect(problems(severities({ P2: { promoteTo: 'P1' } }))).toEqual([
      'alerts.severities.P2.promoteAfter: required with promoteTo — how long before the alarm is raised, e.g. 30m',
    ]);
  });

  it('an error in a policy keyed by an alias names the key and line as written', () => {
    const yaml = [
      'project: shop',
      'region: eu-west-1',
      'alerts:',
      '  levels: [{ name: team, email: [team@example.com] }]',
      '  severities:',
      '    aliases: { P0: critical }',
      '    P0: { escalateAfter: soon }',
    ].join('\n');
    expect(() => parseConfigText(yaml, 'nightshift.config.yaml')).toThrow(
      /alerts\.severities\.P0\.escalateAfter \(line 7\): "soon" is not a duration/,
    );
  });
});
