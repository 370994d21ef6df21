import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Suites with their own servers and scripts: the production Temporal (`npm run test:temporal-prod`,
    // vitest.prod-temporal.config.ts) and the Kubernetes API server (`npm run test:kube`).
    exclude: [...configDefaults.exclude, 'test/prod-temporal/**', 'test/kube/**'],
    // Native Temporal core bridge and real child processes: isolate per file in forks.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: run files two at a time so server-backed suites do not starve each other.
    maxWorkers: 2,
    // The time-skipping test server can stall a workflow for good when a rollback signal cancels an
    // activity in the very workflow task where that activity completes ("ACTIVITY_UNKNOWN for
    // scheduledEventId", temporalio/sdk-typescript#1058; the real server carries on). A loaded CI
    // run hits that race now and then, so a test that times out is run once more. A failed
    // assertion is never retried, and CI's closing summary names every test that needed a retry.
    retry: { count: 1, condition: /Test timed out/ },
  },
});
