/** alerts.levels[].rotation: what validation accepts and each rule it enforces, in our words. */
import { describe, expect, it } from 'vitest';
import { formatPath } from '../../../lib/config/path';
import { validateConfig } from '../../../lib/config/validate';

const rotation = {
  members: [
    { name: 'ana', email: 'ana@example.com', sms: '+4915112345678' },
    { name: 'ben', sms: '+4915187654321' },
  ],
  handoff: { time: '09:00', weekday: 'monday' },
  every: '1w',
  start: '2026-01-05',
};
const config = (level: Record<string, unknown>) => ({
  project: 'shop',
  region: 'eu-west-1',
  timezone: 'Europe/Berlin',
  alerts: {
    levels: [
      { name: 'oncall', ...level },
      { name: 'leads', email: ['leads@example.com'] },
    ],
  },
});
function problems(level: Record<string, unknown>): string[] {
  const result = validateConfig(config(level));
  return result.ok ? [] : result.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
}

describe('alerts.levels[].rotation', () => {
  it('accepts a weekly rotation', () => {
    const result = validateConfig(config({ rotation }));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.config.alerts.levels[0]?.rotation?.members).toHaveLength(2);
  });

  it.each([
    [{ rotation: { ...rotation, every: '36h' } }, /every.*not a whole number of days/],
    [{ rotation: { ...rotation, every: '3d' } }, /every.*not whole weeks.*monday/],
    [{ rotation: { ...rotation, every: '12h' } }, /every.*too short/],
    [{ rotation: { ...rotation, start: '2026-02-30' } }, /start.*not a calendar date/],
    [{ rotation: { ...rotation, start: 'next monday' } }, /start.*YYYY-MM-DD/],
    [{ rotation: { ...rotation, handoff: { time: '9am' } } }, /handoff.*HH:MM/],
    [{ rotation: { ...rotation, handoff: { time: '09:00', weekday: 'Mon' } } }, /weekday.*lower case/],
    [{ rotation: { ...rotation, members: [] } }, /members/],
    [
      { rotation: { ...rotation, members: [{ name: 'ana' }] } },
      /"ana".*cannot be reached.*add an email or sms/,
    ],
    [{ rotation: { ...rotation, members: [{ name: 'ana', sms: '0151 1234' }] } }, /sms.*E\.164/],
    [
      { rotation: { ...rotation, members: [rotation.members[0], rotation.members[0]] } },
      /"ana" appears twice/,
    ],
    [{ rotation, email: ['team@example.com'] }, /both a rotation and fixed email\/sms/],
  ])('rejects %j', (level, message) => {
    const found = problems(level);
    expect(found.join('\n')).toMatch(message);
  });

  it('rejects two members whose e-mail topics would share a name', () => {
    const result = validateConfig({
      project: 'shop',
      region: 'eu-west-1',
      alerts: {
        levels: [
          {
            name: 'oncall-eu',
            rotation: { ...rotation, members: [{ name: 'ana', email: 'a@example.com' }] },
          },
          {
            name: 'oncall',
            rotation: { ...rotation, members: [{ name: 'eu-ana', email: 'b@example.com' }] },
          },
        ],
      },
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues.map((i) => `${formatPath(i.path)}: ${i.message}`)).toEqual([
        'alerts.levels[1].rotation.members[0].name: member "eu-ana" of level "oncall" would share the e-mail topic of a member of level "oncall-eu" (both end in "oncall-eu-ana") — rename the member or the level',
      ]);
    }
  });
});
