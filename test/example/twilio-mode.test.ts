/**
 * The example's real Twilio mode, with the emulator standing in for Twilio: the environment check,
 * the webhook setup `npm run setup:twilio` performs, and a whole sign-in over HTTP as a browser makes it
 * (password, enrol a phone with the app's access token, push, approve, signed webhook, account page).
 */
import supertest from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TwilioClientLike } from 'passport-twilio-verify-push';
import { VerifyPushEmulator, type RunningEmulator } from 'passport-twilio-verify-push/testing';
import { createExampleApp, type RunningExample } from '../../example/app.js';
import { ensureWebhook } from '../../example/setup-twilio.js';
import { twilioModeFromEnv, WEBHOOK_PATH } from '../../example/twilio-mode.js';
import { freePort } from '../helpers/free-port.js';

const ALICE = { username: 'alice', password: 'correct-horse', displayName: 'Alice Example' };
const IDENTITY_SECRET = 'a-test-identity-secret-of-32-plus-characters';
/** What setup:twilio subscribes the webhook to (sorted): push outcomes, and devices added or removed. */
const EVENT_TYPES = ['challenge.approved', 'challenge.denied', 'factor.deleted', 'factor.verified'];

const COMPLETE_ENV = {
  TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000000',
  TWILIO_AUTH_TOKEN: 'test-auth-token',
  TWILIO_VERIFY_SERVICE_SID: 'VA00000000000000000000000000000000',
  PUBLIC_URL: 'https://example.test/',
  IDENTITY_SECRET,
};

