import { defineConfig } from 'vitest/config';

// One vitest run covers the whole tree: unit tests beside the code, end-to-end tests in test/.
export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'actions/*/src/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores here and in CI: keep the pool small so loopback servers are not starved.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
