import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli';

const COMMAND_OPTIONS: Record<string, string[]> = {
  validate: [],
  plan: ['--now <iso>', '--runs <n>'],
  run: ['--demo', '--only <job>', '--data-dir <dir>'],
};
const GLOBAL_OPTIONS = ['--config <file>', '--json', '--no-color', '--verbose'];

describe('nightshift --help', () => {
  it('lists the commands, examples and exit codes (exit 0)', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const command of Object.keys(COMMAND_OPTIONS))
      expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(result.stdout).toContain('Examples:');
    expect(result.stdout).toContain('Exit codes: 0 ok, 1');
  });

  it.each(Object.entries(COMMAND_OPTIONS))(
    '%s --help lists its own and the global options, with examples',
    async (command, options) => {
      const result = await runCli([command, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage: nightshift ${command}`);
      for (const option of [...options, ...GLOBAL_OPTIONS]) expect(result.stdout).toContain(option);
      expect(result.stdout).toContain(`$ nightshift ${command}`);
    },
  );

  it('help <command> is the same as <command> --help', async () => {
    const [a, b] = await Promise.all([runCli(['help', 'plan']), runCli(['plan', '--help'])]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
  });

  it('prints the version from package.json', async () => {
    const { readFileSync } = await import('node:fs');
    const { ROOT } = await import('../../support/cli');
    const version = (JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string }).version;
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });
});

describe('usage errors exit 2', () => {
  it('an unknown command, with a suggestion', async () => {
    const result = await runCli(['valdate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'valdate'");
    expect(result.stderr).toContain('Did you mean validate?');
  });

  it('an unknown option', async () => {
    const result = await runCli(['plan', '--frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--frobnicate'");
  });

  it('a missing option value', async () => {
    const result = await runCli(['plan', '--now']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("option '--now <iso>' argument missing");
  });

  it('an invalid option value, with --json as a JSON error on stdout', async () => {
    const result = await runCli([
      'plan',
      '--config',
      'examples/planner.yaml',
      '--now',
      'yesterday',
      '--json',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--now "yesterday" is not a date');
    expect(JSON.parse(result.stdout)).toEqual({
      error: { kind: 'failure', message: expect.stringContaining('--now'), exitCode: 2 },
    });
  });

  it('no command at all shows the help', async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: nightshift');
  });
});
