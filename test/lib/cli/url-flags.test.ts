/**
 * URLs given on the command line are held to the same schemes as the config: restore --to and
 * verify --scratch take the target's engine, --endpoint and --logs-endpoint http(s), --dest s3.
 * Each is refused with exit 2 before anything connects, without echoing the URL.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli';

const CONFIG = ['--config', 'examples/local.yaml'];

describe('URL flags', () => {
  it.each([
    [
      ['restore', 'postgres', 'latest', '--to', 'file:///etc/passwd'],
      '--to: the scheme "file:" is not allowed here — use postgres://, postgresql://',
    ],
    [
      ['restore', 'redis', 'latest', '--to', 'postgres://app@db/app'],
      '--to: the scheme "postgres:" is not allowed here — use redis://, rediss://',
    ],
    [
      ['verify', 'postgres', '--scratch', 'http://scratch.internal/'],
      '--scratch: the scheme "http:" is not allowed here',
    ],
    [
      ['backups', 'list', 'postgres', '--endpoint', 'ftp://store.internal', '--dest', 's3://b/p'],
      '--endpoint: the scheme "ftp:" is not allowed here — use http://, https://',
    ],
    [
      ['backups', 'list', 'postgres', '--endpoint', 'http://127.0.0.1:9', '--dest', 'file:///tmp/x'],
      '--dest: the scheme "file:" is not allowed here — use s3://',
    ],
    [
      [
        'archive-logs',
        '--bucket',
        'b',
        '--logs-endpoint',
        'gopher://logs.internal',
        '--config',
        'examples/inventory.yaml',
      ],
      '--logs-endpoint: the scheme "gopher:" is not allowed here',
    ],
  ])('nightshift %j', async (args, expected) => {
    const result = await runCli([...args, ...(args.includes('--config') ? [] : CONFIG)]);
    expect(result.stderr).toContain(expected);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('names the scheme, never the rest of the URL', async () => {
    const result = await runCli([
      'restore',
      'postgres',
      'latest',
      '--to',
      'mysql://root:decoy-pw-77@db/app',
      ...CONFIG,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"mysql:"');
    expect(result.stderr).not.toContain('decoy-pw-77');
  });
});
