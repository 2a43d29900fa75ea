/**
 * `--endpoint` (an S3-compatible store) takes credentials from the usual chain, and without any says
 * exactly what to set — not the SDK's "Could not load credentials from any providers".
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCliInProcess } from '../../support/cli';
import { stubNoCredentials } from '../../support/no-credentials';
import { withS3 } from '../../support/services';

const s3 = withS3();
let configFile: string;

beforeAll(async () => {
  await s3()
    .client()
    .send(new CreateBucketCommand({ Bucket: 'cred-logs' }));
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-cli-creds-'));
  configFile = join(dir, 'nightshift.config.yaml');
  writeFileSync(
    configFile,
    [
      'project: shop',
      'region: us-east-1',
      'alerts:',
      '  levels:',
      '    - { name: team, email: [team@example.com] }',
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

const search = () =>
  runCliInProcess(
    '--config',
    configFile,
    'logs',
    'search',
    '/app/web',
    '--date',
    '2025-03-14',
    '--bucket',
    'cred-logs',
    '--endpoint',
    s3().endpoint,
  );

describe('credentials for an S3-compatible store (--endpoint)', () => {
  it('without any, says which variables to set, naming the store', async () => {
    stubNoCredentials();
    const result = await search();
    expect(result.stderr).toContain(`no credentials for the S3-compatible store at ${s3().endpoint}`);
    expect(result.stderr).toMatch(/set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
    expect(result.stderr).not.toMatch(/Could not load credentials from any providers/);
    expect(result.code).not.toBe(0);
  });

  it('uses the ones in the environment when there are some', async () => {
    stubNoCredentials();
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
    const result = await search();
    expect(result.stderr).not.toMatch(/no credentials/);
    // the day is not archived: the store answered, so the credentials were taken and signed with
    expect(result.stderr).toMatch(/not archived|no archive|nothing/i);
  });
});
