/**
 * A complete login through the built package, once as a CommonJS app (`require`) and once as an ES-module app
 * (`import`): password, the gate's push, the emulator's phone approves, the completion route, the protected
 * page. Each runs in a fresh Node process from the package root, so the package resolves itself by name through
 * its exports map exactly as an installed dependency would. Checking that the exports exist is not enough: the
 * CommonJS build once loaded fine and then failed on its first Twilio call.
 */
import { describe, expect, it } from 'vitest';
import { runLoginFixture } from './login-report.js';

describe.each([
  { kind: 'CommonJS', program: 'full-login.cjs' },
  { kind: 'ES module', program: 'full-login.mjs' },
])('a $kind app logs in through the built package', ({ program }) => {
  it('password, push, approval on the phone, completion, protected page', { timeout: 60_000 }, async () => {
    const report = await runLoginFixture(program);
    // The app ran on the same Node as the test runner (CI runs the suite on each supported Node line).
    expect(report.node).toBe(process.version);
    // No step failed on the server (this lists the error a broken build gives, e.g. on its first Twilio call).
    expect(report.seen.filter((answer) => answer.status >= 500)).toEqual([]);

    // The password step logs the user in for the first factor and sends them to the protected page…
    expect(report.login).toEqual({ status: 302, location: '/account' });
    // …where the gate starts the push and sends the browser to the waiting page; a JSON client sees it pending.
    expect(report.gate).toEqual({ status: 303, location: '/login/push/wait' });
    expect(report.pending.status).toBe(202);
    expect(report.pending.body).toMatchObject({ status: 'pending', code: 'CHALLENGE_PENDING' });
    expect(report.pushesOnPhone).toBe(1);

    // The phone approved; Twilio's webhook reached the app and was accepted.
    expect(report.webhooks).toEqual([{ type: 'challenge.approved', outcome: 'sent', status: 200 }]);

    // Completion logs in and returns to the protected page, which now lets the session through.
    expect(report.complete).toEqual({ status: 302, location: '/account' });
    expect(report.account).toEqual({ status: 200, body: 'Welcome, alice!' });
    expect(report.again).toEqual({ status: 200, body: 'Welcome, alice!' });
  });
});
