/**
 * Every command that calls AWS fails the same way without credentials: exit 2 and one message that says
 * what to set — never exit 1 ("a job failed") with the SDK's raw "Could not load credentials".
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCliInProcess } from '../../support/cli';
import { stubNoCredentials } from '../../support/no-credentials';

let configFile: string;
beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-cli-nocreds-'));
  configFile = join(dir, 'nightshift.config.yaml');
  writeFileSync(
    configFile,
    [
      'project: shop',
      'region: eu-west-1',
      'account: "123456789012"',
      'alerts:',
      '  levels:',
      '    - { name: team, email: [team@example.com] }',
      'healthChecks:',
      '  targets:',
      '    - { name: web, http: { url: "https://shop.example.com/health" } }',
      'logArchive:',
      '  groups:',
      '    - { name: /app/web }',
    ].join('\n'),
  );
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

const commands: Record<string, string[]> = {
  alarms: ['alarms'],
  ack: ['ack', 'shop-web-down'],
  'page --test': ['page', '--test', '--level', 'team'],
  'logs search (deployed bucket)': ['logs', 'search', '/app/web', '--date', '2025-03-14'],
};

describe('no AWS credentials', () => {
  for (const [label, args] of Object.entries(commands)) {
    it(`${label}: exit 2 with the one message`, async () => {
      stubNoCredentials();
      const result = await runCliInProcess('--config', configFile, ...args);
      expect(result.stderr).toContain('no AWS credentials found');
      expect(result.stderr).toMatch(/AWS_PROFILE=<profile>/);
      expect(result.code).toBe(2);
    });
  }
});
