import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    // One project per level. A project's global setup runs only when one of its tests is queued,
    // so `vitest run --project unit` (npm run test:unit) neither builds lib/ nor opens a socket.
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'built',
          include: [
            'test/sockets/**/*.test.ts',
            'test/package/**/*.test.ts',
            'test/browser/**/*.test.ts',
          ],
          // Builds lib/: the sockets, package and browser levels run the connector as it ships.
          globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'text'],
    },
  },
});
