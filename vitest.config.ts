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
    // Once in many full runs on two loaded cores, the time-skipping test server stalls a test that takes
    // half a second alone until its timeout. Only a timeout is tried again, never a failed assertion,
    // and CI's closing summary names every test that needed it.
    retry: { count: 1, condition: /Test timed out/ },
  },
});
