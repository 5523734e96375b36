import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmulatorDeviceError } from '../../src/testing/index.js';
import { signEs256 } from '../../src/testing/jwt.js';
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

function createChallenge(hiddenDetails?: Record<string, string>) {
  return challengesOf(env.emulator, user).create({
    factorSid: user.factorSid,
    'details.message': 'Log in to Example?',
    'details.fields': [{ label: 'IP', value: '203.0.113.7' }],
    ...(hiddenDetails ? { hiddenDetails } : {}),
  });
}

const ref = () => ({ serviceSid: user.serviceSid, identity: user.identity, factorSid: user.factorSid });

describe('register', () => {
  it('enrols a verified push factor the backend can see', async () => {
    const factors = await env.emulator.client().verify.v2.services(user.serviceSid).entities(user.identity).factors.list();
    expect(factors.map((f) => [f.sid, f.status, f.factorType])).toEqual([[user.factorSid, 'verified', 'push']]);
  });

  it('mints the access token as the backend and creates and verifies the factor as the device', async () => {
    const seen = env.emulator.calls().map((c) => [c.operation, c.source, c.status]);
    expect(seen).toContainEqual(['createAccessToken', 'api', 201]);
    expect(seen).toContainEqual(['createFactor', 'device', 201]);
    expect(seen).toContainEqual(['updateFactor', 'device', 200]);
    const created = env.emulator.calls({ operation: 'createFactor' })[0];
    expect(created?.params).toMatchObject({ FactorType: 'push', 'Binding.Alg': 'ES256' });
  });

  it('refuses to enrol with an expired access token', async () => {
    const token = await env.emulator.client().verify.v2.services(user.serviceSid).accessTokens.create({
      identity: 'user-0002-abcdef',
      factorType: 'push',
      ttl: 60,
    });
    env.advance(61_000);
    await expect(
      env.emulator.device().register({ serviceSid: user.serviceSid, identity: 'user-0002-abcdef', accessToken: token.token }),
    ).rejects.toMatchObject({ status: 401, code: 20003 });
  });
});

describe('challenges', () => {
  it('lists the factor challenges newest first and filters by status', async () => {
    const sids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      sids.push((await createChallenge()).sid);
      env.advance(1000);
    }
    const listed = await user.device.challenges(ref());
    expect(listed.map((c) => c.sid)).toEqual([...sids].reverse());

    await user.device.approve({ ...ref(), challengeSid: sids[1] ?? '' });
    const pending = await user.device.challenges({ ...ref(), status: 'pending' });
    expect(pending.map((c) => c.sid)).toEqual([sids[2], sids[0]]);
  });

  it('asks for the newest only with limit 1, as a phone app does (newest first, page size 1)', async () => {
    const sids: string[] = [];
    for (let i = 0; i < 3; i += 1) sids.push((await createChallenge()).sid);
    env.emulator.clearCalls();
    const newest = await user.device.challenges({ ...ref(), limit: 1 });
    expect(newest.map((c) => c.sid)).toEqual([sids[2]]);
    const asked = env.emulator.calls({ operation: 'listChallenges', source: 'device' });
    expect(asked.map((c) => [c.params.PageSize, c.params.Order])).toEqual([['1', 'desc']]);
    expect((await user.device.challenges({ ...ref(), limit: 2 })).map((c) => c.sid)).toEqual([sids[2], sids[1]]);
    await expect(user.device.challenges({ ...ref(), limit: 0 })).rejects.toThrow(TypeError);
  });
});

