import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';

/**
 * Stubs the environment so that the AWS SDK's credential chain finds nothing: no keys, no profile, no
 * shared files, no container or instance metadata. Undo with vi.unstubAllEnvs().
 */
export function stubNoCredentials(): void {
  const none = join(mkdtempSync(join(tmpdir(), 'nightshift-no-creds-')), 'none');
  for (const name of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_DEFAULT_PROFILE',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
    'AWS_ROLE_ARN',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  ])
    vi.stubEnv(name, undefined);
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', none);
  vi.stubEnv('AWS_CONFIG_FILE', none);
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
}
