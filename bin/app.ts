/**
 * CDK entry (cdk.json "app"). Config path: `cdk synth -c config=FILE`, else NIGHTSHIFT_CONFIG, else
 * ./nightshift.config.yaml. A bad config fails here, before anything is deployed, with exit code 2.
 */
import module from 'node:module';
import { join } from 'node:path';
import { cacheDir } from '../lib/plan-cache';
import { CfnValidationWorker, earlierTemplates, ValidTemplates } from '../lib/validation/worker';

// Before aws-cdk-lib is loaded (hence the dynamic imports below): V8's compile cache for its ~1,100
// modules, and the CloudFormation validation engine starting on the other core (lib/validation/worker.ts).
module.enableCompileCache?.();
const worker =
  process.env.CDK_VALIDATION === 'false'
    ? undefined
    : CfnValidationWorker.start(earlierTemplates(cacheDir()));
// templates validated clean before are not validated again; NIGHTSHIFT_PLAN_CACHE=0 forgets them
const valid =
  process.env.NIGHTSHIFT_PLAN_CACHE === '0'
    ? undefined
    : new ValidTemplates(join(cacheDir(), 'valid-templates.json'));

const { App, Validations } = await import('aws-cdk-lib');
const { AwsSolutionsChecks, ServerlessChecks } = await import('cdk-nag');
const { buildApp } = await import('../lib/app');
const { ParallelCloudFormationValidatePlugin } = await import('../lib/validation/plugin');
const { ConfigError, loadConfig, resolveConfigPath } = await import('../lib/config');

const app = new App();
const file = resolveConfigPath({ context: app.node.tryGetContext('config') as string | undefined });
try {
  const config = loadConfig(file);
  // waited for: synthesis fails on a finding, and cdk prints the report, as with the built-in validation
  buildApp(config, { app, validation: new ParallelCloudFormationValidatePlugin(worker, { valid }) });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}
