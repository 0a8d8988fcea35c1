import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // test/slow (a qemu boot, minutes): `npm run test:slow`, which sets DROVER_SLOW_TESTS; .ci/run runs it when install/ changed
    exclude: ['test/bench/**', 'node_modules/**', 'dist/**', ...(process.env.DROVER_SLOW_TESTS ? [] : ['test/slow/**'])],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // e2e tests start real processes and share the machine's runtimes: keep files sequential.
    fileParallelism: false,
    pool: 'forks',
  },
});
