/**
 * aws-cdk-lib's built-in CloudFormation validation, with its engine in a worker thread (./worker.ts)
 * and templates already found valid skipped. It is a CloudFormationValidatePlugin, registered on the app:
 * aws-cdk-lib then adds no default one, and treats its report as its own (same plugin name, errors fail
 * synthesis under @aws-cdk/core:validateAgainstDefaultRules, acknowledgements, the printed report), so
 * synthesis accepts and rejects exactly what it does with the built-in validation.
 */
import { readFileSync } from 'node:fs';
import {
  CloudFormationValidatePlugin,
  type IPolicyValidationContext,
  type PolicyValidationPluginReport,
} from 'aws-cdk-lib';
import { type CfnValidationWorker, resourceTypesOf, type ValidTemplates, validatorVersions } from './worker';

export class ParallelCloudFormationValidatePlugin extends CloudFormationValidatePlugin {
  /** The templates the last validate() had validated, and where (tests, measurements). */
  lastRun: { readonly templates: string[]; readonly by: 'worker' | 'main thread' | 'none' } = {
    templates: [],
    by: 'none',
  };

  constructor(
    private readonly worker: CfnValidationWorker | undefined,
    private readonly valid: ValidTemplates | undefined,
  ) {
    super();
  }

  // The parent reads these from the WebAssembly module, which would load it on this thread; the
  // validator's version() is its package version.
  override get version(): string {
    return validatorVersions().validator;
  }

  override get ruleIds(): string[] {
    return [this.version];
  }

  override validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const stacks = context.stackTemplates;
    const texts = stacks.map((s) => readFileSync(s.templatePath, 'utf8'));
    const appTypes = new Set(texts.flatMap((text) => [...resourceTypesOf(text)]));
    const keys = stacks.map((s, i) => this.valid?.key(texts[i] ?? '', s, appTypes));
    const pending = stacks.filter((_, i) => !(keys[i] && this.valid?.has(keys[i])));
    const paths = pending.map((s) => s.templatePath);
    this.lastRun = { templates: paths, by: 'none' };
    if (pending.length === 0) return { success: true, violations: [] };

    const answer = this.worker?.validate(stacks, paths);
    // Without a worker, or when it failed: the built-in validation of every template, on this thread.
    if (!answer || 'error' in answer) {
      this.lastRun = { templates: stacks.map((s) => s.templatePath), by: 'main thread' };
      return super.validate(context);
    }
    this.lastRun = { templates: paths, by: 'worker' };
    const report = answer.report as PolicyValidationPluginReport;
    if (report.violations.length === 0) {
      this.valid?.add(keys.filter((k, i): k is string => k !== undefined && pending.includes(stacks[i]!)));
    }
    return report;
  }
}
