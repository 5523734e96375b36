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
];

// A project for tests that need a real redis-server goes here: a `REDIS` list of its files, a project entry
// below named 'redis', and REDIS added to what the unit project excludes.

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
          exclude: [...configDefaults.exclude, ...BROWSER, ...PACKAGE],
        },
      },
      { extends: true, test: { name: 'browser', include: BROWSER } },
      { extends: true, test: { name: 'package', include: PACKAGE } },
    ],
  },
});
