/**
 * Every Twilio error the emulator enforces, provoked through the real twilio SDK (v6 and v5) and asserted by
 * HTTP status and Twilio code, as twilio-node's RestException reports them. The error bodies themselves are
 * checked against Twilio's error shape `{ code, message, more_info, status }` after each test.
 * Which operation answers which code, and where each came from, is in docs/twilio-fidelity.md.
 */
import { describe, expect, it } from 'vitest';
import type { OperationName } from '../../src/testing/index.js';
import { MINUTE, SDKS, factorProof, newIdentity, newKeyPair, signJwt, useVerifyContract, wholeSeconds } from '../helpers/verify-contract.js';

const UNKNOWN = {
  service: `VA${'0'.repeat(32)}`,
  factor: `YF${'0'.repeat(32)}`,
  challenge: `YC${'0'.repeat(32)}`,
  accessToken: `YK${'0'.repeat(32)}`,
  webhook: `YW${'0'.repeat(32)}`,
};
const DAY = 24 * 60 * MINUTE;

describe.each(SDKS)('Verify v2 errors through $label', ({ sdk }) => {
  const t = useVerifyContract(sdk);

  describe('not found', () => {
    it('20404 for an unknown service, on its own and under it, and for resources Verify has no code of its own for', async () => {
      await t.expectTwilioError(t.client.verify.v2.services(UNKNOWN.service).fetch(), 404, 20404);
      await t.expectTwilioError(t.client.verify.v2.services(UNKNOWN.service).entities(newIdentity()).challenges.list(), 404, 20404);
      const serviceSid = await t.newService();
      await t.expectTwilioError(t.client.verify.v2.services(serviceSid).accessTokens(UNKNOWN.accessToken).fetch(), 404, 20404);
      await t.expectTwilioError(t.client.verify.v2.services(serviceSid).webhooks(UNKNOWN.webhook).fetch(), 404, 20404);
    });

    it('60392 for an entity that does not exist or was deleted', async () => {
      const { serviceSid, identity, factorSid } = await t.enrolled();
      const stranger = t.entity(serviceSid, newIdentity());
      await t.expectTwilioError(stranger.fetch(), 404, 60392);
      await t.expectTwilioError(stranger.remove(), 404, 60392);
      await t.expectTwilioError(stranger.challenges.create({ factorSid, 'details.message': 'Log in?' }), 404, 60392);
      await t.expectTwilioError(stranger.factors(factorSid).fetch(), 404, 60392);
      await t.entity(serviceSid, identity).remove();
      await t.expectTwilioError(t.entity(serviceSid, identity).factors(factorSid).fetch(), 404, 60392);
    });

    it('60390 for a factor that does not exist or belongs to another entity', async () => {
      const { serviceSid, identity, factorSid } = await t.enrolled();
      const factors = t.entity(serviceSid, identity).factors;
      await t.expectTwilioError(factors(UNKNOWN.factor).fetch(), 404, 60390);
      await t.expectTwilioError(factors(UNKNOWN.factor).update({ friendlyName: 'x' }), 404, 60390);
      await t.expectTwilioError(factors(UNKNOWN.factor).remove(), 404, 60390);
      await t.expectTwilioError(t.pushChallenge(serviceSid, identity, UNKNOWN.factor), 404, 60390);
      const other = await t.emulator.device().register({ serviceSid, identity: newIdentity() });
      await t.expectTwilioError(t.pushChallenge(serviceSid, identity, other.factorSid), 404, 60390);
      await factors(factorSid).remove();
      await t.expectTwilioError(factors(factorSid).fetch(), 404, 60390);
    });

    it('60391 for a challenge that does not exist or belongs to another entity', async () => {
      const { serviceSid, identity, factorSid } = await t.enrolled();
      const unknown = t.entity(serviceSid, identity).challenges(UNKNOWN.challenge);
      await t.expectTwilioError(unknown.fetch(), 404, 60391);
      await t.expectTwilioError(unknown.update({ authPayload: 'x' }), 404, 60391);
      await t.expectTwilioError(unknown.notifications.create(), 404, 60391);
      const challenge = await t.pushChallenge(serviceSid, identity, factorSid);
      const otherIdentity = newIdentity();
      await t.emulator.device().register({ serviceSid, identity: otherIdentity });
      await t.expectTwilioError(t.entity(serviceSid, otherIdentity).challenges(challenge.sid).fetch(), 404, 60391);
    });

    const injected: Array<[number, OperationName]> = [
      [20404, 'fetchService'],
      [60390, 'fetchFactor'],
      [60391, 'fetchChallenge'],
      [60392, 'fetchEntity'],
    ];
    it.each(injected)('%i answered by a fault on %s, once, for a resource that exists', async (code, operation) => {
      const { serviceSid, identity, factorSid } = await t.enrolled();
      const challenge = await t.pushChallenge(serviceSid, identity, factorSid);
      const calls: Record<string, () => Promise<unknown>> = {
        fetchService: () => t.client.verify.v2.services(serviceSid).fetch(),
        fetchFactor: () => t.entity(serviceSid, identity).factors(factorSid).fetch(),
        fetchChallenge: () => t.entity(serviceSid, identity).challenges(challenge.sid).fetch(),
        fetchEntity: () => t.entity(serviceSid, identity).fetch(),
      };
      t.emulator.faults.add({ operation, kind: 'status', status: 404, code });
      await t.expectTwilioError(calls[operation]!(), 404, code);
      await expect(calls[operation]!()).resolves.toBeDefined();
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
    it('for a service friendly name over 32 characters', async () => {
      expect((await t.client.verify.v2.services.create({ friendlyName: 'n'.repeat(32) })).friendlyName).toBe('n'.repeat(32));
      await t.expectTwilioError(t.client.verify.v2.services.create({ friendlyName: 'n'.repeat(33) }), 400, 60200);
    });

    it('for an access token Ttl outside 60–300 s', async () => {
      const tokens = t.client.verify.v2.services(await t.newService()).accessTokens;
      await t.expectTwilioError(tokens.create({ identity: newIdentity(), factorType: 'push', ttl: 59 }), 400, 60200);
      await t.expectTwilioError(tokens.create({ identity: newIdentity(), factorType: 'push', ttl: 301 }), 400, 60200);
    });

    const badChallenges: Array<[string, Record<string, unknown>]> = [
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

  it('60301: refuses an entity whose identity the service already has, with 409', async () => {
    const entities = t.client.verify.v2.services(await t.newService()).entities;
    const identity = newIdentity();
    const first = await entities.create({ identity });
    await t.expectTwilioError(entities.create({ identity }), 409, 60301);
    expect((await entities.list()).map((e) => e.sid)).toEqual([first.sid]);
  });

  describe('60309: too many notifications', () => {
    it('counts the push sent on creation: two re-sends succeed, the third is refused with 429', async () => {
      const { serviceSid, identity, factorSid } = await t.enrolled();
      const challenge = await t.pushChallenge(serviceSid, identity, factorSid);
      const notifications = t.entity(serviceSid, identity).challenges(challenge.sid).notifications;
      await notifications.create();
      await notifications.create();
      await t.expectTwilioError(notifications.create(), 429, 60309);
      expect((await t.entity(serviceSid, identity).challenges(challenge.sid).fetch()).status).toBe('pending');
    });
  });

  describe('60311: factor verification failed', () => {
    it('refuses a proof signed by another key, or over another SID, with 403, leaving the factor unverified', async () => {
      const serviceSid = await t.newService();
      const identity = newIdentity();
      const factor = await t.sdkFactor(serviceSid, identity, false);
      const context = t.entity(serviceSid, identity).factors(factor.factorSid);
      await t.expectTwilioError(context.update({ authPayload: factorProof(factor.factorSid, newKeyPair().privateKey) }), 403, 60311);
      await t.expectTwilioError(context.update({ authPayload: factorProof(`YF${'1'.repeat(32)}`, factor.privateKey) }), 403, 60311);
      expect((await context.fetch()).status).toBe('unverified');
    });

    it('refuses a JWT, which is not what the mobile SDKs send to verify a factor', async () => {
      const serviceSid = await t.newService();
      const identity = newIdentity();
      const factor = await t.sdkFactor(serviceSid, identity, false);
      const context = t.entity(serviceSid, identity).factors(factor.factorSid);
      await t.expectTwilioError(context.update({ authPayload: signJwt({ factor_sid: factor.factorSid }, factor.privateKey) }), 403, 60311);
      expect((await context.fetch()).status).toBe('unverified');
    });
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

  it('60317: refuses a factor with the binding of an existing one, with 409', async () => {
    const serviceSid = await t.newService();
    const identity = newIdentity();
    const keys = newKeyPair();
    const create = () =>
      t.entity(serviceSid, identity).newFactors.create({
        friendlyName: 'Phone',
        factorType: 'push',
        'binding.alg': 'ES256',
        'binding.publicKey': keys.publicKeyBase64,
        'config.appId': 'com.example.contract',
        'config.notificationPlatform': 'none',
      });
    await create();
    await t.expectTwilioError(create(), 409, 60317);
    expect(await t.entity(serviceSid, identity).factors.list()).toHaveLength(1);
  });

  it('60318: refuses a challenge for a factor that is not verified', async () => {
    const serviceSid = await t.newService();
    const identity = newIdentity();
    const factor = await t.sdkFactor(serviceSid, identity, false);
    await t.expectTwilioError(t.pushChallenge(serviceSid, identity, factor.factorSid), 403, 60318);
    expect(await t.entity(serviceSid, identity).challenges.list()).toEqual([]);
  });

  it('60322: refuses a second answer with 403, from the SDK and from the simulated device', async () => {
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

  it('60323: expires a pending challenge by the clock and refuses a late answer or re-send with 403', async () => {
    const { serviceSid, identity, factor } = await t.enrolledWithSdk();
    const challenge = await t.pushChallenge(serviceSid, identity, factor.factorSid);
    expect((await t.entity(serviceSid, identity).challenges(challenge.sid).fetch()).status).toBe('pending');

    t.advanceClock(5 * MINUTE + 1000);
    expect((await t.entity(serviceSid, identity).challenges(challenge.sid).fetch()).status).toBe('expired');
    expect((await t.entity(serviceSid, identity).challenges.list({ status: 'expired' })).map((c) => c.sid)).toEqual([challenge.sid]);
    await t.expectTwilioError(t.sdkAnswer(serviceSid, identity, factor, challenge.sid, 'approved'), 403, 60323);
    await t.expectTwilioError(t.entity(serviceSid, identity).challenges(challenge.sid).notifications.create(), 403, 60323);
    expect((await t.entity(serviceSid, identity).challenges(challenge.sid).fetch()).status).toBe('expired');
  });

  it('60324: refuses with 403 an answer not signed by the factor key over the challenge as it is', async () => {
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
    const tampered = signJwt({ sid: challenge.sid, factor_sid: factor.factorSid, hidden_details: { transaction_id: 'tx-2' }, status: 'approved' }, factor.privateKey);
    await t.expectTwilioError(context.update({ authPayload: tampered }), 403, 60324);

    expect((await context.fetch()).status).toBe('pending');
  });

  describe('60326: too many factor creations for an entity', () => {
    it('refuses the 101st creation within 24 hours with 429, even after deletions, and allows it a day later', async () => {
      const serviceSid = await t.newService();
      const identity = newIdentity();
      for (let i = 0; i < 100; i += 1) {
        const factor = await t.sdkFactor(serviceSid, identity, false);
        await t.entity(serviceSid, identity).factors(factor.factorSid).remove();
      }
      await t.expectTwilioError(t.sdkFactor(serviceSid, identity, false), 429, 60326);
      expect(await t.entity(serviceSid, identity).factors.list()).toEqual([]);
      t.advanceClock(DAY);
      await expect(t.sdkFactor(serviceSid, identity)).resolves.toBeDefined();
    });
  });

  describe('60362 / 60366 / 60367: identifiers that are malformed or missing', () => {
    it('60362 for a FactorSid that is not a factor SID', async () => {
      const { serviceSid, identity } = await t.enrolled();
      await t.expectTwilioError(t.pushChallenge(serviceSid, identity, 'YF123'), 400, 60362);
      await t.expectTwilioError(t.pushChallenge(serviceSid, identity, `YC${'0'.repeat(32)}`), 400, 60362);
    });

    it('60367 for an Identity parameter, or a new push factor\'s identity, that is not 8–64 dash-separated alphanumerics', async () => {
      const serviceSid = await t.newService();
      const services = t.client.verify.v2.services(serviceSid);
      await t.expectTwilioError(services.entities.create({ identity: 'short' }), 400, 60367);
      await t.expectTwilioError(services.entities.create({ identity: 'has_underscore_0001' }), 400, 60367);
      await t.expectTwilioError(services.accessTokens.create({ identity: 'x'.repeat(65), factorType: 'push' }), 400, 60367);
      await t.expectTwilioError(t.sdkFactor(serviceSid, 'short', false), 400, 60367);
      expect(await services.entities.list()).toEqual([]);
    });

    it('60366 for an Entity, Factor or Challenge path whose identity is malformed', async () => {
      const { serviceSid, factorSid } = await t.enrolled();
      const malformed = t.entity(serviceSid, 'no');
      await t.expectTwilioError(malformed.fetch(), 400, 60366);
      await t.expectTwilioError(malformed.factors.list(), 400, 60366);
      await t.expectTwilioError(malformed.challenges.create({ factorSid, 'details.message': 'Log in?' }), 400, 60366);
    });
  });

  describe('60368: challenge details invalid or not provided', () => {
    const badDetails: Array<[string, Record<string, unknown>]> = [
      ['no message', { 'details.message': undefined }],
      ['a message over 256 characters', { 'details.message': 'm'.repeat(257) }],
      ['more than 20 fields', { 'details.fields': Array.from({ length: 21 }, (_, i) => ({ label: `L${i}`, value: 'v' })) }],
      ['a field label over 36 characters', { 'details.fields': [{ label: 'l'.repeat(37), value: 'v' }] }],
      ['a field value over 128 characters', { 'details.fields': [{ label: 'Action', value: 'v'.repeat(129) }] }],
      ['a field without a value', { 'details.fields': [{ label: 'Action' }] }],
    ];
    it.each(badDetails)('for a push challenge with %s, creating nothing', async (_label, options) => {
      const { serviceSid, identity, factorSid } = await t.enrolled();
      await t.expectTwilioError(t.pushChallenge(serviceSid, identity, factorSid, options), 400, 60368);
      expect(await t.entity(serviceSid, identity).challenges.list()).toEqual([]);
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

    it('answer a chosen Twilio code with its page title as the message', async () => {
      const { serviceSid, identity, factorSid } = await t.enrolled();
      const challenge = await t.pushChallenge(serviceSid, identity, factorSid);
      t.emulator.faults.add({ operation: 'createNotification', kind: 'status', status: 429, code: 60309 });
      const notifications = t.entity(serviceSid, identity).challenges(challenge.sid).notifications;
      const refused = await notifications.create().catch((error: unknown) => error);
      expect(refused).toMatchObject({ status: 429, code: 60309, message: 'Push notifications limit reached for a Challenge' });
      // The fault answered without doing the work: the challenge still has both of its re-sends.
      await notifications.create();
      await notifications.create();
      await t.expectTwilioError(notifications.create(), 429, 60309);
    });
  });
});