describe('approve and deny', () => {
  it('approves with a signed payload and the backend sees approved with metadata', async () => {
    const challenge = await createChallenge();
    const answered = await user.device.approve({ ...ref(), challengeSid: challenge.sid, metadata: { os: 'EmulatorOS' } });
    expect(answered.status).toBe('approved');
    const fetched = await challengesOf(env.emulator, user)(challenge.sid).fetch();
    expect(fetched.status).toBe('approved');
    expect(fetched.metadata).toEqual({ os: 'EmulatorOS' });
    expect(fetched.dateResponded).toBeInstanceOf(Date);
  });

  it('denies and the backend sees denied', async () => {
    const challenge = await createChallenge();
    await user.device.deny({ ...ref(), challengeSid: challenge.sid });
    const fetched = await challengesOf(env.emulator, user)(challenge.sid).fetch();
    expect(fetched.status).toBe('denied');
  });

  it('refuses a second answer with 60322', async () => {
    const challenge = await createChallenge();
    await user.device.approve({ ...ref(), challengeSid: challenge.sid });
    await expect(user.device.deny({ ...ref(), challengeSid: challenge.sid })).rejects.toMatchObject({ status: 403, code: 60322 });
    expect((await challengesOf(env.emulator, user)(challenge.sid).fetch()).status).toBe('approved');
  });

  it('turns a challenge expired after its expiry and refuses the answer with 60323', async () => {
    const challenge = await createChallenge();
    env.advance(5 * 60_000 + 1000);
    const fetched = await challengesOf(env.emulator, user)(challenge.sid).fetch();
    expect(fetched.status).toBe('expired');
    await expect(user.device.approve({ ...ref(), challengeSid: challenge.sid })).rejects.toMatchObject({ status: 403, code: 60323 });
    expect(env.emulator.calls({ operation: 'updateChallenge' }).map((c) => c.status)).toEqual([403]);
  });

  it('keeps a challenge pending until its expiry', async () => {
    const challenge = await createChallenge();
    env.advance(5 * 60_000 - 1000);
    expect((await challengesOf(env.emulator, user)(challenge.sid).fetch()).status).toBe('pending');
  });

  it('refuses a payload signed with another key with 60324', async () => {
    const challenge = await createChallenge();
    // Fetch as the device would, so the forged payload carries exactly the fields the server names.
    const path = `/v2/Services/${user.serviceSid}/Entities/${user.identity}/Challenges/${challenge.sid}`;
    const basic = Buffer.from(`${env.emulator.accountSid}:${env.emulator.authToken}`).toString('base64');
    const response = await fetch(env.emulator.url + path, { headers: { Authorization: `Basic ${basic}` } });
    const json = (await response.json()) as Record<string, unknown>;
    const claims: Record<string, unknown> = { status: 'approved' };
    for (const field of (response.headers.get('Twilio-Verify-Signature-Fields') ?? '').split(',')) claims[field] = json[field];
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = signEs256({}, claims, privateKey);
    await expect(challengesOf(env.emulator, user)(challenge.sid).update({ authPayload: forged })).rejects.toMatchObject({
      status: 403,
      code: 60324,
    });
    expect((await challengesOf(env.emulator, user)(challenge.sid).fetch()).status).toBe('pending');
  });

  it('refuses an unsigned payload with 60324', async () => {
    const challenge = await createChallenge();
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const claims = Buffer.from(JSON.stringify({ status: 'approved', sid: challenge.sid })).toString('base64url');
    await expect(challengesOf(env.emulator, user)(challenge.sid).update({ authPayload: `${header}.${claims}.` })).rejects.toMatchObject({
      code: 60324,
    });
  });
});

describe('silent approval', () => {
  it('approves only the challenge whose hidden transaction id matches', async () => {
    const mine = await createChallenge({ transaction_id: 'tx-mine-0000000000000000' });
    const other = await createChallenge({ transaction_id: 'tx-other-000000000000000' });
    const approved = await user.device.approveTransaction({ ...ref(), transactionId: 'tx-mine-0000000000000000' });
    expect(approved.sid).toBe(mine.sid);
    expect((await challengesOf(env.emulator, user)(other.sid).fetch()).status).toBe('pending');
  });

  it('refuses a challenge carrying another transaction id without answering it', async () => {
    const challenge = await createChallenge({ transaction_id: 'tx-right-000000000000000' });
    const attempt = user.device.approve({ ...ref(), challengeSid: challenge.sid, transactionId: 'tx-wrong-000000000000000' });
    await expect(attempt).rejects.toBeInstanceOf(EmulatorDeviceError);
    await expect(attempt).rejects.toMatchObject({ code: 'TRANSACTION_MISMATCH' });
    expect(env.emulator.calls({ operation: 'updateChallenge' })).toHaveLength(0);
    expect((await challengesOf(env.emulator, user)(challenge.sid).fetch()).status).toBe('pending');
  });

  it('finds nothing to approve for an unknown transaction id', async () => {
    await createChallenge({ transaction_id: 'tx-right-000000000000000' });
    await expect(user.device.approveTransaction({ ...ref(), transactionId: 'tx-unknown-0000000000000' })).rejects.toMatchObject({
      code: 'NO_MATCHING_CHALLENGE',
    });
  });
});

describe('number matching', () => {
  it('refuses without the code or with a wrong one, approves with the right one', async () => {
    const challenge = await createChallenge({ transaction_id: 'tx-number-00000000000000', match_code: '42' });
    const answer = (matchCode?: string) => user.device.approve({ ...ref(), challengeSid: challenge.sid, ...(matchCode ? { matchCode } : {}) });
    await expect(answer()).rejects.toMatchObject({ code: 'MATCH_CODE_REQUIRED' });
    await expect(answer('17')).rejects.toMatchObject({ code: 'MATCH_CODE_MISMATCH' });
    expect((await challengesOf(env.emulator, user)(challenge.sid).fetch()).status).toBe('pending');
    expect((await answer('42')).status).toBe('approved');
  });
});

describe('device scope', () => {
  it('cannot answer with a factor it did not register', async () => {
    const challenge = await createChallenge();
    await expect(env.emulator.device().approve({ ...ref(), challengeSid: challenge.sid })).rejects.toMatchObject({ code: 'UNKNOWN_FACTOR' });
  });

  it('sees only the challenges of its own factor', async () => {
    const second = env.emulator.device();
    const { factorSid } = await second.register({ serviceSid: user.serviceSid, identity: user.identity });
    await createChallenge();
    expect(await second.challenges({ serviceSid: user.serviceSid, identity: user.identity, factorSid })).toEqual([]);
  });
});
