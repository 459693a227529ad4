import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    // Files share one PostgreSQL; each test creates its own wallets, so files may run in parallel,
    // but the machine has 2 cores and some tests measure concurrency: keep it modest.
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 60_000,
    // Servers that tests spawn share the test database: only the webhook tests run a dispatcher there.
    env: { WEBHOOK_DISPATCHER_ENABLED: 'false' },
    hookTimeout: 120_000,
    allowOnly: !process.env.CI,
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: process.env.VITEST_JSON ?? 'coverage/test-results.json' },
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'text', 'html'],
    },
  },
});
