/**
 * Helpers for CDK tests: apps that skip esbuild bundling, configs built from small YAML snippets,
 * templates with asset hashes stripped for snapshots, and cdk-nag findings as plain rows.
 */
import { resolve } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { buildApp, type NightshiftApp } from '../../lib/app';
import type { NightshiftConfig } from '../../lib/config/schema';
import { parseConfig } from '../../lib/config/validate';

export const REPO = resolve(import.meta.dirname, '../..');

/** A valid config: the minimal required sections plus whatever `extra` adds or overrides. */
export function testConfig(extra: Record<string, unknown> = {}): NightshiftConfig {
  return parseConfig({
    project: 'shop',
    region: 'eu-west-1',
    account: '123456789012',
    timezone: 'Europe/Berlin',
    alerts: {
      levels: [
        { name: 'team', email: ['team@example.com'] },
        { name: 'oncall', sms: ['+4915112345678'] },
        { name: 'lead', email: ['lead@example.com'], sms: ['+4915187654321'] },
      ],
    },
    ...extra,
  });
}

/** Builds both stacks without bundling (fast; asset contents are irrelevant to assertions). */
export function testApp(config: NightshiftConfig = testConfig()): NightshiftApp {
  return buildApp(config, { bundling: false });
}

/** A bare stack in an app that skips bundling, for construct-level tests. */
export function testStack(): Stack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return new Stack(app, 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
}

/** Replaces asset hashes (64 hex chars) so snapshots do not change with every code edit. */
export function stripAssetHashes<T>(template: T): T {
  return JSON.parse(JSON.stringify(template).replace(/[0-9a-f]{64}/g, '[asset-hash]')) as T;
}

export interface NagFinding {
  readonly rule: string;
  readonly resource: string;
  readonly description: string;
}

/** Runs the AwsSolutions and Serverless packs over a scope; returns the unacknowledged findings. */
export function nagFindings(scope: IConstruct): NagFinding[] {
  const findings: NagFinding[] = [];
  for (const pack of [new AwsSolutionsChecks(), new ServerlessChecks()]) {
    const report = pack.validateScope(scope);
    for (const violation of report.violations) {
      for (const resource of violation.violatingResources) {
        findings.push({
          rule: violation.ruleName,
          resource: resource.resourceLogicalId ?? resource.templatePath ?? '?',
          description: violation.description.slice(0, 160),
        });
      }
    }
  }
  return findings;
}
