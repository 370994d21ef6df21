// The Gateway API and Istio router suites (test/kube), on the API server scripts/setup-kube.sh
// builds: `npm run test:kube`. Everything else as in the default configuration.
import { configDefaults } from 'vitest/config';
import base from './vitest.config';

// Set, not merged: mergeConfig would append to the default include and run every suite.
export default {
  ...base,
  test: { ...base.test, include: ['test/kube/**/*.test.ts'], exclude: configDefaults.exclude },
};
