import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VerifyPushEmulator } from '../../src/testing/index.js';
import { emulatorClient } from '../../src/testing/sdk-client.js';
import { challengesOf, enrol, startClocked, type ClockedEmulator, type Enrolment } from './support.js';

let env: ClockedEmulator;
let user: Enrolment;

beforeEach(async () => {
  env = await startClocked();
  user = await enrol(env.emulator);
});

afterEach(async () => {
  await env.emulator.close();
});

type CreateParams = Parameters<ReturnType<typeof challengesOf>['create']>[0];

function create(extra: Partial<CreateParams>) {
  return challengesOf(env.emulator, user).create({ factorSid: user.factorSid, 'details.message': 'Log in?', ...extra });
}

const invalid = { status: 400, code: 60200 };
const detailsInvalid = { status: 400, code: 60368 };

describe('challenge limits', () => {
  it('requires Details.Message and caps it at 256 characters', async () => {
    await expect(challengesOf(env.emulator, user).create({ factorSid: user.factorSid })).rejects.toMatchObject(detailsInvalid);
    await expect(create({ 'details.message': 'x'.repeat(257) })).rejects.toMatchObject(detailsInvalid);
    expect((await create({ 'details.message': 'x'.repeat(256) })).details).toMatchObject({ message: 'x'.repeat(256) });
  });

  it('accepts up to 20 fields with labels up to 36 and values up to 128 characters', async () => {
    const field = { label: 'l'.repeat(36), value: 'v'.repeat(128) };
    const ok = await create({ 'details.fields': Array.from({ length: 20 }, () => field) });
    expect((ok.details as { fields: unknown[] }).fields).toHaveLength(20);
    await expect(create({ 'details.fields': Array.from({ length: 21 }, () => field) })).rejects.toMatchObject(detailsInvalid);
    await expect(create({ 'details.fields': [{ label: 'l'.repeat(37), value: 'v' }] })).rejects.toMatchObject(detailsInvalid);
    await expect(create({ 'details.fields': [{ label: 'l', value: 'v'.repeat(129) }] })).rejects.toMatchObject(detailsInvalid);
  });

  it('takes hidden details as a JSON object of strings of at most 1024 characters', async () => {
    const ok = await create({ hiddenDetails: { transaction_id: 'abc' } });
    expect(ok.hiddenDetails).toEqual({ transaction_id: 'abc' });
    await expect(create({ hiddenDetails: { big: 'x'.repeat(1100) } })).rejects.toMatchObject(invalid);
    await expect(create({ hiddenDetails: { nested: { a: 'b' } } })).rejects.toMatchObject(invalid);
    await expect(create({ hiddenDetails: '[1,2]' })).rejects.toMatchObject(invalid);
  });

  it('defaults the expiry to 5 minutes, caps it at 60 and refuses one in the past', async () => {
    const byDefault = await create({});
    expect(byDefault.expirationDate.getTime()).toBe(env.now() + 5 * 60_000);
    const hour = await create({ expirationDate: new Date(env.now() + 60 * 60_000) });
    expect(hour.expirationDate.getTime()).toBe(env.now() + 60 * 60_000);
    await expect(create({ expirationDate: new Date(env.now() + 61 * 60_000) })).rejects.toMatchObject(invalid);
    await expect(create({ expirationDate: new Date(env.now() - 1000) })).rejects.toMatchObject(invalid);
  });

  it('refuses a challenge for an unverified factor with 60318', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const factor = await env.emulator
      .client()
      .verify.v2.services(user.serviceSid)
      .entities(user.identity)
      .newFactors.create({
        friendlyName: 'not yet verified',
        factorType: 'push',
        'binding.alg': 'ES256',
        'binding.publicKey': publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
        'config.appId': 'com.example.app',
        'config.notificationPlatform': 'none',
      });
    expect(factor.status).toBe('unverified');
    await expect(create({ factorSid: factor.sid })).rejects.toMatchObject({ status: 403, code: 60318 });
  });

  it('answers 60390 for a factor of another entity', async () => {
    const other = await env.emulator.device().register({ serviceSid: user.serviceSid, identity: 'user-0009-abcdef' });
    await expect(create({ factorSid: other.factorSid })).rejects.toMatchObject({ status: 404, code: 60390 });
  });

  it('allows 3 notifications per challenge, the push on creation included, then 60309', async () => {
    const challenge = await create({});
    const notifications = challengesOf(env.emulator, user)(challenge.sid).notifications;
    for (let i = 0; i < 2; i += 1) expect((await notifications.create({ ttl: 60 })).challengeSid).toBe(challenge.sid);
    await expect(notifications.create({ ttl: 60 })).rejects.toMatchObject({ status: 429, code: 60309 });
  });
});

describe('factor limits', () => {
  it('allows 20 push factors per entity, then 60315', async () => {
    const identity = 'user-0020-abcdef';
    for (let i = 0; i < 20; i += 1) await env.emulator.device().register({ serviceSid: user.serviceSid, identity });
    await expect(env.emulator.device().register({ serviceSid: user.serviceSid, identity })).rejects.toMatchObject({
      status: 400,
      code: 60315,
    });
  });

  it('keeps access token TTLs within 60 to 300 seconds', async () => {
    const tokens = env.emulator.client().verify.v2.services(user.serviceSid).accessTokens;
    const make = (ttl: number) => tokens.create({ identity: 'user-0003-abcdef', factorType: 'push', ttl });
    expect((await make(300)).ttl).toBe(300);
    await expect(make(59)).rejects.toMatchObject(invalid);
    await expect(make(301)).rejects.toMatchObject(invalid);
  });

  it('lists, fetches and deletes factors', async () => {
    const factors = env.emulator.client().verify.v2.services(user.serviceSid).entities(user.identity).factors;
    expect((await factors(user.factorSid).fetch()).status).toBe('verified');
    expect(await factors(user.factorSid).remove()).toBe(true);
    expect(await factors.list()).toEqual([]);
    await expect(factors(user.factorSid).fetch()).rejects.toMatchObject({ status: 404, code: 60390 });
  });
});

