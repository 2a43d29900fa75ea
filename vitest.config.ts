import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // One module cache per worker: a file does not import aws-cdk-lib, the AWS SDK and the handlers
    // again (that was a quarter of the suite's time). test/support/isolation.ts undoes, after every
    // file, what a file may leave behind in shared modules (client mocks, env stubs, fake timers).
    isolate: false,
    setupFiles: ['test/support/isolation.ts'],
    // the CLI's bundle, built once for the processes the tests start (test/support/global-setup.ts)
    globalSetup: ['test/support/global-setup.ts'],
    // Most files wait on child processes (PostgreSQL, Redis, pg_dump, s3rver, bundled handlers), so more
    // workers than cores pays: vitest's default on a 2-core machine is a single worker.
    maxWorkers: 3,
    // aws-cdk-lib's CloudFormation validation costs ~1.3 s of CPU per synthesized app and ~2 s per file
    // to start its WASM engine; test/lib/app/cfn-validation.test.ts turns it back on for every example.
    env: { CDK_VALIDATION: 'false' },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', ['json', { outputFile: '.vitest/results.json' }]],
  },
});
