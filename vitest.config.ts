import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      // A re-export for tests and the demo; nothing to run.
      exclude: ['src/testing.ts'],
      reporter: ['text-summary', 'text'],
    },
  },
});
