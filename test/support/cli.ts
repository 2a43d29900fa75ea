/**
 * Runs the real `nightshift` CLI (bin/nightshift.js) as a child process with the Node running the tests.
 */
import { join } from 'node:path';
import { vi } from 'vitest';
import { runProcess } from './process';

export const ROOT = join(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'nightshift.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(
  args: readonly string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return runProcess(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', NIGHTSHIFT_CONFIG: undefined, ...options.env },
    timeoutMs: options.timeoutMs ?? 50_000,
  });
}

/**
 * Runs the real program (lib/cli/main.ts) in this process, capturing what it writes: one synthesis or
 * run per call, no child process. `args` follow `nightshift`, e.g. ('--no-color', 'plan').
 */
export async function runCliInProcess(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = await import('../../lib/cli/main');
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  process.exitCode = undefined;
  const code = await main(['node', 'nightshift', ...args]);
  process.exitCode = undefined;
  vi.restoreAllMocks();
  return { code, stdout, stderr };
}
