import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliReferenceMarkdown, withCliReference } from '../../../lib/cli/reference';
import { REPO } from '../../support/cdk';

describe('docs/cli.md', () => {
  it('holds every command’s current --help (run `npm run schema`)', () => {
    const doc = readFileSync(join(REPO, 'docs/cli.md'), 'utf8');
    expect(withCliReference(doc)).toBe(doc);
  });

  it('covers every command the CLI has', () => {
    const reference = cliReferenceMarkdown();
    for (const command of [
      'validate',
      'plan',
      'run',
      'check',
      'backup',
      'backups list',
      'restore',
      'verify',
      'archive-logs',
      'logs search',
      'alarms',
      'ack',
    ]) {
      expect(reference).toContain(`### \`nightshift ${command}\``);
    }
  });
});
