import { configDefaults, defineConfig } from 'vitest/config';

// The suite in projects, so the fast part runs alone (`npm run test:fast`, or `npx vitest run --project unit`)
// while `npm test` (and CI, which runs `vitest run` without --project) still runs every project.

/** Tests that drive a real Chromium against the example app (which loads the built package by its name). */
const BROWSER = ['test/browser/**/*.test.ts'];

/**
 * Tests that load the build: `dist/` through the package's own name, its `bin`, or its declaration files.
 * They need `npm run build` first (the pretest script does it).
 */
const PACKAGE = [
  'test/package/**/*.test.ts',
  // The example imports the package by name.
  'test/example/**/*.test.ts',
  // The emulator server as a user starts it: the built bin.
  'test/emulator/cli.test.ts',
  // README samples run or type-checked as a user's code, importing the package by name.
  'test/readme/custom-callback.test.ts',
  'test/readme/emulator-sample.test.ts',
  'test/readme/enrolment-sample.test.ts',
  'test/readme/quick-start.test.ts',
  'test/readme/typecheck.test.ts',
  'test/readme/when-to-push-samples.test.ts',
];

/**
 * Tests that start their own redis-server (test/helpers/redis-server.ts): the Redis store's contract through
 * every client, and several app instances sharing Redis. They skip loudly without redis-server, unless
 * REQUIRE_REDIS=1 (CI), where they fail.
 */
const REDIS = ['test/stores/redis*.test.ts', 'test/redis/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Test files start their own emulators and servers on port 0, so they can run in parallel.
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // Everything else: strategy, stores, webhook, events, Twilio adapter, enrolment, emulator, end to end,
          // README samples that import the source. No browser and no build needed; a new test file lands here.
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...BROWSER, ...PACKAGE, ...REDIS],
        },
      },
      { extends: true, test: { name: 'browser', include: BROWSER } },
      { extends: true, test: { name: 'package', include: PACKAGE } },
      { extends: true, test: { name: 'redis', include: REDIS } },
      // The whole end-to-end suite once more, with every app on the Redis store (see test/e2e/harness.ts).
      { extends: true, test: { name: 'e2e-redis', include: ['test/e2e/**/*.test.ts'], env: { E2E_STORE: 'redis' } } },
    ],
  },
});
