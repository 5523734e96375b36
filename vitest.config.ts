import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Test files start their own emulators and servers on port 0, so they can run in parallel.
    pool: 'forks',
  },
});
