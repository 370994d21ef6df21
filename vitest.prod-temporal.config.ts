// `npm run test:temporal-prod`: only the production-Temporal profile (test/prod-temporal), with
// the default suite's settings (mergeConfig would concatenate the include lists, so spread).
import { defineConfig } from 'vitest/config';
import base from './vitest.config';

export default defineConfig({
  test: { ...base.test, include: ['test/prod-temporal/**/*.test.ts'], exclude: ['**/node_modules/**'] },
});
