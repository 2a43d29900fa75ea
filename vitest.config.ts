import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Most files wait on child processes (PostgreSQL, Redis, pg_dump, s3rver, bundled handlers), so more
    // workers than cores pays: vitest's default on a 2-core machine is a single worker.
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', ['json', { outputFile: '.vitest/results.json' }]],
  },
});
