import { describe, expect, it } from 'vitest';
import { escalationPlan } from '../../../lambdas/alert-router/alert-router';
import { eventFacts } from '../../../lambdas/alert-router/event';
import {
  type AlarmFacts,
  asciiSubject,
  renderAlarm,
  renderEscalation,
  renderNoData,
  renderRecovery,
  snsMessage,
} from '../../../lambdas/alert-router/format';
import {
  fitSms,
  gsm7Length,
  SMS_LIMITS,
  smsEncodingOf,
  smsLength,
  toGsm7,
} from '../../../lambdas/alert-router/sms';
import { fixture, fixtureFacts, testSettings } from './support';

const settings = testSettings();
const options = { timeZone: 'Europe/London' };

function factsFrom(name: Parameters<typeof fixture>[0], over: Partial<AlarmFacts> = {}): AlarmFacts {
  const e = eventFacts(fixture(name) as never);
  return fixtureFacts(name, { measured: e.measured, triggeringAlarms: e.triggeringAlarms, ...over });
}

describe('e-mail for an ALARM', () => {
  const facts = factsFrom('metric-alarm');
  const plan = escalationPlan(settings, 'critical', facts.changedAt);
  const message = renderAlarm(facts, plan, options);

  it('has a readable subject with severity, project and what is wrong', () => {
    expect(message.title).toBe('[CRITICAL] shop · api health check failing');
    expect(message.subject).toBe('[CRITICAL] shop - api health check failing');
  });

  it('says what is wrong, since when, the value against the threshold, runbook and console links', () => {
    expect(message.email).toContain('What is wrong: api health check failing.');
    // 17:04 UTC is 18:04 in London (BST) on 2 Oct 2024
    expect(message.email).toContain('Since: Wed 2 Oct, 18:04 BST.');
    expect(message.email).toContain('Current value: 1 — alarm when at or above 1');
    expect(message.email).toContain('Runbook: https://wiki.example.com/runbooks/api');
    expect(message.email).toContain(
      'CloudWatch: https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/shop-api-down',
    );
    expect(message.email).toContain('nightshift ack shop-api-down');
  });

  it('lists the escalation plan with clock times and the repeat rule', () => {
    expect(message.email).toMatch(/now\s+18:04\s+team \(e-mail\)/);
    expect(message.email).toMatch(/\+15 min\s+18:19\s+oncall \(SMS\)/);
    expect(message.email).toMatch(/\+30 min\s+18:34\s+lead \(e-mail and SMS\)/);
    expect(message.email).toContain('then every 30 min: lead again');
  });

  it('publishes one body per protocol with a JSON default', () => {
    const body = JSON.parse(snsMessage(message)) as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(['default', 'email', 'https', 'lambda', 'sms']);
    const json = JSON.parse(body.default ?? '{}') as Record<string, unknown>;
    expect(json).toMatchObject({
      type: 'alarm',
      severity: 'critical',
      state: 'ALARM',
      value: 1,
      threshold: 1,
    });
    expect(body.sms).toBe(message.sms);
  });
});

/** What a carrier bills for this body: its encoding and whether it fits one segment. */
function billed(sms: string) {
  const encoding = smsEncodingOf(sms);
  return {
    encoding,
    length: smsLength(sms, encoding),
    fits: smsLength(sms, encoding) <= SMS_LIMITS[encoding],
  };
}

const ALL_SAMPLES = [
  'metric-alarm',
  'metric-math-alarm',
  'composite-alarm',
  'log-pattern-alarm',
  'insufficient-data',
  'metric-ok',
] as const;

