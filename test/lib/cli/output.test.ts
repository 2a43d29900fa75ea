import { afterEach, describe, expect, it, vi } from 'vitest';
import { REDACTED, registerSecret } from '../../../lambdas/shared/redact';
import { awsCredentialsConfigured, runJobs } from '../../../lib/cli/commands/run';
import {
  CliError,
  displayWidth,
  EXIT,
  formatTable,
  print,
  printError,
  printJson,
  progress,
  truncate,
} from '../../../lib/cli/output';
import type { LocalJob, LocalRunContext } from '../../../lib/local/jobs';

describe('displayWidth', () => {
  it.each([
    ['abc', 3],
    ['', 0],
    ['日本語', 6],
    ['한국', 4],
    ['ｆｕｌｌ', 8],
    ['😀', 2],
    ['🇩🇪', 2],
    ['👩‍💻', 2],
    ['e\u0301', 1],
    ['✓ ok', 4],
    ['\x1b[32mgreen\x1b[39m', 5],
  ])('%j is %i columns', (text, width) => {
    expect(displayWidth(text)).toBe(width);
  });
});

describe('truncate', () => {
  it('leaves text that fits alone', () => {
    expect(truncate('hello', 5)).toBe('hello');
  });
  it('cuts with an ellipsis to at most the width', () => {
    expect(truncate('hello world', 6)).toBe('hello…');
    expect(displayWidth(truncate('日本語テキスト', 6))).toBeLessThanOrEqual(6);
    expect(truncate('日本語テキスト', 6)).toBe('日本…');
  });
  it('never splits a grapheme', () => {
    expect(truncate('👩‍💻👩‍💻👩‍💻', 5)).toBe('👩‍💻👩‍💻…');
  });
});

describe('formatTable', () => {
  const rows = [
    { name: 'api', region: '東京', count: 5 },
    { name: 'database-primary', region: 'eu', count: 120 },
  ];
  const columns = [
    { header: 'NAME', value: 'name' as const },
    { header: 'REGION', value: 'region' as const },
    { header: 'COUNT', value: 'count' as const, align: 'right' as const },
  ];

  it('aligns columns by display width, numbers to the right', () => {
    const lines = formatTable(rows, columns, { width: 200 });
    expect(lines).toEqual([
      'NAME              REGION  COUNT',
      'api               東京        5',
      'database-primary  eu        120',
    ]);
    expect(new Set(lines.map(displayWidth)).size).toBe(1);
  });

  it('shrinks the last column to fit the width', () => {
    const lines = formatTable(
      [{ a: 'x', b: 'a long description that does not fit' }],
      [
        { header: 'A', value: 'a' },
        { header: 'B', value: 'b' },
      ],
      { width: 20 },
    );
    expect(lines.every((line) => displayWidth(line) <= 20)).toBe(true);
    expect(lines[1]).toBe('x  a long descripti…');
  });

  it('honours maxWidth and function columns', () => {
    const lines = formatTable(
      [{ n: 1 }],
      [{ header: 'V', value: (r) => `value-${r.n}-and-more`, maxWidth: 8 }],
      { width: 100 },
    );
    expect(lines[1]).toBe('value-1…');
  });
});

describe('print helpers', () => {
  afterEach(() => vi.restoreAllMocks());

  it('printJson writes one parseable document on stdout', () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    printJson({ a: 1, when: new Date('2025-01-01T00:00:00Z') });
    const text = write.mock.calls.map((c) => String(c[0])).join('');
    expect(JSON.parse(text)).toEqual({ a: 1, when: '2025-01-01T00:00:00.000Z' });
  });

  it('print writes lines on stdout', () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    print('one', 'two');
    expect(write.mock.calls.map((c) => c[0])).toEqual(['one\n', 'two\n']);
  });

  it('every writer masks a secret value resolved in the process, and --json stays valid', () => {
    const secret = 'cli-"Leak"-Value-31';
    registerSecret(secret);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);

    print(`table cell ${secret}`);
    printJson({ reason: `server said ${secret}`, [secret]: 1 });
    printError(`nightshift: ${secret}`);
    progress(`checking ${secret}`);

    const stdout = out.mock.calls.map((c) => String(c[0])).join('');
    const stderr = err.mock.calls.map((c) => String(c[0])).join('');
    expect(stdout + stderr).not.toContain('Leak');
    expect(stdout).toContain(`table cell ${REDACTED}`);
    expect(JSON.parse(stdout.slice(stdout.indexOf('{')))).toEqual({
      reason: `server said ${REDACTED}`,
      [REDACTED]: 1,
    });
    expect(stderr).toContain(`nightshift: ${REDACTED}`);
  });
});

describe('CliError', () => {
  it('carries an exit code, FAILED by default', () => {
    expect(new CliError('x').exitCode).toBe(EXIT.FAILED);
    expect(new CliError('x', EXIT.USAGE).exitCode).toBe(2);
  });
});

describe('runJobs', () => {
  const context = { progress: () => {} } as unknown as LocalRunContext;
  const job = (name: string, run: LocalJob['run']): LocalJob => ({ name, enabled: () => true, run });

  it('runs every job in order and reports a throwing job as failed without stopping the others', async () => {
    const order: string[] = [];
    const reports = await runJobs(
      [
        job('first', async () => {
          order.push('first');
          return { job: 'first', ok: true, lines: ['did it'] };
        }),
        job('second', async () => {
          order.push('second');
          throw new Error('connect to postgres://app:hunter22@db:5432/app refused');
        }),
        job('third', async () => {
          order.push('third');
          return { job: 'third', ok: false, lines: ['target down'] };
        }),
      ],
      context,
    );
    expect(order).toEqual(['first', 'second', 'third']);
    expect(reports.map((r) => [r.job, r.ok])).toEqual([
      ['first', true],
      ['second', false],
      ['third', false],
    ]);
    expect(reports[1]?.lines[0]).toContain('refused');
    expect(reports[1]?.lines[0]).not.toContain('hunter22');
  });
});

describe('awsCredentialsConfigured', () => {
  const emptyHome = '/nonexistent-home';
  it('is false with no environment and no shared files', () => {
    expect(awsCredentialsConfigured({}, emptyHome)).toBe(false);
  });
  it.each([
    [{ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' }],
    [{ AWS_PROFILE: 'prod' }],
    [{ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials' }],
  ])('is true with %j', (env) => {
    expect(awsCredentialsConfigured(env, emptyHome)).toBe(true);
  });
  it('is false with only an access key id', () => {
    expect(awsCredentialsConfigured({ AWS_ACCESS_KEY_ID: 'a' }, emptyHome)).toBe(false);
  });
});
