/**
 * `npx cdk synth` works offline with no AWS credentials: the real CDK CLI, the real esbuild bundling,
 * the bin/app.ts entry, and the exit code 2 with a path-precise message for a bad config.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../../support/cdk';

const out = mkdtempSync(join(tmpdir(), 'nightshift-synth-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function cdkSynth(config: string, outdir: string) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_VERSION_CHECK: '1',
    // as a user runs it: with aws-cdk-lib's CloudFormation validation (vitest.config.ts turns it off)
    CDK_VALIDATION: 'true',
  };
  for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'])
    delete env[key];
  return spawnSync(
    join(REPO, 'node_modules/.bin/cdk'),
    ['synth', '-c', `config=${config}`, '-o', outdir, '--quiet'],
    {
      cwd: REPO,
      env,
      encoding: 'utf8',
      timeout: 240_000,
    },
  );
}

describe('cdk synth', () => {
  it('synthesizes an example offline, bundling the handlers', () => {
    const result = cdkSynth('examples/planner.yaml', join(out, 'planner'));
    expect(result.stderr + result.stdout).toContain('Successfully synthesized');
    expect(result.status).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'planner', 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, unknown>;
    };
    expect(Object.keys(manifest.artifacts)).toEqual(expect.arrayContaining(['planner-data', 'planner-jobs']));
    const template = readFileSync(join(out, 'planner', 'planner-jobs.template.json'), 'utf8');
    expect(template).toContain('"Runtime": "nodejs24.x"');
    // Secrets are referenced by name, never by value.
    expect(template).toContain('prod/planner/db');
  }, 240_000); // the cdk CLI bundles 4 handlers with esbuild: a minute on a quiet 2-core machine, more under load

  it('fails before anything is built when the config is bad, naming the field', () => {
    const bad = join(out, 'bad.yaml');
    writeFileSync(
      bad,
      'project: shop\nregion: eu-west-1\nalerts:\n  levels:\n    - name: team\n      email: [ops@example]\n',
    );
    const result = cdkSynth(bad, join(out, 'bad'));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('alerts.levels[0].email[0] (line 6): not an e-mail address');
  }, 240_000);
});