describe('SMS', () => {
  it('has severity, target, state and a short reason, in GSM-7', () => {
    const facts = factsFrom('metric-alarm');
    const sms = renderAlarm(facts, escalationPlan(settings, 'critical', facts.changedAt), options).sms;
    expect(sms).toBe('CRIT shop/api ALARM api health check failing (1 vs >=1)');
    expect(billed(sms)).toEqual({ encoding: 'GSM-7', length: sms.length, fits: true });
  });

  it.each(ALL_SAMPLES)('%s: every message of the sample event is one GSM-7 segment', (name) => {
    // a long summary with our own typography (— … “ ”) and accents, so every render is cut
    const facts = factsFrom(name, {
      summary: `Zahlungsprüfung — “naïve” retry loop … ${'x'.repeat(200)}`,
    });
    const plan = escalationPlan(settings, 'critical', facts.changedAt);
    const all = [
      renderAlarm(facts, plan, options).sms,
      renderEscalation(facts, plan, options, 1).sms,
      renderEscalation(facts, plan, options, 'reminder').sms,
      renderRecovery(facts, options).sms,
      renderNoData(facts, options).sms,
    ];
    for (const sms of all) {
      expect(billed(sms)).toMatchObject({ encoding: 'GSM-7', fits: true });
      expect(billed(sms).length).toBeGreaterThan(SMS_LIMITS['GSM-7'] - 4); // cut, not truncated early
      expect(sms.endsWith('...')).toBe(true);
      expect(sms).toContain('Zahlungsprüfung - "naive" retry loop ...');
    }
  });

  it('a 140-character text with our own punctuation is one GSM-7 SMS, not three UCS-2 ones', () => {
    const facts = factsFrom('metric-alarm', { summary: `orders — queue depth… ${'y'.repeat(88)}` });
    const sms = renderAlarm(facts, escalationPlan(settings, 'critical', facts.changedAt), options).sms;
    expect(billed(sms)).toMatchObject({ encoding: 'GSM-7', fits: true });
    expect(sms).not.toContain('...'.repeat(2));
    expect(sms).toContain('orders - queue depth...');
  });

  it('counts extension characters ({ } [ ] ~ | ^ € \\) as two septets', () => {
    expect(gsm7Length('{}[]~|^€\\')).toBe(18);
    const fitted = fitSms(`${'a'.repeat(150)}€€€€€€`);
    // 150 + 2×… : "..." needs 3, so only 3 euros fit (150 + 3×2 = 156 ≤ 157)
    expect(fitted.text).toBe(`${'a'.repeat(150)}€€€...`);
    expect(fitted).toMatchObject({ encoding: 'GSM-7', length: 159, limit: 160 });
  });

  it('transliterates accents GSM-7 lacks and keeps the ones it has', () => {
    expect(toGsm7('Café Ålesund ñandú — naïve ç')).toBe('Café Ålesund ñandu - naive c');
    expect(toGsm7('Δ Ω €')).toBe('Δ Ω €');
    expect(toGsm7('Москва')).toBeUndefined();
  });

  it.each([
    ['emoji', 'checkout 🚨 down', '🚨'],
    ['Cyrillic', 'платежи', 'платежи'],
    ['Japanese', '決済サービス', '決済サービス'],
    ['Greek lowercase', 'πληρωμές', 'πληρωμές'],
  ])('%s in the alarm own text: UCS-2, 70 units, the text kept as written', (_label, target, kept) => {
    const facts = factsFrom('metric-alarm', {
      target,
      summary: `${target} health check failing — ${'z'.repeat(80)}`,
    });
    const sms = renderAlarm(facts, escalationPlan(settings, 'critical', facts.changedAt), options).sms;

    expect(billed(sms)).toMatchObject({ encoding: 'UCS-2', fits: true });
    expect(billed(sms).length).toBeGreaterThan(SMS_LIMITS['UCS-2'] - 4);
    expect(sms).toContain(kept);
    expect(sms.endsWith('...')).toBe(true);
    expect(sms).not.toContain('…');
  });

  it('never splits a grapheme or a surrogate pair when cutting UCS-2', () => {
    const family = '👨‍👩‍👧‍👦'; // one grapheme of 11 UTF-16 units
    const cut = fitSms(`${'a'.repeat(60)}${family}${family}`);
    expect(cut.text).toBe(`${'a'.repeat(60)}...`);
    expect(cut).toMatchObject({ encoding: 'UCS-2', length: 63 });
    expect(fitSms('short')).toEqual({ text: 'short', encoding: 'GSM-7', length: 5, limit: 160 });
  });
});

describe('subjects', () => {
  it('are ASCII and under 100 characters whatever the title', () => {
    const subject = asciiSubject(`[HIGH] café · ${'überlang '.repeat(20)} 🚨`);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject.length).toBeLessThan(100);
    expect(subject.startsWith('[HIGH] cafe - uberlang')).toBe(true);
  });
});

describe('recovery', () => {
  it('says how long it was down', () => {
    const facts = factsFrom('metric-ok', { episodeStart: new Date('2024-10-02T17:04:40.989Z') });
    const message = renderRecovery(facts, options);
    expect(message.title).toBe('[RESOLVED] shop · api health check failing — RESOLVED after 23 min');
    expect(message.sms).toBe('RESOLVED after 23 min: CRIT shop/api api health check failing');
    expect(message.email).toContain('In ALARM from Wed 2 Oct, 18:04 BST to Wed 2 Oct, 18:27 BST.');
    expect(JSON.parse(snsMessage(message)).default).toContain('"downMs":1380000');
  });

  it('formats long outages in hours and days', () => {
    const changedAt = new Date('2024-10-04T19:10:00Z');
    const hours = renderRecovery(
      factsFrom('metric-ok', { changedAt, episodeStart: new Date('2024-10-04T17:05:00Z') }),
      options,
    );
    expect(hours.title).toContain('RESOLVED after 2 h 5 min');
    const days = renderRecovery(
      factsFrom('metric-ok', { changedAt, episodeStart: new Date('2024-10-02T16:10:00Z') }),
      options,
    );
    expect(days.title).toContain('RESOLVED after 2 d 3 h');
  });
});

