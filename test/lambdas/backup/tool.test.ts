/**
 * runTool's stdout block buffering (stdoutBlockBytes): the tool's C stdio is told, through coreutils'
 * libstdbuf, to write in large blocks — pg_dump otherwise flushes every 4 KiB into the pipe.
 */
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { findLibstdbuf, LIBSTDBUF_PATHS, runTool, stdoutBlockEnv } from '../../../lambdas/backup/tool';
import { MemoryLog } from '../../../lambdas/shared/log';

describe('stdout block buffering', () => {
  it('preloads libstdbuf with the block size, after any LD_PRELOAD already set', () => {
    expect(stdoutBlockEnv(1 << 20, {}, '/lib/libstdbuf.so')).toEqual({
      LD_PRELOAD: '/lib/libstdbuf.so',
      _STDBUF_O: '1048576',
    });
    expect(stdoutBlockEnv(65536, { LD_PRELOAD: '/opt/trace.so' }, '/lib/libstdbuf.so')).toEqual({
      LD_PRELOAD: '/opt/trace.so:/lib/libstdbuf.so',
      _STDBUF_O: '65536',
    });
  });

  it('changes nothing where libstdbuf is not installed', () => {
    expect(findLibstdbuf(['/nonexistent/libstdbuf.so'])).toBeUndefined();
    expect(stdoutBlockEnv(1 << 20, {}, null)).toEqual({});
  });

  const library = findLibstdbuf();
  it.skipIf(!library)('gives the tool the variables (coreutils installed here)', async () => {
    const tool = runTool({
      name: 'sh',
      command: 'sh',
      args: ['-c', 'printf "%s|%s" "$_STDBUF_O" "$LD_PRELOAD"'],
      secrets: [],
      log: new MemoryLog(),
      stdoutBlockBytes: 1 << 20,
    });
    const [out] = await Promise.all([text(tool.stdout), tool.done]);
    expect(out).toBe(`1048576|${library}`);
    expect(LIBSTDBUF_PATHS).toContain(library);
  });

  it('leaves the tool alone without stdoutBlockBytes', async () => {
    const tool = runTool({
      name: 'sh',
      command: 'sh',
      args: ['-c', 'if [ -n "$_STDBUF_O" ]; then printf set; else printf unset; fi'],
      secrets: [],
      log: new MemoryLog(),
    });
    const [out] = await Promise.all([text(tool.stdout), tool.done]);
    expect(out).toBe('unset');
  });
});
