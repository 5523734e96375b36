/**
 * How Verify resources come and go, through the real twilio SDK (v6 and v5), every answer contract-checked:
 * unverified factors vanish 1–24 hours after creation (the emulator: after 1 hour), deleting an entity takes its
 * factors and challenges with it, and lists page by the PageToken in `next_page_url`.
 */
import { describe, expect, it } from 'vitest';
import { MINUTE, SDKS, factorProof, newIdentity, useVerifyContract } from '../helpers/verify-contract.js';

const HOUR = 60 * MINUTE;

describe.each(SDKS)('Verify v2 resource lifecycle through $label', ({ sdk }) => {
  const t = useVerifyContract(sdk);

  describe('unverified factors', () => {
    it('disappear one hour after creation; a verified factor stays', async () => {
      const serviceSid = await t.newService();
      const identity = newIdentity();
      const kept = await t.sdkFactor(serviceSid, identity);
      const abandoned = await t.sdkFactor(serviceSid, identity, false);
      const factors = t.entity(serviceSid, identity).factors;

      t.advanceClock(HOUR - MINUTE);
      expect((await factors(abandoned.factorSid).fetch()).status).toBe('unverified');

      t.advanceClock(MINUTE);
      await t.expectTwilioError(factors(abandoned.factorSid).fetch(), 404, 60390);
      // Gone, so it can no longer be verified either.
      await t.expectTwilioError(factors(abandoned.factorSid).update({ authPayload: factorProof(abandoned.factorSid, abandoned.privateKey) }), 404, 60390);
      expect((await factors.list()).map((f) => f.sid)).toEqual([kept.factorSid]);
      expect((await factors(kept.factorSid).fetch()).status).toBe('verified');
    });

    it('can be verified until then', async () => {
      const serviceSid = await t.newService();
      const identity = newIdentity();
      const factor = await t.sdkFactor(serviceSid, identity, false);
      t.advanceClock(HOUR - MINUTE);
      const verified = await t.entity(serviceSid, identity).factors(factor.factorSid).update({ authPayload: factorProof(factor.factorSid, factor.privateKey) });
      expect(verified.status).toBe('verified');
      t.advanceClock(2 * HOUR);
      expect((await t.entity(serviceSid, identity).factors(factor.factorSid).fetch()).status).toBe('verified');
    });
  });

  describe('deleting an entity', () => {
    it('deletes its factors and challenges; the identity starts afresh', async () => {
      const { serviceSid, identity, factorSid, device } = await t.enrolled();
      const challenge = await t.pushChallenge(serviceSid, identity, factorSid);
      const entity = t.entity(serviceSid, identity);
      const before = await entity.fetch();

      expect(await entity.remove()).toBe(true);
      expect(await t.client.verify.v2.services(serviceSid).entities.list()).toEqual([]);
      await t.expectTwilioError(entity.fetch(), 404, 60392);
      await t.expectTwilioError(entity.factors(factorSid).fetch(), 404, 60392);
      await t.expectTwilioError(entity.challenges(challenge.sid).fetch(), 404, 60392);

      // Enrolling again creates a new entity holding only the new factor.
      const again = await device.register({ serviceSid, identity });
      expect((await entity.fetch()).sid).not.toBe(before.sid);
      expect((await entity.factors.list()).map((f) => f.sid)).toEqual([again.factorSid]);
      expect(await entity.challenges.list()).toEqual([]);
    });
  });

  describe('paging', () => {
    it('carries a PageToken in next_page_url and previous_page_url, which the SDK follows both ways', async () => {
      const { serviceSid, identity, factorSid } = await t.enrolled();
      const sids: string[] = [];
      for (let i = 0; i < 3; i += 1) sids.push((await t.pushChallenge(serviceSid, identity, factorSid)).sid);
      const challenges = t.entity(serviceSid, identity).challenges;

      const first = await challenges.page({ pageSize: 2 });
      expect(first.instances.map((c) => c.sid)).toEqual(sids.slice(0, 2));
      expect(new URL(first.nextPageUrl ?? '').searchParams.get('PageToken')).toEqual(expect.any(String));
      const second = await first.nextPage();
      expect(second?.instances.map((c) => c.sid)).toEqual(sids.slice(2));
      expect(second?.nextPageUrl ?? null).toBeNull();
      expect(new URL(second?.previousPageUrl ?? '').searchParams.get('PageToken')).toEqual(expect.any(String));
      const back = await second?.previousPage();
      expect(back?.instances.map((c) => c.sid)).toEqual(sids.slice(0, 2));
    });
  });
});
