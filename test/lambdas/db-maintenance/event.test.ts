/**
 * The handler's event parser: what the construct writes passes (test/lib/constructs/db-maintenance.test.ts), and a
 * hand-written or stale event fails with what is wrong and what to do.
 */
import { describe, expect, it } from 'vitest';
import { InvalidMaintenanceEvent, parseMaintenanceEvent } from '../../../lambdas/db-maintenance/event';

const vacuum = {
  name: 'weekly-vacuum',
  kind: 'vacuum',
  timeoutMs: 300_000,
  postgres: { secret: 'prod/db' },
  analyze: true,
  lockTimeoutMs: 5_000,
  statementTimeoutMs: 300_000,
};

describe('parseMaintenanceEvent', () => {
  it('accepts a task as the construct writes it', () => {
    expect(parseMaintenanceEvent({ schedule: 'weekly-vacuum', task: vacuum })).toEqual({
      schedule: 'weekly-vacuum',
      task: vacuum,
    });
  });

  it.each([
    [null, 'not an object'],
    [{}, '"task" is missing'],
    [{ task: { kind: 'vacuum' } }, 'task.name is missing'],
    [
      { task: { ...vacuum, kind: 'defrag' } },
      'task weekly-vacuum has no valid kind (vacuum, bloat, slowQueries, sqlCheck, redisMemory, bigKeys)',
    ],
    [
      { task: { ...vacuum, postgres: undefined, redis: {} } },
      'task weekly-vacuum (vacuum) has no postgres connection',
    ],
    [{ task: { ...vacuum, lockTimeoutMs: '5s' } }, 'task weekly-vacuum (vacuum) has no number lockTimeoutMs'],
    [
      {
        task: {
          name: 'c',
          kind: 'sqlCheck',
          timeoutMs: 1,
          postgres: {},
          threshold: 1,
          statementTimeoutMs: 1,
        },
      },
      'task c (sqlCheck) has no sql',
    ],
  ])('rejects %j: %s', (event, detail) => {
    expect(() => parseMaintenanceEvent(event)).toThrow(new InvalidMaintenanceEvent(detail));
    expect(() => parseMaintenanceEvent(event)).toThrow(/redeploy/);
  });
});
