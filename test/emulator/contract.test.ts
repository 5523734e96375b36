/**
 * The Verify Push emulator against Twilio's published contract, driven only through the real twilio SDK
 * (v6 and v5): every operation the emulator serves, on its success path. Every answer the SDK receives is
 * checked against Twilio's OpenAPI schemas after each test (see test/helpers/verify-contract.ts); the error
 * codes are in contract-errors.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { PUSH_OPERATIONS } from '../helpers/openapi.js';
import { MINUTE, SDKS, factorProof, newIdentity, useVerifyContract, wholeSeconds } from '../helpers/verify-contract.js';

/** What paging needs from a twilio-node Page (the first page and the following ones have different classes). */
interface PageLike {
  instances: Array<{ sid: string }>;
  nextPageUrl?: string;
  /** twilio-node returns undefined (not a promise of it) when there is no next page. */
  nextPage(): Promise<PageLike> | undefined;
}

describe.each(SDKS)('Verify v2 contract through $label', ({ sdk }) => {
  const t = useVerifyContract(sdk);

  describe('services', () => {
    it('creates, fetches and lists a service', async () => {
      const created = await t.client.verify.v2.services.create({ friendlyName: 'My app' });
      expect(created.sid).toMatch(/^VA[0-9a-f]{32}$/);
      expect(created.accountSid).toBe(t.emulator.accountSid);
      expect(created.friendlyName).toBe('My app');

      const fetched = await t.client.verify.v2.services(created.sid).fetch();
      expect(fetched.sid).toBe(created.sid);
      expect(fetched.friendlyName).toBe('My app');

      const listed = await t.client.verify.v2.services.list();
      expect(listed.map((s) => s.sid)).toContain(created.sid);
    });
  });

  describe('access tokens', () => {
    it('mints an enrolment token for an identity, default Ttl 60 s, and fetches it', async () => {
      const serviceSid = await t.newService();
      const identity = newIdentity();
      const token = await t.client.verify.v2.services(serviceSid).accessTokens.create({
        identity,
        factorType: 'push',
        factorFriendlyName: 'Alice phone',
      });
      expect(token.sid).toMatch(/^YK[0-9a-f]{32}$/);
      expect(token.entityIdentity).toBe(identity);
      expect(token.factorType).toBe('push');
      expect(token.factorFriendlyName).toBe('Alice phone');
      expect(token.token.length).toBeGreaterThan(0);
      expect(token.ttl).toBe(60);

      const fetched = await t.client.verify.v2.services(serviceSid).accessTokens(token.sid).fetch();
      expect(fetched.sid).toBe(token.sid);
      expect(fetched.entityIdentity).toBe(identity);
    });

    it('accepts Ttl at both ends of 60–300 s', async () => {
      const tokens = t.client.verify.v2.services(await t.newService()).accessTokens;
      expect((await tokens.create({ identity: newIdentity(), factorType: 'push', ttl: 60 })).ttl).toBe(60);
      expect((await tokens.create({ identity: newIdentity(), factorType: 'push', ttl: 300 })).ttl).toBe(300);
    });
  });

  describe('entities', () => {
    it('creates, fetches, lists and deletes an entity', async () => {
      const serviceSid = await t.newService();
      const identity = newIdentity();
      const created = await t.client.verify.v2.services(serviceSid).entities.create({ identity });
      expect(created.sid).toMatch(/^YE[0-9a-f]{32}$/);
      expect(created.identity).toBe(identity);
      expect(created.serviceSid).toBe(serviceSid);

      expect((await t.entity(serviceSid, identity).fetch()).sid).toBe(created.sid);
      expect((await t.client.verify.v2.services(serviceSid).entities.list()).map((e) => e.identity)).toEqual([identity]);

      expect(await t.entity(serviceSid, identity).remove()).toBe(true);
      await t.expectTwilioError(t.entity(serviceSid, identity).fetch(), 404, 60392);
    });
  });

  describe('factors', () => {
    it('lists, fetches and deletes a factor the simulated device registered', async () => {
      const { serviceSid, identity, factorSid } = await t.enrolled();

      const listed = await t.entity(serviceSid, identity).factors.list();
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ sid: factorSid, identity, factorType: 'push', status: 'verified', friendlyName: 'Simulated phone' });

      const fetched = await t.entity(serviceSid, identity).factors(factorSid).fetch();
      expect(fetched).toMatchObject({ sid: factorSid, serviceSid, status: 'verified' });

      expect(await t.entity(serviceSid, identity).factors(factorSid).remove()).toBe(true);
      expect(await t.entity(serviceSid, identity).factors.list()).toEqual([]);
      await t.expectTwilioError(t.entity(serviceSid, identity).factors(factorSid).fetch(), 404, 60390);
    });

    it('creates a push factor unverified and verifies it with its key\'s signature of the factor SID', async () => {
      const serviceSid = await t.newService();
      const identity = newIdentity();
      const factor = await t.sdkFactor(serviceSid, identity, false);
      const created = t.lastRecorded('POST', `/Entities/${identity}/Factors`).body as { status: string };
      expect(created.status).toBe('unverified');
      expect((await t.entity(serviceSid, identity).factors(factor.factorSid).fetch()).status).toBe('unverified');

      const verified = await t
        .entity(serviceSid, identity)
        .factors(factor.factorSid)
        .update({ authPayload: factorProof(factor.factorSid, factor.privateKey) });
      expect(verified.status).toBe('verified');
      // The mobile SDKs read the credential their request JWTs name from `config.credential_sid`.
      const credentialSid = (created as unknown as { config: { credential_sid?: unknown } }).config.credential_sid;
      expect(typeof credentialSid).toBe('string');
      expect(verified.config).toMatchObject({ credential_sid: credentialSid });
    });
  });

  describe('challenges', () => {
    it('creates a challenge with message, fields, hidden details and expiry, and fetches it back', async () => {
      const { serviceSid, identity, factorSid } = await t.enrolled();
      const expirationDate = wholeSeconds(Date.now() + 10 * MINUTE);
      const fields = [
        { label: 'Action', value: 'Log in' },
        { label: 'IP', value: '203.0.113.7' },
      ];
      const created = await t.pushChallenge(serviceSid, identity, factorSid, {
        'details.fields': fields,
        hiddenDetails: { transaction_id: 'tx-123', purpose: 'login' },
        expirationDate,
      });
      expect(created.sid).toMatch(/^YC[0-9a-f]{32}$/);
      expect(created).toMatchObject({
        serviceSid,
        identity,
        factorSid,
        status: 'pending',
        respondedReason: 'none',
        factorType: 'push',
        dateResponded: null,
        metadata: null,
        hiddenDetails: { transaction_id: 'tx-123', purpose: 'login' },
      });
      // The spec leaves `details` untyped; this is the shape Twilio documents and the device SDKs read.
      expect(created.details).toMatchObject({ message: 'Log in to Contract?', fields });
      expect(created.expirationDate.getTime()).toBe(expirationDate.getTime());

      const fetched = await t.entity(serviceSid, identity).challenges(created.sid).fetch();
      expect(fetched.toJSON()).toEqual(created.toJSON());
    });

    it('expires by default five minutes after creation', async () => {
      const { serviceSid, identity, factorSid } = await t.enrolled();
      const created = await t.pushChallenge(serviceSid, identity, factorSid);
      expect(created.expirationDate.getTime() - created.dateCreated.getTime()).toBe(5 * MINUTE);
    });

    it('accepts details at their limits', async () => {
      const { serviceSid, identity, factorSid } = await t.enrolled();
      const hidden = { k: 'x'.repeat(1024 - JSON.stringify({ k: '' }).length) };
      expect(JSON.stringify(hidden)).toHaveLength(1024);
      const created = await t.entity(serviceSid, identity).challenges.create({
        factorSid,
        'details.message': 'm'.repeat(256),
        'details.fields': Array.from({ length: 20 }, (_, i) => ({ label: `${i}`.padEnd(36, 'l'), value: 'v'.repeat(128) })),
        hiddenDetails: hidden,
        expirationDate: wholeSeconds(Date.now() + 60 * MINUTE),
      });
      expect(created.details).toMatchObject({ message: 'm'.repeat(256) });
      expect((created.details as { fields: unknown[] }).fields).toHaveLength(20);
      expect(created.hiddenDetails).toEqual(hidden);
    });

    it('lists oldest first, and with Status, Order and PageSize follows next_page_url across pages', async () => {
      const { serviceSid, identity, factorSid } = await t.enrolled();
      const sids: string[] = [];
      for (let i = 0; i < 5; i += 1) sids.push((await t.pushChallenge(serviceSid, identity, factorSid)).sid);

      expect((await t.entity(serviceSid, identity).challenges.list()).map((c) => c.sid)).toEqual(sids);

      const seen: string[] = [];
      const pageSizes: number[] = [];
      let page: PageLike = await t.entity(serviceSid, identity).challenges.page({ status: 'pending', order: 'desc', pageSize: 2 });
      for (;;) {
        pageSizes.push(page.instances.length);
        seen.push(...page.instances.map((c) => c.sid));
        const next = page.nextPageUrl;
        if (!next) break;
        // The SDK follows next_page_url as an absolute URL that keeps the filters.
        expect(next).toMatch(/^https?:\/\//);
        expect(new URL(next).searchParams.get('Order')).toBe('desc');
        expect(new URL(next).searchParams.get('Status')).toBe('pending');
        const following = page.nextPage();
        if (!following) throw new Error('nextPage() gave nothing although next_page_url was set');
        page = await following;
      }
      expect(pageSizes).toEqual([2, 2, 1]);
      expect(seen).toEqual([...sids].reverse());
    });

    it('records an approval and filters the list by status and factor', async () => {
      const { serviceSid, identity, factor } = await t.enrolledWithSdk();
      const first = await t.pushChallenge(serviceSid, identity, factor.factorSid);
      const second = await t.pushChallenge(serviceSid, identity, factor.factorSid);

      const approved = await t.sdkAnswer(serviceSid, identity, factor, first.sid, 'approved');
      expect(approved.status).toBe('approved');
      expect(approved.dateResponded).toBeInstanceOf(Date);

      const challenges = t.entity(serviceSid, identity).challenges;
      expect((await challenges.list({ status: 'approved' })).map((c) => c.sid)).toEqual([first.sid]);
      expect((await challenges.list({ status: 'pending' })).map((c) => c.sid)).toEqual([second.sid]);
      expect(await challenges.list({ status: 'denied' })).toEqual([]);
      expect((await challenges.list({ factorSid: factor.factorSid })).map((c) => c.sid)).toEqual([first.sid, second.sid]);
    });

    it('records a denial', async () => {
      const { serviceSid, identity, factor } = await t.enrolledWithSdk();
      const challenge = await t.pushChallenge(serviceSid, identity, factor.factorSid);
      expect((await t.sdkAnswer(serviceSid, identity, factor, challenge.sid, 'denied')).status).toBe('denied');
      expect((await t.entity(serviceSid, identity).challenges(challenge.sid).fetch()).status).toBe('denied');
    });

    it('keeps the metadata a device sends with its answer', async () => {
      const { serviceSid, identity, factor } = await t.enrolledWithSdk();
      const challenge = await t.pushChallenge(serviceSid, identity, factor.factorSid);
      const answered = await t.sdkAnswer(serviceSid, identity, factor, challenge.sid, 'approved', { metadata: { os: 'Android' } });
      expect(answered.metadata).toEqual({ os: 'Android' });
    });

    it('shows each entity only its own challenges', async () => {
      const first = await t.enrolled();
      const otherIdentity = newIdentity();
      await t.emulator.device().register({ serviceSid: first.serviceSid, identity: otherIdentity });
      const challenge = await t.pushChallenge(first.serviceSid, first.identity, first.factorSid);
      await t.expectTwilioError(t.entity(first.serviceSid, otherIdentity).challenges(challenge.sid).fetch(), 404, 60391);
      expect(await t.entity(first.serviceSid, otherIdentity).challenges.list()).toEqual([]);
    });
  });

  describe('notifications', () => {
    it('re-sends the push of a pending challenge', async () => {
      const { serviceSid, identity, factorSid } = await t.enrolled();
      const challenge = await t.pushChallenge(serviceSid, identity, factorSid);
      const sent = await t.entity(serviceSid, identity).challenges(challenge.sid).notifications.create({ ttl: 120 });
      expect(sent.sid).toMatch(/^NT[0-9a-f]{32}$/);
      expect(sent).toMatchObject({ challengeSid: challenge.sid, identity, ttl: 120 });
    });
  });

  describe('webhooks', () => {
    it('creates, lists, fetches, updates and deletes a webhook', async () => {
      const serviceSid = await t.newService();
      const webhooks = t.client.verify.v2.services(serviceSid).webhooks;
      const created = await webhooks.create({
        friendlyName: 'Challenge events',
        eventTypes: ['challenge.approved', 'challenge.denied'],
        webhookUrl: 'https://app.example.com/verify-push/webhook',
      });
      expect(created.sid).toMatch(/^YW[0-9a-f]{32}$/);
      expect(created).toMatchObject({
        serviceSid,
        friendlyName: 'Challenge events',
        eventTypes: ['challenge.approved', 'challenge.denied'],
        webhookUrl: 'https://app.example.com/verify-push/webhook',
        status: 'enabled',
        version: 'v2',
        webhookMethod: 'POST',
      });

      expect((await webhooks.list()).map((w) => w.sid)).toEqual([created.sid]);
      const webhook = t.client.verify.v2.services(serviceSid).webhooks(created.sid);
      expect((await webhook.fetch()).sid).toBe(created.sid);
      expect(await webhook.update({ status: 'disabled', friendlyName: 'Paused' })).toMatchObject({ status: 'disabled', friendlyName: 'Paused' });
      expect((await webhook.fetch()).status).toBe('disabled');

      expect(await webhook.remove()).toBe(true);
      expect(await webhooks.list()).toEqual([]);
      await t.expectTwilioError(webhook.fetch(), 404, 20404);
    });
  });

  it('exercised the success answer of every Verify Push operation', async () => {
    // Runs last in this block: the coverage set is filled after each test above.
    const missing = PUSH_OPERATIONS.map(({ method, template, status }) => `${method} ${template} ${status}`).filter((key) => !t.covered.has(key));
    expect(missing).toEqual([]);
    // One call of its own, so the after-test check still sees a recorded answer.
    await t.client.verify.v2.services.list();
  });
});