describe('other samples', () => {
  it('metric math: shows the expression and its inputs', () => {
    const facts = factsFrom('metric-math-alarm', { summary: 'ALB 5xx rate above 5%', severity: 'high' });
    const message = renderAlarm(facts, escalationPlan(settings, 'high', facts.changedAt), options);
    expect(facts.kind).toBe('math');
    expect(message.email).toContain('Current value: 12.5 — alarm when above 5');
    expect(message.email).toContain(
      'Measured: 5xx rate (%): 100 * errors / requests where errors = AWS/ApplicationELB HTTPCode_Target_5XX_Count (LoadBalancer=app/shop/50dc6c495c0c9188) Sum per 5 min',
    );
    expect(message.sms).toBe('HIGH shop/api ALARM ALB 5xx rate above 5% (12.5 vs >5)');
  });

  it('composite: names the child alarms that triggered it', () => {
    const facts = factsFrom('composite-alarm', { summary: 'Checkout is degraded', severity: 'high' });
    const message = renderAlarm(facts, escalationPlan(settings, 'high', facts.changedAt), options);
    expect(facts.kind).toBe('composite');
    expect(message.email).toContain('Triggered by: checkout-5xx');
    expect(message.email).toContain('Measured: rule ALARM(checkout-5xx) OR ALARM(checkout-latency)');
    expect(message.sms).toContain('(by checkout-5xx)');
  });

  it('INSUFFICIENT_DATA: e-mail only, explains what no data usually means', () => {
    const facts = factsFrom('insufficient-data', { severity: 'high', summary: 'db connections high' });
    const message = renderNoData(facts, options);
    expect(message.toSms).toBe(false);
    expect(message.title).toBe('[HIGH] shop · db connections high — no data');
    expect(message.email).toContain('stopped reporting');
  });

  it('escalation and reminder notices say who was already notified', () => {
    const facts = factsFrom('metric-alarm');
    const plan = escalationPlan(settings, 'critical', facts.changedAt);
    const second = renderEscalation(facts, plan, options, 1);
    expect(second.title).toBe(
      '[CRITICAL] shop · api health check failing — escalated to oncall after 15 min',
    );
    expect(second.email).toContain('Already notified: team.');
    const reminder = renderEscalation(facts, plan, options, 'reminder');
    expect(reminder.title).toContain('still failing (reminder every 30 min)');
    expect(reminder.sms.startsWith('CRIT shop/api STILL ALARM')).toBe(true);
  });
});

describe('severity aliases (alerts.severities.aliases)', () => {
  const aliased = testSettings({
    severities: { aliases: { P0: 'critical', P1: 'high', P2: 'medium', P3: 'low' } },
  });
  const withAliases = { timeZone: 'Europe/London', aliases: aliased.aliases };

  it('shows the runbook name in subjects, titles and SMS texts of every message', () => {
    const facts = factsFrom('metric-alarm');
    const plan = escalationPlan(aliased, 'critical', facts.changedAt);
    const alarm = renderAlarm(facts, plan, withAliases);
    expect(alarm.subject).toBe('[P0] shop - api health check failing');
    expect(alarm.sms).toBe('P0 shop/api ALARM api health check failing (1 vs >=1)');
    expect(renderEscalation(facts, plan, withAliases, 1).title).toMatch(
      /^\[P0\] shop · api health check failing — /,
    );
    expect(renderEscalation(facts, plan, withAliases, 'reminder').sms).toMatch(/^P0 shop\/api STILL ALARM /);
    const ok = factsFrom('metric-ok', {
      severity: 'medium',
      episodeStart: new Date('2024-10-02T17:04:40.989Z'),
    });
    expect(renderRecovery(ok, withAliases).sms).toBe(
      'RESOLVED after 23 min: P2 shop/api api health check failing',
    );
    expect(renderNoData(factsFrom('insufficient-data', { severity: 'low' }), withAliases).title).toMatch(
      /^\[P3\] /,
    );
  });

  it('keeps the machine-readable severity in the JSON body', () => {
    const facts = factsFrom('metric-alarm', { severity: 'high' });
    const message = renderAlarm(facts, escalationPlan(aliased, 'high', facts.changedAt), withAliases);
    expect(message.subject.startsWith('[P1] ')).toBe(true);
    expect(message.json.severity).toBe('high');
  });
});
