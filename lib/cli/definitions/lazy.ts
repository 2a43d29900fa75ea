/**
 * Wraps a command action that lives in a module imported on demand: registering a command costs only
 * its definition, and the AWS SDK, aws-cdk-lib and the drivers load when (and only when) it runs.
 */
export function lazyAction<Args extends unknown[]>(
  load: () => Promise<(...args: Args) => unknown>,
): (...args: Args) => Promise<void> {
  return async (...args: Args) => {
    const action = await load();
    await action(...args);
  };
}
