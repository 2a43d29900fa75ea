/**
 * How bin/nightshift.js starts the CLI (lib/cli/launch.mjs): the commands that synthesize run in a Node
 * started again with --single-threaded-gc, which passes on their output, exit code and signals.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { relaunchArgs } from '../../../lib/cli/launch.mjs';
import { BIN, ROOT, runCli } from '../../support/cli';

const script = '/repo/bin/nightshift.js';

describe('relaunchArgs', () => {
  it('starts plan, doctor and page again with --single-threaded-gc, keeping Node’s and the CLI’s arguments', () => {
    for (const command of ['plan', 'doctor', 'page']) {
      const args = ['--config', 'x.yaml', command, '--json'];
      expect(relaunchArgs({ script, args, execArgv: ['--enable-source-maps'], env: {} })).toEqual([
        '--single-threaded-gc',
        '--enable-source-maps',
        script,
        ...args,
      ]);
    }
  });

  it('runs everything else, help and an already relaunched process as they are', () => {
    const none = (args: string[], execArgv: string[] = [], env: Record<string, string> = {}) =>
      relaunchArgs({ script, args, execArgv, env });
    expect(none(['validate'])).toBeUndefined();
    expect(none(['run', '--demo'])).toBeUndefined();
    expect(none([])).toBeUndefined();
    expect(none(['plan', '--help'])).toBeUndefined();
    expect(none(['doctor', '-h'])).toBeUndefined();
    expect(none(['plan'], ['--single-threaded-gc'])).toBeUndefined();
    expect(none(['plan'], [], { NIGHTSHIFT_SINGLE_THREADED_GC: '0' })).toBeUndefined();
  });
});

describe('a relaunched command', () => {
  it('prints what it prints in this process and exits with its code', async () => {
    const relaunched = await runCli(['plan', '--json', '--config', 'examples/inventory.yaml']);
    const direct = await runCli(['plan', '--json', '--config', 'examples/inventory.yaml'], {
      env: { NIGHTSHIFT_SINGLE_THREADED_GC: '0' },
    });
    expect(relaunched.code).toBe(0);
    const strip = (text: string) => JSON.parse(text, (key, value) => (key === 'at' ? undefined : value));
    const plan = strip(relaunched.stdout) as { project: string; jobs: { nextRuns?: string[] }[] };
    expect(plan.project).toBe('inventory');
    // the same plan but for the clock: next runs are computed from "now"
    const noRuns = (p: unknown) =>
      JSON.stringify(p, (key, value) => (/^nextRuns/.test(key) ? undefined : value));
    expect(noRuns(plan)).toBe(noRuns(strip(direct.stdout)));

    const bad = await runCli(['plan', '--runs', '0', '--config', 'examples/inventory.yaml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--runs "0" must be a whole number from 1 to 50');
  });

  it('ends when the process it was started from is sent SIGTERM, which exits 143', async () => {
    const parent = spawn(process.execPath, [BIN, 'plan', '--config', 'examples/inventory.yaml'], {
      cwd: ROOT,
      env: { ...process.env, NIGHTSHIFT_PLAN_CACHE: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    parent.stderr.on('data', (chunk) => {
      stderr += String(chunk);
      // the relaunched CLI is working (it printed its progress line): stop it through its parent
      if (stderr.includes('synthesizing')) parent.kill('SIGTERM');
    });
    const code = await new Promise<number | null>((resolve) => parent.on('exit', (c) => resolve(c)));
    expect(code).toBe(143);
  });

  it('ends quietly when the reader of its output has stopped (nightshift plan | head -1)', async () => {
    const cli = spawn(process.execPath, [BIN, 'plan', '--config', 'examples/inventory.yaml'], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    cli.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    // like a reader that is done before the plan is written: the pipe is closed when the CLI writes
    cli.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => cli.on('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|Error/);
  });
});
