/**
 * Every Twilio error the emulator enforces, provoked through the real twilio SDK (v6 and v5) and asserted by
 * HTTP status and Twilio code, as twilio-node's RestException reports them. The error bodies themselves are
 * checked against Twilio's error shape `{ code, message, more_info, status }` after each test.
 */
import { describe, expect, it } from 'vitest';
import { MINUTE, SDKS, newIdentity, newKeyPair, signJwt, useVerifyContract, wholeSeconds } from '../helpers/verify-contract.js';

describe.each(SDKS)('Verify v2 errors through $label', ({ sdk }) => {
  const t = useVerifyContract(sdk);

  describe('20404 not found', () => {
    it('for an unknown service, on its own and under it', async () => {
      const unknown = `VA${'0'.repeat(32)}`;
      await t.expectTwilioError(t.client.verify.v2.services(unknown).fetch(), 404, 20404);
      await t.expectTwilioError(t.client.verify.v2.services(unknown).entities(newIdentity()).challenges.list(), 404, 20404);
    });

    it('for an unknown challenge or factor', async () => {
      const { serviceSid, identity } = await t.enrolled();
      await t.expectTwilioError(t.entity(serviceSid, identity).challenges(`YC${'0'.repeat(32)}`).fetch(), 404, 20404);
      await t.expectTwilioError(t.pushChallenge(serviceSid, identity, `YF${'0'.repeat(32)}`), 404, 20404);
    });
  });

  it('20003: refuses a wrong auth token or another account with 401', async () => {
    await t.expectTwilioError(t.clientWith(t.emulator.accountSid, 'not-the-token').verify.v2.services.create({ friendlyName: 'x' }), 401, 20003);
    const otherAccount = `AC${'1'.repeat(32)}`;
    await t.expectTwilioError(t.clientWith(otherAccount, t.emulator.authToken).verify.v2.services.list(), 401, 20003);
    // Nothing was created by the refused call.
    expect(await t.client.verify.v2.services.list()).toEqual([]);
  });

  describe('60200 invalid parameter', () => {
    it('for an access token Ttl outside 60–300 s', async () => {
      const tokens = t.client.verify.v2.services(await t.newService()).accessTokens;
      await t.expectTwilioError(tokens.create({ identity: newIdentity(), factorType: 'push', ttl: 59 }), 400, 60200);
      await t.expectTwilioError(tokens.create({ identity: newIdentity(), factorType: 'push', ttl: 301 }), 400, 60200);
    });

    const badChallenges: Array<[string, Record<string, unknown>]> = [
      ['a message over 256 characters', { 'details.message': 'm'.repeat(257) }],
      ['more than 20 fields', { 'details.fields': Array.from({ length: 21 }, (_, i) => ({ label: `L${i}`, value: 'v' })) }],
      ['a field label over 36 characters', { 'details.fields': [{ label: 'l'.repeat(37), value: 'v' }] }],
      ['a field value over 128 characters', { 'details.fields': [{ label: 'Action', value: 'v'.repeat(129) }] }],
      ['hidden details over 1024 characters', { hiddenDetails: { k: 'x'.repeat(1024) } }],
      ['hidden details with a non-string value', { hiddenDetails: { attempts: 3 } }],
      ['hidden details that are not JSON', { hiddenDetails: 'transaction=tx-1' }],
      ['hidden details that are a JSON array', { hiddenDetails: ['tx-1'] }],
      ['an expiry more than 60 minutes away', { expirationDate: wholeSeconds(Date.now() + 61 * MINUTE) }],
      ['an expiry in the past', { expirationDate: wholeSeconds(Date.now() - MINUTE) }],
    ];
    it.each(badChallenges)('for a challenge with %s, creating nothing', async (_label, options) => {
      const { serviceSid, identity, factorSid } = await t.enrolled();
      await t.expectTwilioError(t.pushChallenge(serviceSid, identity, factorSid, options), 400, 60200);
      expect(await t.entity(serviceSid, identity).challenges.list()).toEqual([]);
    });

    it('for answer metadata that is not JSON of strings, leaving the challenge pending', async () => {
      const { serviceSid, identity, factor } = await t.enrolledWithSdk();
      const challenge = await t.pushChallenge(serviceSid, identity, factor.factorSid);
      await t.expectTwilioError(t.sdkAnswer(serviceSid, identity, factor, challenge.sid, 'approved', { metadata: { attempts: 2 } }), 400, 60200);
      expect((await t.entity(serviceSid, identity).challenges(challenge.sid).fetch()).status).toBe('pending');
    });

    it('for a notification Ttl over 300 s', async () => {
      const { serviceSid, identity, factorSid } = await t.enrolled();
      const challenge = await t.pushChallenge(serviceSid, identity, factorSid);
      await t.expectTwilioError(t.entity(serviceSid, identity).challenges(challenge.sid).notifications.create({ ttl: 301 }), 400, 60200);
    });
  });

  it('60309: re-sends a push at most three times', async () => {
    const { serviceSid, identity, factorSid } = await t.enrolled();
    const challenge = await t.pushChallenge(serviceSid, identity, factorSid);
    const notifications = t.entity(serviceSid, identity).challenges(challenge.sid).notifications;
    for (let i = 0; i < 3; i += 1) await notifications.create();
    // Guess: Twilio does not document the HTTP status of 60309; the emulator answers 429.
    await t.expectTwilioError(notifications.create(), 429, 60309);
  });

  it('60315: refuses the 21st push factor of an entity', async () => {
    const serviceSid = await t.newService();
    const identity = newIdentity();
    const device = t.emulator.device();
    for (let i = 0; i < 20; i += 1) await device.register({ serviceSid, identity, friendlyName: `Phone ${i}` });
    expect(await t.entity(serviceSid, identity).factors.list()).toHaveLength(20);

    // The simulated device reports Twilio's refusal in RestException's shape…
    const refused = await device.register({ serviceSid, identity }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ status: 400, code: 60315 });
    // …and so does the SDK, whose answer body is contract-checked.
    await t.expectTwilioError(t.sdkFactor(serviceSid, identity, false), 400, 60315);
    expect(await t.entity(serviceSid, identity).factors.list()).toHaveLength(20);
  });

  it('60318: refuses a challenge for a factor that is not verified', async () => {
    const serviceSid = await t.newService();
    const identity = newIdentity();
    const factor = await t.sdkFactor(serviceSid, identity, false);
    await t.expectTwilioError(t.pushChallenge(serviceSid, identity, factor.factorSid), 403, 60318);
    expect(await t.entity(serviceSid, identity).challenges.list()).toEqual([]);
  });

  it('60322: refuses a second answer, from the SDK and from the simulated device', async () => {
    const { serviceSid, identity, factor } = await t.enrolledWithSdk();
    const challenge = await t.pushChallenge(serviceSid, identity, factor.factorSid);
    await t.sdkAnswer(serviceSid, identity, factor, challenge.sid, 'approved');
    await t.expectTwilioError(t.sdkAnswer(serviceSid, identity, factor, challenge.sid, 'denied'), 403, 60322);
    expect((await t.entity(serviceSid, identity).challenges(challenge.sid).fetch()).status).toBe('approved');

    const { device, ...ref } = await t.enrolled();
    const other = await t.pushChallenge(ref.serviceSid, ref.identity, ref.factorSid);
    await device.approve({ ...ref, challengeSid: other.sid });
    const again = await device.deny({ ...ref, challengeSid: other.sid }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(again).toMatchObject({ status: 403, code: 60322 });
    expect((await t.entity(ref.serviceSid, ref.identity).challenges(other.sid).fetch()).status).toBe('approved');
  });

  it('60323: expires a pending challenge by the clock and refuses a late answer', async () => {
    const { serviceSid, identity, factor } = await t.enrolledWithSdk();
    const challenge = await t.pushChallenge(serviceSid, identity, factor.factorSid);
    expect((await t.entity(serviceSid, identity).challenges(challenge.sid).fetch()).status).toBe('pending');

    t.advanceClock(5 * MINUTE + 1000);
    expect((await t.entity(serviceSid, identity).challenges(challenge.sid).fetch()).status).toBe('expired');
    expect((await t.entity(serviceSid, identity).challenges.list({ status: 'expired' })).map((c) => c.sid)).toEqual([challenge.sid]);
    await t.expectTwilioError(t.sdkAnswer(serviceSid, identity, factor, challenge.sid, 'approved'), 403, 60323);
    expect((await t.entity(serviceSid, identity).challenges(challenge.sid).fetch()).status).toBe('expired');
  });

  describe('60324 bad signature', () => {
    it('refuses an answer not signed by the factor key over the challenge as it is', async () => {
      const { serviceSid, identity, factor } = await t.enrolledWithSdk();
      const challenge = await t.pushChallenge(serviceSid, identity, factor.factorSid, { hiddenDetails: { transaction_id: 'tx-1' } });
      const context = t.entity(serviceSid, identity).challenges(challenge.sid);

      // Signed by a key that is not the factor's.
      await t.expectTwilioError(
        t.sdkAnswer(serviceSid, identity, factor, challenge.sid, 'approved', { signingKey: newKeyPair().privateKey }),
        403,
        60324,
      );
      // Not a JWT at all.
      await t.expectTwilioError(context.update({ authPayload: 'not-a-signed-payload' }), 403, 60324);
      // The factor's key, but over other hidden details than the challenge carries.
      const tampered = signJwt(
        { sid: challenge.sid, factor_sid: factor.factorSid, hidden_details: { transaction_id: 'tx-2' }, status: 'approved' },
        factor.privateKey,
        factor.factorSid,
      );
      await t.expectTwilioError(context.update({ authPayload: tampered }), 403, 60324);

      expect((await context.fetch()).status).toBe('pending');
    });

    it('refuses to verify a factor with a payload signed by another key', async () => {
      const serviceSid = await t.newService();
      const identity = newIdentity();
      const factor = await t.sdkFactor(serviceSid, identity, false);
      // Guess: the emulator answers a failed factor verification like a failed challenge signature.
      const authPayload = signJwt({ factor_sid: factor.factorSid }, newKeyPair().privateKey);
      await t.expectTwilioError(t.entity(serviceSid, identity).factors(factor.factorSid).update({ authPayload }), 403, 60324);
      expect((await t.entity(serviceSid, identity).factors(factor.factorSid).fetch()).status).toBe('unverified');
    });
  });

  describe('injected faults', () => {
    it.each([
      [429, 20429],
      [503, 20503],
    ])("answer %i in Twilio's error shape with code %i", async (status, code) => {
      const serviceSid = await t.newService();
      t.emulator.faults.add({ operation: 'fetchService', kind: 'status', status, retryAfterSeconds: 1 });
      // Guess: 20503 for a 503 is the emulator's choice; Twilio's generic 5xx codes are not documented.
      await t.expectTwilioError(t.client.verify.v2.services(serviceSid).fetch(), status, code);
      // A fault hits once by default; the next call is answered normally.
      expect((await t.client.verify.v2.services(serviceSid).fetch()).sid).toBe(serviceSid);
    });
  });
});
