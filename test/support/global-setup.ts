/**
 * Once before the test files: builds the CLI's bundle (lib/cli/prebuilt.mjs) for the current sources,
 * so that the CLI processes the tests start find it, instead of each of the first ones building its own
 * at the same time on a fresh checkout.
 */
import { prebuiltCli } from '../../lib/cli/prebuilt.mjs';

export default async function setup(): Promise<void> {
  await prebuiltCli();
}
