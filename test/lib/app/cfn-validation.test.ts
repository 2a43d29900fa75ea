/**
 * The test suite synthesizes with aws-cdk-lib's built-in CloudFormation validation off
 * (CDK_VALIDATION=false in vitest.config.ts): it costs about 1.3 s of CPU per app synthesized, plus 2 s
 * to start its WASM engine in every test file, and most tests synthesize several apps to assert one
 * property. This file is the one place that runs it, on every example, as `cdk synth` does
 * (`@aws-cdk/core:validateAgainstDefaultRules` is on: a finding is an error).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp, cdkFeatureFlags } from '../../../lib/app';
import { loadConfig } from '../../../lib/config/load';
import { REPO } from '../../support/cdk';

const EXAMPLES = readdirSync(join(REPO, 'examples')).filter((f) => f.endsWith('.yaml'));

describe('CloudFormation validation of every example', () => {
  beforeAll(() => {
    vi.stubEnv('CDK_VALIDATION', 'true');
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  it('is on here: a template with a finding fails synthesis', () => {
    const app = new App({ context: { ...cdkFeatureFlags(), 'aws:cdk:bundling-stacks': [] } });
    new CfnResource(new Stack(app, 'Bad'), 'Queue', {
      type: 'AWS::SQS::Queue',
      properties: { VisibilityTimeout: 'soon' },
    });
    expect(() => app.synth()).toThrow(/VisibilityTimeout: 'soon' is not of type 'integer'/);
  }, 120_000);

  it.each(EXAMPLES)(
    '%s synthesizes with the built-in validation on and no finding',
    (file) => {
      const { app } = buildApp(loadConfig(join(REPO, 'examples', file)), { bundling: false });
      const assembly = app.synth();
      expect(assembly.stacks.length).toBe(2);
    },
    120_000,
  );
});
