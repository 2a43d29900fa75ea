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

export interface ParallelValidationOptions {
  /** Templates found valid before, skipped. @default none */
  readonly valid?: ValidTemplates | undefined;
  /**
   * Do not wait for the worker: validate() reports no finding at once and `verdict()` tells later whether
   * that was right. Only for a caller that synthesizes again when it was not (lib/plan.ts): a report
   * with findings is then aws-cdk-lib's to print and to fail on. @default false
   */
  readonly deferred?: boolean;
}

/** What the deferred validation found: nothing (the templates are valid), something, or no answer. */
export type Verdict = 'valid' | 'findings' | 'unknown';

export class ParallelCloudFormationValidatePlugin extends CloudFormationValidatePlugin {
  /** The templates the last validate() had validated, and where (tests, measurements). */
  lastRun: { readonly templates: string[]; readonly by: 'worker' | 'main thread' | 'none' } = {
    templates: [],
    by: 'none',
  };
  private pending: Promise<Verdict> = Promise.resolve('valid');

  constructor(
    private readonly worker: CfnValidationWorker | undefined,
    private readonly options: ParallelValidationOptions = {},
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
    const { valid, deferred } = this.options;
    const stacks = context.stackTemplates;
    const texts = stacks.map((s) => readFileSync(s.templatePath, 'utf8'));
    const appTypes = new Set(texts.flatMap((text) => [...resourceTypesOf(text)]));
    const keys = stacks.map((s, i) => valid?.key(texts[i] ?? '', s, appTypes));
    const todo = stacks.flatMap((s, i) => (keys[i] && valid?.has(keys[i]) ? [] : [s.templatePath]));
    const remember = (report: { violations: unknown[] }) => {
      if (report.violations.length > 0) return;
      valid?.add(
        keys.filter((k, i): k is string => k !== undefined && todo.includes(stacks[i]!.templatePath)),
      );
    };
    this.lastRun = { templates: todo, by: 'none' };
    if (todo.length === 0) return { success: true, violations: [] };

    if (deferred && this.worker) {
      this.lastRun = { templates: todo, by: 'worker' };
      this.pending = this.worker.validateLater(stacks, todo).then((answer): Verdict => {
        if ('error' in answer) return 'unknown';
        remember(answer.report);
        return answer.report.violations.length === 0 ? 'valid' : 'findings';
      });
      return { success: true, violations: [] };
    }
    const answer = this.worker?.validate(stacks, todo);
    // Without a worker, or when it failed: the built-in validation of every template, on this thread.
    if (!answer || 'error' in answer) {
      this.lastRun = { templates: stacks.map((s) => s.templatePath), by: 'main thread' };
      return super.validate(context);
    }
    this.lastRun = { templates: todo, by: 'worker' };
    remember(answer.report);
    return answer.report as PolicyValidationPluginReport;
  }

  /** Whether the templates of a deferred validate() are valid ('valid' when none was deferred). */
  verdict(): Promise<Verdict> {
    return this.pending;
  }
}
