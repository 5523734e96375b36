/**
 * A complete login through the built package, once as a CommonJS app (`require`) and once as an ES-module app
 * (`import`): password, the gate's push, the emulator's phone approves, the completion route, the protected
 * page. Each runs in a fresh Node process from the package root, so the package resolves itself by name through
 * its exports map exactly as an installed dependency would. Checking that the exports exist is not enough: the
 * CommonJS build once loaded fine and then failed on its first Twilio call.
 */
import { describe, it } from 'vitest';
import { expectCompleteLogin, runLoginFixture } from './login-report.js';

describe.each([
  { kind: 'CommonJS', program: 'full-login.cjs' },
  { kind: 'ES module', program: 'full-login.mjs' },
])('a $kind app logs in through the built package', ({ program }) => {
  it('password, push, approval on the phone, completion, protected page', { timeout: 60_000 }, async () => {
    expectCompleteLogin(await runLoginFixture(program));
  });
});
