import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnResource, CloudFormationValidatePlugin, Stack, Validations } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp, cdkFeatureFlags } from '../../../lib/app';
import { loadConfig } from '../../../lib/config/load';
import { buildPlan, type StackTemplate, synthesizeTemplates } from '../../../lib/plan';
import { ParallelCloudFormationValidatePlugin } from '../../../lib/validation/plugin';
import { CfnValidationWorker, earlierTemplates, ValidTemplates } from '../../../lib/validation/worker';
import { REPO, testConfig } from '../../support/cdk';

// The suite turns aws-cdk-lib's validation off (vitest.config.ts); these tests are about it.
beforeAll(() => {
  vi.stubEnv('CDK_VALIDATION', 'true');
});
afterAll(() => {
  vi.unstubAllEnvs();
});

/**
 * An app of two stacks: `queues` holds `queue` (valid props) and, when `broken`, a queue whose
 * properties the CloudFormation schema rejects; `topics` holds a topic named `topicName`.
 */
function synthesize(
  outdir: string,
  options: { plugin?: ParallelCloudFormationValidatePlugin; broken?: boolean; topicName?: string },
) {
  const app = new App({ outdir, context: cdkFeatureFlags() });
  if (options.plugin) Validations.of(app).addPlugins(options.plugin);
  const env = { account: '123456789012', region: 'eu-west-1' };
  const queues = new Stack(app, 'queues', { env });
  new CfnResource(queues, 'queue', { type: 'AWS::SQS::Queue', properties: { DelaySeconds: 5 } });
  if (options.broken) {
    new CfnResource(queues, 'bad', {
      type: 'AWS::SQS::Queue',
      properties: { DelaySeconds: 'soon', NoSuchProperty: true },
    });
  }
  const topics = new Stack(app, 'topics', { env });
  new CfnResource(topics, 'topic', {
    type: 'AWS::SNS::Topic',
    properties: { TopicName: options.topicName ?? 'alerts' },
  });
  try {
    app.synth();
    return { error: undefined };
  } catch (error) {
    // the report names the cloud assembly directory (absolute, or relative to the working directory
    // when that is shorter); the two apps compared use different ones
    return {
      error: String((error as Error).message)
        .replaceAll(outdir, '<outdir>')
        .replace(/(report can be found in: ).*$/m, '$1<outdir>/validation-report.json'),
    };
  }
}

describe('the CloudFormation validation in a worker thread', () => {
  let dir: string;
  let worker: CfnValidationWorker;
  let n = 0;
  const outdir = () => join(dir, `out-${n++}`);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nightshift-cfn-validation-'));
    worker = CfnValidationWorker.start({ types: new Set(['AWS::SQS::Queue', 'AWS::SNS::Topic']) });
  });
  afterAll(async () => {
    await worker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails synthesis with the same report as the built-in validation, and passes what it passes', () => {
    const plugin = new ParallelCloudFormationValidatePlugin(worker);
    const builtin = synthesize(outdir(), { broken: true });
    const parallel = synthesize(outdir(), { plugin, broken: true });
    expect(builtin.error).toMatch(/NoSuchProperty/);
    expect(parallel.error).toBe(builtin.error);
    expect(plugin.lastRun.by).toBe('worker');

    expect(synthesize(outdir(), {}).error).toBeUndefined();
    expect(synthesize(outdir(), { plugin }).error).toBeUndefined();
    expect(plugin.lastRun).toMatchObject({ by: 'worker' });
    expect(plugin.lastRun.templates).toHaveLength(2);
  });

  it('reports the version the validator itself reports, without loading it on the main thread', () => {
    const plugin = new ParallelCloudFormationValidatePlugin(worker);
    expect(plugin.version).toBe(new CloudFormationValidatePlugin().version);
    expect(plugin.name).toBe(CloudFormationValidatePlugin.PLUGIN_NAME);
  });

  it('skips a template found valid before, validates a changed one, and never remembers a failing one', () => {
    const valid = new ValidTemplates(join(dir, 'valid.json'));
    const plugin = () => new ParallelCloudFormationValidatePlugin(worker, { valid });
    const names = (p: ParallelCloudFormationValidatePlugin) =>
      p.lastRun.templates.map((t) => t.split('/').pop());

    const first = plugin();
    expect(synthesize(outdir(), { plugin: first }).error).toBeUndefined();
    expect(names(first)).toEqual(['queues.template.json', 'topics.template.json']);

    const again = plugin();
    expect(synthesize(outdir(), { plugin: again }).error).toBeUndefined();
    expect(again.lastRun).toEqual({ templates: [], by: 'none' });

    // a fresh process reads the same file
    const changed = new ParallelCloudFormationValidatePlugin(worker, {
      valid: new ValidTemplates(join(dir, 'valid.json')),
    });
    expect(synthesize(outdir(), { plugin: changed, topicName: 'pages' }).error).toBeUndefined();
    expect(names(changed)).toEqual(['topics.template.json']);

    for (let i = 0; i < 2; i++) {
      const broken = plugin();
      expect(synthesize(outdir(), { plugin: broken, broken: true }).error).toMatch(/NoSuchProperty/);
      expect(names(broken)).toEqual(['queues.template.json']);
    }
  });

  it('deferred, lets synthesis go on and tells afterwards whether the templates were valid', async () => {
    const valid = new ValidTemplates(join(dir, 'deferred.json'));
    const broken = new ParallelCloudFormationValidatePlugin(worker, { valid, deferred: true });
    expect(synthesize(outdir(), { plugin: broken, broken: true }).error).toBeUndefined();
    expect(await broken.verdict()).toBe('findings');

    const clean = new ParallelCloudFormationValidatePlugin(worker, { valid, deferred: true });
    expect(synthesize(outdir(), { plugin: clean }).error).toBeUndefined();
    expect(await clean.verdict()).toBe('valid');
    expect(clean.lastRun.templates).toHaveLength(2);
    // remembered once the verdict came
    const again = new ParallelCloudFormationValidatePlugin(worker, { valid, deferred: true });
    synthesize(outdir(), { plugin: again });
    expect(again.lastRun.by).toBe('none');
    expect(await again.verdict()).toBe('valid');
  });

  it('validates on the main thread when the worker is gone', async () => {
    const gone = CfnValidationWorker.start();
    await gone.close();
    const plugin = new ParallelCloudFormationValidatePlugin(gone);
    const builtin = synthesize(outdir(), { broken: true });
    expect(synthesize(outdir(), { plugin, broken: true }).error).toBe(builtin.error);
    expect(plugin.lastRun.by).toBe('main thread');
  });

  it('predicts the resource types from the templates synthesized before, and warms up on the largest', () => {
    expect(earlierTemplates(join(dir, 'no-cache'), join(dir, 'no-root'))).toEqual({ types: new Set() });
    const root = join(dir, 'root');
    synthesize(join(root, 'cdk.out'), { broken: true });
    expect(readdirSync(join(root, 'cdk.out'))).toContain('topics.template.json');
    const earlier = earlierTemplates(join(dir, 'no-cache'), root);
    expect([...earlier.types].sort()).toEqual(['AWS::SNS::Topic', 'AWS::SQS::Queue']);
    expect(Object.keys((earlier.warmUp as { Resources: object }).Resources)).toHaveLength(2); // the queues
  });

  it('answers as before after warming up on an earlier template', async () => {
    const root = join(dir, 'warm-root');
    synthesize(join(root, 'cdk.out'), { broken: true });
    const warmed = CfnValidationWorker.start(earlierTemplates(join(dir, 'no-cache'), root));
    try {
      const builtin = synthesize(outdir(), { broken: true });
      const plugin = new ParallelCloudFormationValidatePlugin(warmed);
      expect(synthesize(outdir(), { plugin, broken: true }).error).toBe(builtin.error);
      expect(plugin.lastRun.by).toBe('worker');
    } finally {
      await warmed.close();
    }
  });
});

