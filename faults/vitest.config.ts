// The fault suite's fast subset (CI): its own stack per run, so no global PostgreSQL; one file, serial.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/faults/**/*.spec.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    allowOnly: !process.env.CI,
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: process.env.VITEST_JSON ?? 'coverage/faults-results.json' },
  },
});
