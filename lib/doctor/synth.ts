/**
 * The synthesized templates `nightshift doctor` and `nightshift page` read the deployed names from: the
 * one synthesis of lib/plan.ts, with construct paths (doctor matches each alarm to its job by path).
 */
import type { NightshiftConfig } from '../config/schema';
import { synthesizeTemplates as synthesizeApp } from '../plan';
import type { CfnTemplate, SynthesizedStack } from './expected';

export async function synthesizeTemplates(config: NightshiftConfig): Promise<SynthesizedStack[]> {
  const stacks = await synthesizeApp(config, { pathMetadata: true });
  // the synthesized template is the whole document (Outputs included), which CfnTemplate describes
  return stacks.map((stack) => ({ stackName: stack.stackName, template: stack.template as CfnTemplate }));
}
