/**
 * `npm ci` (what CI and a fresh machine run) refuses a lock that lacks the optional platform packages
 * of a dependency. A registry mirror that carries only this platform's packages makes `npm install`
 * drop them; scripts/complete-lock.mjs puts them back. This keeps a developer from committing such a lock.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/cdk';

describe('package-lock.json', () => {
  it('lists every platform-specific optional package (run node scripts/complete-lock.mjs)', () => {
    const result = spawnSync(process.execPath, [join(REPO, 'scripts/complete-lock.mjs'), '--check'], {
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
