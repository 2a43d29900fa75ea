/**
 * CDK entry (cdk.json "app"). Config path: `cdk synth -c config=FILE`, else NIGHTSHIFT_CONFIG, else
 * ./nightshift.config.yaml. A bad config fails here, before anything is deployed, with exit code 2.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { buildApp } from '../lib/app';
import { ConfigError, loadConfig, resolveConfigPath } from '../lib/config';

const app = new App();
const file = resolveConfigPath({ context: app.node.tryGetContext('config') as string | undefined });
try {
  const config = loadConfig(file);
  buildApp(config, { app });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}
