/**
 * Synthesizes the real CDK app (lib/app.ts) for a config, without bundling, into a temporary directory,
 * and returns its templates with construct paths — what `nightshift doctor` and `nightshift page` read
 * the deployed names from.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NightshiftConfig } from '../config/schema';
import type { CfnTemplate, SynthesizedStack } from './expected';

export async function synthesizeTemplates(config: NightshiftConfig): Promise<SynthesizedStack[]> {
  const outdir = await mkdtemp(join(tmpdir(), 'nightshift-doctor-'));
  try {
    const { buildApp } = await import('../app');
    const { app } = buildApp(config, { bundling: false, outdir, pathMetadata: true });
    return app.synth().stacks.map((stack) => ({
      stackName: stack.stackName,
      template: stack.template as CfnTemplate,
    }));
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}
