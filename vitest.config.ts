import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native Temporal core bridge and real child processes: isolate per file in forks.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: run files two at a time so server-backed suites do not starve each other.
    maxWorkers: 2,
  },
});
