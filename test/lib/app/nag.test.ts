/**
 * Every example synthesizes (both stacks, no AWS credentials needed) and passes the cdk-nag AwsSolutions
 * and Serverless packs with zero unacknowledged findings. Each acknowledgement in the code carries a reason.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../lib/config';
import { nagFindings, REPO, testApp } from '../../support/cdk';

const examples = readdirSync(join(REPO, 'examples')).filter((f) => f.endsWith('.yaml'));

describe.each(examples)('examples/%s', (file) => {
  const config = parseConfigText(readFileSync(join(REPO, 'examples', file), 'utf8'), file);
  const { app } = testApp(config);

  it('synthesizes both stacks', () => {
    const assembly = app.synth();
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual([
      `${config.project}-data`,
      `${config.project}-jobs`,
    ]);
  });

  it('has no unacknowledged cdk-nag findings', () => {
    expect(nagFindings(app)).toEqual([]);
  });
});