/** The error thrown by `fn`, so a test can check what it names. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`threw a non-Error: ${String(error)}`);
  }
  throw new Error('did not throw');
}

describe('twilioModeFromEnv', () => {
  it('without any Twilio variable it is emulator mode (undefined)', () => {
    expect(twilioModeFromEnv({})).toBeUndefined();
    // IDENTITY_SECRET alone does not switch Twilio mode on.
    expect(twilioModeFromEnv({ IDENTITY_SECRET })).toBeUndefined();
  });

  it('with only some variables set it stops and names the missing ones', () => {
    const error = thrown(() => twilioModeFromEnv({ TWILIO_ACCOUNT_SID: COMPLETE_ENV.TWILIO_ACCOUNT_SID, PUBLIC_URL: '' }));
    const missing = error.message.slice(error.message.indexOf('missing:'));
    expect(missing).toContain('TWILIO_AUTH_TOKEN');
    expect(missing).toContain('TWILIO_VERIFY_SERVICE_SID');
    expect(missing).toContain('PUBLIC_URL');
    // The one that is set is not reported missing.
    expect(missing).not.toContain('TWILIO_ACCOUNT_SID');
  });

  it('needs an IDENTITY_SECRET of at least 32 characters', () => {
    const { IDENTITY_SECRET: _omitted, ...withoutSecret } = COMPLETE_ENV;
    expect(thrown(() => twilioModeFromEnv(withoutSecret)).message).toContain('IDENTITY_SECRET');
    expect(thrown(() => twilioModeFromEnv({ ...COMPLETE_ENV, IDENTITY_SECRET: 'x'.repeat(31) })).message).toContain('IDENTITY_SECRET');
    expect(twilioModeFromEnv({ ...COMPLETE_ENV, IDENTITY_SECRET: 'x'.repeat(32) })?.identitySecret).toBe('x'.repeat(32));
  });

  it('refuses a plain-http PUBLIC_URL unless it is localhost', () => {
    expect(thrown(() => twilioModeFromEnv({ ...COMPLETE_ENV, PUBLIC_URL: 'http://example.test' })).message).toContain('PUBLIC_URL');
    expect(twilioModeFromEnv({ ...COMPLETE_ENV, PUBLIC_URL: 'http://localhost:3000' })?.publicUrl).toBe('http://localhost:3000');
  });

  it('a complete environment gives the config, PUBLIC_URL without its trailing slash', () => {
    expect(twilioModeFromEnv(COMPLETE_ENV)).toEqual({
      accountSid: COMPLETE_ENV.TWILIO_ACCOUNT_SID,
      authToken: COMPLETE_ENV.TWILIO_AUTH_TOKEN,
      serviceSid: COMPLETE_ENV.TWILIO_VERIFY_SERVICE_SID,
      publicUrl: 'https://example.test',
      identitySecret: IDENTITY_SECRET,
    });
    expect(twilioModeFromEnv({ ...COMPLETE_ENV, PUBLIC_URL: 'https://tunnel.example.test/app/' })?.publicUrl).toBe(
      'https://tunnel.example.test/app',
    );
  });
});

describe('real Twilio mode, with the emulator as Twilio', () => {
  // A fresh "Twilio" per test, so each test's call log is its own.
  let emulator: RunningEmulator;
  const apps: RunningExample[] = [];

  beforeEach(async () => {
    emulator = await VerifyPushEmulator.start();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await emulator?.close();
  });

  async function webhooksOf(serviceSid: string): Promise<Array<{ sid: string; webhookUrl: string; eventTypes: string[]; status: string }>> {
    const list = await emulator.client().verify.v2.services(serviceSid).webhooks.list();
    return list.map((hook) => ({ sid: hook.sid, webhookUrl: hook.webhookUrl, eventTypes: [...hook.eventTypes].sort(), status: hook.status }));
  }

  it('setup:twilio creates the webhook, and on a second run (new PUBLIC_URL) updates it instead of adding one', async () => {
    const serviceSid = await emulator.createService('setup check');
    const first = await ensureWebhook(emulator.client(), serviceSid, 'https://old-tunnel.example.test/');
    expect(first.action).toBe('created');
    expect(await webhooksOf(serviceSid)).toEqual([
      {
        sid: first.sid,
        webhookUrl: `https://old-tunnel.example.test${WEBHOOK_PATH}`,
        eventTypes: EVENT_TYPES,
        status: 'enabled',
      },
    ]);

    const second = await ensureWebhook(emulator.client(), serviceSid, 'https://new-tunnel.example.test');
    expect(second).toMatchObject({ action: 'updated', sid: first.sid });
    expect(await webhooksOf(serviceSid)).toEqual([
      {
        sid: first.sid,
        webhookUrl: `https://new-tunnel.example.test${WEBHOOK_PATH}`,
        eventTypes: EVENT_TYPES,
        status: 'enabled',
      },
    ]);
    expect(emulator.calls({ operation: 'createWebhook', source: 'api' })).toHaveLength(1);
  });

  it('a full sign-in: password, enrol a phone with the app\'s token, push, approve, account page', async () => {
    const serviceSid = await emulator.createService('example in Twilio mode');
    // Known before the app starts, so PUBLIC_URL (and the webhook) can point at it.
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;

    // What `npm run setup:twilio` does, against "Twilio".
    const hook = await ensureWebhook(emulator.client(), serviceSid, publicUrl);
    expect(hook.action).toBe('created');
    expect(await webhooksOf(serviceSid)).toEqual([
      { sid: hook.sid, webhookUrl: `${publicUrl}${WEBHOOK_PATH}`, eventTypes: EVENT_TYPES, status: 'enabled' },
    ]);
    expect((await ensureWebhook(emulator.client(), serviceSid, publicUrl)).action).toBe('updated');
    expect(await webhooksOf(serviceSid)).toHaveLength(1);

    const example = await createExampleApp({
      port,
      twilio: {
        accountSid: emulator.accountSid,
        // Twilio signs webhooks with the account's auth token; so does the emulator.
        authToken: emulator.authToken,
        serviceSid,
        publicUrl,
        identitySecret: IDENTITY_SECRET,
        client: emulator.client() as unknown as TwilioClientLike,
      },
    });
    apps.push(example);
    expect(example.mode).toBe('twilio');
    expect(example.url).toBe(publicUrl);
    expect(example.emulator).toBeUndefined();
    // No device simulator with a real phone: anyone reaching it could approve sign-ins.
    expect((await supertest(example.url).get('/device')).status).toBe(404);

    const browser = supertest.agent(example.url);
    const loginPage = await browser.get('/login');
    expect(loginPage.status).toBe(200);
    expect(loginPage.text).toContain('name="username"');
    expect(loginPage.text).toContain('name="password"');
    expect(loginPage.text).toContain(ALICE.password);

    // No phone at "Twilio" yet (Twilio mode seeds none): the password step sends alice to enrolment.
    const firstLogin = await browser.post('/login').type('form').send({ username: ALICE.username, password: ALICE.password });
    expect(firstLogin.status).toBe(303);
    expect(firstLogin.headers.location).toBe('/enrol');
    expect(emulator.calls({ operation: 'createChallenge' })).toHaveLength(0);

    const enrolPage = await browser.get('/enrol');
    expect(enrolPage.status).toBe(200);
    expect(enrolPage.text).toContain('Create enrolment token');
    expect(enrolPage.text).not.toContain('simulated phone');

    // What the enrolment page's script does: ask the app for an access token for the signed-in user.
    const tokenAnswer = await browser.post('/enrol/token').set('Accept', 'application/json').send({});
    expect(tokenAnswer.status).toBe(200);
    const token = tokenAnswer.body as { token: string; identity: string; serviceSid: string; factorType: string };
    expect(token).toMatchObject({ serviceSid, factorType: 'push' });
    // The identity is an HMAC of the user id, never the username (no personal data at Twilio).
    expect(token.identity).not.toContain(ALICE.username);
    const accessTokenCalls = emulator.calls({ operation: 'createAccessToken', source: 'api' });
    expect(accessTokenCalls).toHaveLength(1);
    expect(accessTokenCalls[0]?.path).toContain(`/Services/${serviceSid}/`);

    // The phone (the Verify mobile SDK) enrols with that token.
    const phone = emulator.device();
    const { factorSid } = await phone.register({ serviceSid, identity: token.identity, accessToken: token.token, friendlyName: "Alice's phone" });
    const factorRef = { serviceSid, identity: token.identity, factorSid };

    // Signing in again: this time a push goes to the phone and the browser waits.
    const secondLogin = await browser.post('/login').type('form').send({ username: ALICE.username, password: ALICE.password });
    expect(secondLogin.status).toBe(303);
    expect(secondLogin.headers.location).toBe('/login/push/wait');
    const waiting = await browser.get('/login/push/wait');
    expect(waiting.status).toBe(200);
    expect(waiting.text).toContain('Check your phone');
    expect((await browser.get('/account')).headers.location).toBe('/login/push/wait');

    const created = emulator.calls({ operation: 'createChallenge', source: 'api' });
    expect(created).toHaveLength(1);
    expect(created[0]?.path).toBe(`/v2/Services/${serviceSid}/Entities/${token.identity}/Challenges`);
    expect(created[0]?.params.FactorSid).toBe(factorSid);

    const pending = await phone.challenges({ ...factorRef, status: 'pending' });
    expect(pending).toHaveLength(1);
    const challenge = pending[0]!;
    expect(challenge.details.message).toBe('Approve sign-in to the Verify Push example?');
    const callsBeforeApproval = emulator.calls().length;
    await phone.approve({ ...factorRef, challengeSid: challenge.sid });
    await emulator.webhooksSettled();

    // Twilio's webhook reached the app at PUBLIC_URL and was accepted (its signature checked out).
    const deliveries = emulator.deliveries().filter((delivery) => delivery.params.challenge_sid === challenge.sid);
    expect(deliveries.map((d) => ({ type: d.type, url: d.url, outcome: d.outcome, status: d.status }))).toEqual([
      { type: 'challenge.approved', url: `${publicUrl}${WEBHOOK_PATH}`, outcome: 'sent', status: 200 },
    ]);
    // The app never trusts the webhook's claims: it confirmed the challenge with Twilio before the
    // browser asked anything (no browser request was made since the approval).
    const sinceApproval = emulator.calls().slice(callsBeforeApproval);
    const confirming = sinceApproval.filter((call) => call.source === 'api' && call.operation === 'fetchChallenge');
    expect(confirming.map((call) => call.path)).toContain(`/v2/Services/${serviceSid}/Entities/${token.identity}/Challenges/${challenge.sid}`);

    // The waiting page moves on to the completion route, which finishes the sign-in.
    const afterApproval = await browser.get('/login/push/wait');
    expect(afterApproval.status).toBe(303);
    expect(afterApproval.headers.location).toBe('/login/push/complete');
    const complete = await browser.get('/login/push/complete');
    // Passport's successRedirect answers 302; a browser follows it like a 303.
    expect([302, 303]).toContain(complete.status);
    expect(complete.headers.location).toBe('/account');

    const account = await browser.get('/account');
    expect(account.status).toBe(200);
    expect(account.text).toContain(`Welcome, ${ALICE.displayName}`);
    expect(account.text).toContain('Signed in with your password and approved on your phone.');
    expect(account.text).toContain("Alice&#39;s phone");

    // Everything went to "Twilio" with the account's credentials, as the real client would send it.
    const apiOperations = new Set(emulator.calls({ source: 'api' }).map((call) => call.operation));
    expect(apiOperations).toContain('createChallenge');
    expect(apiOperations).toContain('fetchChallenge');
    expect(emulator.calls({ source: 'api' }).every((call) => call.status < 400)).toBe(true);
  });
});
