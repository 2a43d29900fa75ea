import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../../lib/config/json-schema';
import { referenceRows, withReference } from '../../../lib/config/reference';
import { REPO } from '../../support/cdk';

describe('generated documentation', () => {
  it('README.md config reference is up to date (run `npm run schema`)', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    expect(withReference(readme)).toBe(readme);
  });

  it('nightshift.schema.json is up to date (run `npm run schema`)', () => {
    const onDisk = JSON.parse(readFileSync(join(REPO, 'nightshift.schema.json'), 'utf8'));
    expect(onDisk).toEqual(configJsonSchema());
  });

  it('documents every leaf field with its default', () => {
    const rows = referenceRows();
    const byPath = Object.fromEntries(rows.map((row) => [row.path, row]));
    expect(byPath['backups.retention.daily']?.default).toBe('7');
    expect(byPath['healthChecks.schedule']?.default).toBe('"rate(1 minute)"');
    expect(byPath['alerts.severities.critical.escalateAfter']?.default).toBe('15m');
    expect(byPath['backups.targets[].postgres.secret']?.description).toContain('Secrets Manager');
    expect(byPath.project?.required).toBe(true);
  });
});
