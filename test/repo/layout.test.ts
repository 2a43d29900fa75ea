/**
 * The test tree mirrors the source tree (docs/development.md, "Where a test goes"): a test of
 * lib/<path> or lambdas/<path> sits in test/lib/<path> or test/lambdas/<path>, so the tests of a module
 * are found by its path and a folder of tests cannot outlive the code it tested. The whole-app seam
 * tests (snapshot, contracts, alarm evaluation, nag, cdk synth, template guard) test lib/app.ts and sit
 * in test/lib/app/. Besides those, test/ holds only the harness (test/support), the repository checks
 * (test/repo) and the fixtures (test/fixtures).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
/** Folders of test/ that mirror no source folder, and what they hold. */
const OWN_FOLDERS = ['support', 'repo', 'fixtures'];
/** Source folders whose tests mirror them: the app and CLI, the Lambda code, the benchmarks' own logic. */
const MIRRORED = ['lib', 'lambdas', 'bench'];
/** The folder of the tests that exercise the whole app (lib/app.ts) rather than one module. */
const WHOLE_APP = 'lib/app';
const TEST_FILE = /\.test\.ts$/;

function isDir(path: string): boolean {
  return existsSync(join(ROOT, path)) && statSync(join(ROOT, path)).isDirectory();
}

/** Why a test file (repository-relative, `/`-separated) is out of place, or undefined when it mirrors. */
function misplaced(file: string): string | undefined {
  const parts = file.split('/');
  if (parts[0] !== 'test' || parts.length < 3) return `${file} is not in a folder of test/`;
  const [top] = parts.slice(1);
  if (top !== undefined && OWN_FOLDERS.includes(top)) return undefined;
  if (top === undefined || !MIRRORED.includes(top)) {
    return `${file}: test/${top}/ mirrors no source folder (tests go under test/lib, test/lambdas, test/bench, test/support or test/repo)`;
  }
  const dir = parts.slice(1, -1).join('/');
  if (dir === WHOLE_APP || dir.startsWith(`${WHOLE_APP}/`)) {
    return existsSync(join(ROOT, `${WHOLE_APP}.ts`)) ? undefined : `${file}: ${WHOLE_APP}.ts is gone`;
  }
  if (!isDir(dir)) return `${file}: ${dir}/ does not exist, so test/${dir}/ mirrors nothing`;
  // Directly in test/lib/ only the tests of lib/'s own modules (plan, plan-cache): a construct's test
  // left at test/lib/<construct>.test.ts would mirror lib/ but not lib/constructs/<construct>.ts.
  if (dir === 'lib') {
    const stem = (parts.at(-1) ?? '').replace(/(\.[a-z]+)?\.test\.ts$/, '');
    if (!existsSync(join(ROOT, 'lib', `${stem}.ts`)))
      return `${file}: there is no lib/${stem}.ts (a test of lib/<folder>/${stem}.ts goes to test/lib/<folder>/)`;
  }
  return undefined;
}

function testFiles(): string[] {
  return readdirSync(join(ROOT, 'test'), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && TEST_FILE.test(e.name))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)).split(sep).join('/'));
}

describe('test layout', () => {
  it('the rule catches what it is for', () => {
    expect(misplaced('test/lib/constructs/alerting.test.ts')).toBeUndefined();
    expect(misplaced('test/lambdas/backup/postgres.int.test.ts')).toBeUndefined();
    expect(misplaced('test/lib/app/snapshot.test.ts')).toBeUndefined();
    expect(misplaced('test/lib/plan-cache.test.ts')).toBeUndefined();
    expect(misplaced('test/support/services.int.test.ts')).toBeUndefined();
    expect(misplaced('test/bench/backup.test.ts')).toBeUndefined();
    // the layouts issue 14 found: test/config beside lib/config, CLI tests in test/cli, construct tests
    // directly in test/lib, and a folder whose source is gone
    expect(misplaced('test/config/schema.test.ts')).toMatch(/test\/config\/ mirrors no source folder/);
    expect(misplaced('test/cli/help.test.ts')).toMatch(/test\/cli\/ mirrors no source folder/);
    expect(misplaced('test/lib/alerting.test.ts')).toMatch(/no lib\/alerting\.ts/);
    expect(misplaced('test/lib/nag.test.ts')).toMatch(/no lib\/nag\.ts/);
    expect(misplaced('test/lambdas/no-such-job/handler.test.ts')).toMatch(
      /lambdas\/no-such-job\/ does not exist/,
    );
    expect(misplaced('test/lib/constructs/alerting/x.test.ts')).toBeUndefined();
    expect(misplaced('test/lib/constructs/nowhere/x.test.ts')).toMatch(/does not exist/);
  });

  it('every test under test/lib and test/lambdas sits in the folder that mirrors its source', () => {
    const files = testFiles();
    expect(files.length).toBeGreaterThan(50);
    expect(files.map(misplaced).filter((why) => why !== undefined)).toEqual([]);
  });

  it('test/ holds no folder besides the mirrors, the harness, the repository checks and the fixtures', () => {
    const folders = readdirSync(join(ROOT, 'test'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    expect(folders).toEqual(['bench', 'fixtures', 'lambdas', 'lib', 'repo', 'support']);
  });
});
