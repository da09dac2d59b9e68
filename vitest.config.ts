import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests import workspace packages from source, so no build is needed to run a unit test.
    conditions: ['source'],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Scenario tests start real processes; two cores, so keep parallelism modest.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
