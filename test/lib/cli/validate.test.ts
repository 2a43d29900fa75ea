import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../../support/cli';

const examples = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml'));
const dir = mkdtempSync(join(tmpdir(), 'nightshift-cli-validate-'));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const HEAD = `project: shop
region: eu-west-1
alerts:
  levels:
    - name: team
      email: [team@example.com]
`;

describe('nightshift validate', () => {
  it('finds the examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
  });

  it.each(examples)('accepts examples/%s (exit 0) and summarizes it', async (name) => {
    const result = await runCli(['validate', '--config', `examples/${name}`]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        `✓ .*examples/${name} is valid: \\d+ health checks?, \\d+ backup targets?, \\d+ log groups?, \\d+ escalation levels?`,
      ),
    );
  });

  it('names the missing field, its line and the fix (exit 2)', async () => {
    const path = file(
      'missing-secret.yaml',
      `${HEAD}backups:\n  targets:\n    - name: db\n      postgres: {}\n    - name: db2\n      postgres: { ssl: require }\n`,
    );
    const result = await runCli(['validate', '--config', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(path);
    expect(result.stderr).toMatch(
      /backups\.targets\[1\]\.postgres\.secret \(line 12\): required — the Secrets Manager secret holding host, port, username, password and dbname/,
    );
    expect(result.stdout).toBe('');
  });

  it('rejects a literal password without echoing it, and says how to use a secret', async () => {
    const path = file(
      'password.yaml',
      `${HEAD}backups:\n  targets:\n    - name: db\n      postgres: { password: "S3cr3t-Hunter2" }\n`,
    );
    const result = await runCli(['validate', '--config', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('backups.targets[0].postgres.password (line 10)');
    expect(result.stderr).toContain('secret: prod/app/db');
    expect(result.stderr + result.stdout).not.toContain('S3cr3t-Hunter2');
  });

  it('reports an unknown key with a suggestion', async () => {
    const path = file('typo.yaml', `${HEAD}healthChecks:\n  shedule: rate(1 minute)\n`);
    const result = await runCli(['validate', '--config', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /healthChecks\.shedule \(line 8\): unknown key — did you mean "schedule"\?/,
    );
  });

  it('--json prints { valid: false, issues: [{ path, line, message }] } and exits 2', async () => {
    const path = file('tz.yaml', `${HEAD}timezone: Mars/Olympus\n`);
    const result = await runCli(['validate', '--config', path, '--json']);
    expect(result.code).toBe(2);
    const out = JSON.parse(result.stdout) as {
      valid: boolean;
      issues: { path: string; line: number; message: string }[];
    };
    expect(out.valid).toBe(false);
    expect(out.issues).toEqual([
      {
        path: 'timezone',
        line: 7,
        message: expect.stringContaining('"Mars/Olympus" is not an IANA time zone'),
      },
    ]);
  });

  it('--json on a valid file prints { valid: true, issues: [] } and the counts', async () => {
    const result = await runCli(['validate', '--json', '--config', 'examples/inventory.yaml']);
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as {
      valid: boolean;
      issues: unknown[];
      summary: Record<string, number>;
    };
    expect(out).toMatchObject({
      valid: true,
      issues: [],
      summary: { healthChecks: 5, backupTargets: 2, logGroups: 2, escalationLevels: 3 },
    });
  });

  it('exits 2 with a hint when the file does not exist', async () => {
    const result = await runCli(['validate', '--config', join(dir, 'nope.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no config file at');
    expect(result.stderr).toContain('copy one from examples/');
  });

  it('takes NIGHTSHIFT_CONFIG when there is no --config, and --config over it', async () => {
    const bad = file('bad-env.yaml', 'project: X\n');
    const fromEnv = await runCli(['validate'], { env: { NIGHTSHIFT_CONFIG: 'examples/planner.yaml' } });
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stdout).toContain('examples/planner.yaml is valid');
    const flagWins = await runCli(['validate', '--config', bad], {
      env: { NIGHTSHIFT_CONFIG: 'examples/planner.yaml' },
    });
    expect(flagWins.code).toBe(2);
    expect(flagWins.stderr).toContain('bad-env.yaml');
  });

  it('falls back to ./nightshift.config.yaml in the working directory', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'nightshift-cli-cwd-'));
    writeFileSync(join(cwd, 'nightshift.config.yaml'), HEAD);
    const result = await runCli(['validate'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(join(cwd, 'nightshift.config.yaml'));
  });
});