describe('unverified factor lifetime', () => {
  it('is configurable, up to the 24 hours Twilio may keep one', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const emulator = await VerifyPushEmulator.start({ clock: () => now, unverifiedFactorTtlMs: 24 * 60 * 60_000 });
    try {
      const serviceSid = await emulator.createService('TTL');
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const factors = emulator.client().verify.v2.services(serviceSid).entities('user-ttl-000001');
      const factor = await factors.newFactors.create({
        friendlyName: 'slow enrolment',
        factorType: 'push',
        'binding.alg': 'ES256',
        'binding.publicKey': publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
        'config.appId': 'com.example.app',
        'config.notificationPlatform': 'none',
      });
      now += 23 * 60 * 60_000;
      expect((await factors.factors(factor.sid).fetch()).status).toBe('unverified');
      now += 60 * 60_000;
      await expect(factors.factors(factor.sid).fetch()).rejects.toMatchObject({ status: 404, code: 60390 });
    } finally {
      await emulator.close();
    }
    await expect(VerifyPushEmulator.start({ unverifiedFactorTtlMs: 0 })).rejects.toThrow(TypeError);
  });
});

describe('auth and routing', () => {
  it('answers 401 with 20003 to a wrong auth token', async () => {
    const wrongToken = emulatorClient({ url: env.emulator.url, accountSid: env.emulator.accountSid, authToken: 'not-the-token' });
    await expect(wrongToken.verify.v2.services(user.serviceSid).fetch()).rejects.toMatchObject({ status: 401, code: 20003 });
    const basic = Buffer.from(`${env.emulator.accountSid}:wrong`).toString('base64');
    const response = await fetch(`${env.emulator.url}/v2/Services/${user.serviceSid}`, { headers: { Authorization: `Basic ${basic}` } });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 20003, status: 401, more_info: 'https://www.twilio.com/docs/errors/20003' });
    const none = await fetch(`${env.emulator.url}/v2/Services/${user.serviceSid}`);
    expect(none.status).toBe(401);
  });

  it('answers 20404 to unknown routes and malformed SIDs', async () => {
    const basic = Buffer.from(`${env.emulator.accountSid}:${env.emulator.authToken}`).toString('base64');
    const get = (path: string) => fetch(env.emulator.url + path, { headers: { Authorization: `Basic ${basic}` } });
    for (const path of ['/v2/Nothing', `/v2/Services/VA123`, `/v2/Services/${user.serviceSid}/Entities/${user.identity}/Challenges/YF${'0'.repeat(32)}`, `/v2/Services/${user.serviceSid}%2F..`]) {
      const response = await get(path);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ code: 20404, status: 404 });
    }
  });

  it('pages lists with absolute next_page_url links carrying PageToken, which the SDK follows', async () => {
    const sids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      sids.push((await create({})).sid);
      env.advance(1000);
    }
    const all = await challengesOf(env.emulator, user).list({ order: 'desc', pageSize: 2 });
    expect(all.map((c) => c.sid)).toEqual([...sids].reverse());
    const asked = env.emulator.calls({ operation: 'listChallenges' }).map((c) => [c.params['Page'] ?? '0', c.params['PageToken'] ?? null]);
    expect(asked).toEqual([
      ['0', null],
      ['1', `PA${sids[3]}`],
      ['2', `PA${sids[1]}`],
    ]);
    const page = await challengesOf(env.emulator, user).page({ pageSize: 2 });
    expect(page.nextPageUrl?.startsWith(`${env.emulator.url}/v2/Services/`)).toBe(true);
    expect(new URL(page.nextPageUrl ?? '').searchParams.get('PageToken')).toBe(`PA${sids[1]}`);
  });

  it('ignores Page without a PageToken, as Twilio keeps it for client state only', async () => {
    const sids: string[] = [];
    for (let i = 0; i < 3; i += 1) sids.push((await create({})).sid);
    const page = await challengesOf(env.emulator, user).page({ pageSize: 1, pageNumber: 2 });
    expect(page.instances.map((c) => c.sid)).toEqual([sids[0]]);
  });

  it('keeps a page in place when the item its token names no longer passes the filter', async () => {
    const sids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      sids.push((await create({})).sid);
      env.advance(1000);
    }
    const first = await challengesOf(env.emulator, user).page({ status: 'pending', order: 'desc', pageSize: 1 });
    expect(first.instances.map((c) => c.sid)).toEqual([sids[2]]);
    await user.device.approve({ ...user, challengeSid: sids[2] ?? '' });
    const second = await first.nextPage();
    expect(second?.instances.map((c) => c.sid)).toEqual([sids[1]]);
    // Nothing pending comes before it any more, so there is no previous page.
    expect(await second?.previousPage()).toBeUndefined();
  });

  it('refuses a PageToken it never gave with 60200', async () => {
    const basic = Buffer.from(`${env.emulator.accountSid}:${env.emulator.authToken}`).toString('base64');
    const path = `/v2/Services/${user.serviceSid}/Entities/${user.identity}/Challenges?PageToken=nonsense`;
    const response = await fetch(env.emulator.url + path, { headers: { Authorization: `Basic ${basic}` } });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 60200 });
  });
});
