import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**', 'dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // e2e tests start real processes and share the machine's runtimes: keep files sequential.
    fileParallelism: false,
    pool: 'forks',
  },
});
