/** The clean-up every test file gets when the workers share modules (test/support/isolation.ts). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { forgetSecrets, redact, registerSecret } from '../../lambdas/shared/redact';
import { MOCKED_CLIENTS, restoreClientStubs } from './isolation';

const TEST_ROOT = join(import.meta.dirname, '..');

describe('isolation between test files', () => {
  it('gives a class its real send back when a file left it mocked', async () => {
    const realSend = S3Client.prototype.send;
    mockClient(S3Client).on(HeadObjectCommand).resolves({ ContentLength: 1 });
    expect(S3Client.prototype.send).not.toBe(realSend);

    expect(restoreClientStubs()).toEqual(['S3Client']);
    expect(S3Client.prototype.send).toBe(realSend);
    expect(restoreClientStubs()).toEqual([]);
  });

  it("forgets one file's secrets, so they do not mask another file's output", () => {
    registerSecret('hunter2-from-another-file');
    expect(redact('password hunter2-from-another-file')).toBe('password ***');
    forgetSecrets();
    expect(redact('password hunter2-from-another-file')).toBe('password hunter2-from-another-file');
  });

  it('knows every client class the tests mock', () => {
    const mocked = new Set<string>();
    for (const entry of readdirSync(TEST_ROOT, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
      const text = readFileSync(join(entry.parentPath, entry.name), 'utf8');
      for (const match of text.matchAll(/mockClient\((\w+)\)/g)) if (match[1]) mocked.add(match[1]);
    }
    const known = new Set<string>(MOCKED_CLIENTS.map((c) => c.name));
    expect([...mocked].filter((name) => !known.has(name))).toEqual([]);
    expect(mocked.size).toBeGreaterThan(5);
  });
});