describe('nightshift plan with the validation in a worker', () => {
  it('synthesizes again, waiting for the validation, when the deferred one found something', async () => {
    const verdict = vi
      .spyOn(ParallelCloudFormationValidatePlugin.prototype, 'verdict')
      .mockResolvedValueOnce('findings');
    const validate = vi.spyOn(ParallelCloudFormationValidatePlugin.prototype, 'validate');
    const seen: string[][] = [];
    try {
      const templates = await synthesizeTemplates(testConfig(), {
        whileValidating: (t) => seen.push(t.map((s) => s.stackName)),
      });
      expect(templates.map((t) => t.stackName)).toEqual(['shop-data', 'shop-jobs']);
      // the first synthesis deferred its validation, the second waited for the worker's report
      expect(validate).toHaveBeenCalledTimes(2);
      expect(seen).toEqual([['shop-data', 'shop-jobs']]);
    } finally {
      verdict.mockRestore();
      validate.mockRestore();
    }
  }, 180_000);

  // The largest example: every example passes the built-in validation (test/lib/app/cfn-validation.test.ts),
  // and the plan reads only the templates, so one example shows the two paths give the same plan.
  const examples = ['inventory.yaml'];

  it('waits for the worker’s verdict before the process exits (bin/nightshift.js plan, no caches)', () => {
    const result = spawnSync(
      process.execPath,
      [join(REPO, 'bin', 'nightshift.js'), 'plan', '--config', 'examples/inventory.yaml', '--no-color'],
      { cwd: REPO, encoding: 'utf8', env: { ...process.env, NIGHTSHIFT_PLAN_CACHE: '0' }, timeout: 240_000 },
    );
    expect(result.stderr).not.toContain('unsettled');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Deployment plan for inventory');
  }, 240_000);

  it.each(examples)(
    'plans %s exactly as with the built-in validation',
    async (example) => {
      const config = loadConfig(join(REPO, 'examples', example));
      const now = new Date('2026-03-01T12:00:00Z');
      const outdir = mkdtempSync(join(tmpdir(), 'nightshift-builtin-'));
      try {
        const { app } = buildApp(config, { bundling: false, outdir });
        const builtin: StackTemplate[] = app.synth().stacks.map((stack) => ({
          stackName: stack.stackName,
          template: stack.template as StackTemplate['template'],
        }));
        const parallel = await synthesizeTemplates(config);
        expect(JSON.stringify(buildPlan(config, parallel, { now }))).toBe(
          JSON.stringify(buildPlan(config, builtin, { now })),
        );
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    },
    180_000,
  );
});
