/**
 * One snapshot per stack, for the richest example (asset hashes stripped). A change here is a change to
 * what gets deployed: review the diff, then `npx vitest run test/lib/app/snapshot.test.ts -u`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../lib/config';
import { REPO, stripAssetHashes, testApp } from '../../support/cdk';

describe('stack snapshots (examples/inventory.yaml)', () => {
  const config = parseConfigText(
    readFileSync(join(REPO, 'examples/inventory.yaml'), 'utf8'),
    'inventory.yaml',
  );
  const { data, jobs } = testApp(config);

  it('data stack', () => {
    expect(stripAssetHashes(Template.fromStack(data).toJSON())).toMatchSnapshot();
  });

  it('jobs stack', () => {
    expect(stripAssetHashes(Template.fromStack(jobs).toJSON())).toMatchSnapshot();
  });
});
