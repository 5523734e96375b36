import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VerifyPushEmulator, type RunningEmulator, type SimulatedDevice } from '../../src/testing/index.js';
import { VerifyApi } from '../../src/twilio/verify-api.js';

const IDENTITY = 'user-0123456789abcdef';

let emulator: RunningEmulator;
let serviceSid: string;
let factorSid: string;
let device: SimulatedDevice;

beforeAll(async () => {
  emulator = await VerifyPushEmulator.start();
  serviceSid = await emulator.createService('Verify API tests');
  device = emulator.device();
  ({ factorSid } = await device.register({ serviceSid, identity: IDENTITY }));
});

afterAll(() => emulator.close());

beforeEach(() => {
  emulator.faults.clear();
  emulator.clearCalls();
});

function api(options: { requestTimeoutMs?: number; retries?: number } = {}): VerifyApi {
  return new VerifyApi({ client: emulator.client(), serviceSid, minBackoffMs: 20, ...options });
}

function challengeInput(transactionId: string, deadline = Date.now() + 10_000) {
  return {
    identity: IDENTITY,
    factorSid,
    message: 'Approve sign-in?',
    fields: [{ label: 'IP', value: '127.0.0.1' }],
    hiddenDetails: { transaction_id: transactionId },
    expiresAt: new Date(Date.now() + 300_000),
    transactionId,
    deadline,
  };
}

function apiCalls(operation: string) {
  return emulator.calls({ operation: operation as never, source: 'api' });
}

async function pendingChallengesWith(transactionId: string) {
  const list = await device.challenges({ serviceSid, identity: IDENTITY, factorSid, status: 'pending' });
  return list.filter((c) => (c.hidden_details as Record<string, string> | null)?.transaction_id === transactionId);
}

describe('VerifyApi', () => {
  it('lists only push factors, newest first', async () => {
    const second = await device.register({ serviceSid, identity: IDENTITY, friendlyName: 'Second phone' });
    const factors = await api().listPushFactors(IDENTITY);
    expect(factors[0]?.sid).toBe(second.factorSid);
    expect(factors.map((f) => f.sid)).toContain(factorSid);
    expect(factors.every((f) => f.status === 'verified')).toBe(true);
    await api().deleteFactor(IDENTITY, second.factorSid);
  });

  it('creates a challenge with details, fields and hidden details as Twilio receives them', async () => {
    const challenge = await api().createChallenge(challengeInput('txn-create-1'));
    expect(challenge.sid).toMatch(/^YC[0-9a-f]{32}$/);
    expect(challenge.status).toBe('pending');
    expect(challenge.details.fields).toEqual([{ label: 'IP', value: '127.0.0.1' }]);
    expect(challenge.hiddenDetails.transaction_id).toBe('txn-create-1');
    const fetched = await api().fetchChallenge(IDENTITY, challenge.sid);
    expect(fetched.identity).toBe(IDENTITY);
    expect(fetched.factorSid).toBe(factorSid);
  });

  it('refuses malformed SIDs before any network call', async () => {
    for (const bad of ['YC../../Services', 'YC%2F00000000000000000000000000000', 'YF' + '0'.repeat(32), 'YC' + 'g'.repeat(32)]) {
      await expect(api().fetchChallenge(IDENTITY, bad)).rejects.toMatchObject({ code: 'INVALID_SID' });
    }
    await expect(api().fetchChallenge('bad/identity', 'YC' + '0'.repeat(32))).rejects.toMatchObject({
      code: 'INVALID_IDENTITY',
    });
    expect(emulator.calls({ source: 'api' })).toHaveLength(0);
  });

  it('maps an unknown challenge to CHALLENGE_NOT_FOUND, as Twilio answers it (60391)', async () => {
    await expect(api().fetchChallenge(IDENTITY, 'YC' + '0'.repeat(32))).rejects.toMatchObject({
      code: 'CHALLENGE_NOT_FOUND',
      twilioCode: 60391,
    });
  });

  it.each([20404, 60390, 60391, 60392, 20001])('reads every not-found answer (code %i, HTTP 404) as not found', async (code) => {
    const { sid } = await api().createChallenge(challengeInput(`txn-not-found-${code}`));
    emulator.faults.add({ operation: 'fetchChallenge', kind: 'status', status: 404, code });
    await expect(api().fetchChallenge(IDENTITY, sid)).rejects.toMatchObject({ code: 'CHALLENGE_NOT_FOUND', twilioCode: code });
    emulator.faults.add({ operation: 'deleteFactor', kind: 'status', status: 404, code });
    await expect(api().deleteFactor(IDENTITY, factorSid)).rejects.toMatchObject({ code: 'NO_PUSH_FACTOR', status: 404 });
    emulator.faults.add({ operation: 'createNotification', kind: 'status', status: 404, code });
    await expect(api().resendPush(IDENTITY, sid)).rejects.toMatchObject({ code: 'CHALLENGE_NOT_FOUND' });
  });

  it('lists no factors for an identity Twilio has never seen (60392), and a vanished factor means no push factor', async () => {
    expect(await api().listPushFactors('never-enrolled-identity-0001')).toEqual([]);
    emulator.faults.add({ operation: 'createChallenge', kind: 'status', status: 404, code: 60390 });
    await expect(api().createChallenge(challengeInput('txn-vanished-factor'))).rejects.toMatchObject({ code: 'NO_PUSH_FACTOR' });
  });

  it.each([
    [60309, 429, 'RATE_LIMITED'],
    [60312, 429, 'TWILIO_RATE_LIMITED'],
    [60318, 403, 'NO_PUSH_FACTOR'],
    [60366, 400, 'INVALID_IDENTITY'],
    [60367, 400, 'INVALID_IDENTITY'],
    [60368, 400, 'DETAILS_INVALID'],
  ])('maps Twilio error %i (HTTP %i) to %s', async (code, status, expected) => {
    emulator.faults.add({ operation: 'createChallenge', kind: 'status', status, code, times: 5 });
    await expect(api().createChallenge(challengeInput(`txn-code-${code}`))).rejects.toMatchObject({ code: expected, twilioCode: code });
    emulator.faults.clear();
  });

  it('retries a 429 after the Retry-After it names', async () => {
    const { sid } = await api().createChallenge(challengeInput('txn-429'));
    emulator.clearCalls();
    emulator.faults.add({ operation: 'fetchChallenge', kind: 'status', status: 429, retryAfterSeconds: 1, times: 1 });
    const challenge = await api().fetchChallenge(IDENTITY, sid);
    expect(challenge.sid).toBe(sid);
    const [first, second] = apiCalls('fetchChallenge');
    expect(first?.status).toBe(429);
    expect(second?.status).toBe(200);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1000);
  });

  it('gives up on a rate limit whose Retry-After does not fit the deadline', async () => {
    const { sid } = await api().createChallenge(challengeInput('txn-429-deadline'));
    emulator.clearCalls();
    emulator.faults.add({ operation: 'fetchChallenge', kind: 'status', status: 429, retryAfterSeconds: 60, times: 5 });
    await expect(api().fetchChallenge(IDENTITY, sid, Date.now() + 2000)).rejects.toMatchObject({
      code: 'TWILIO_RATE_LIMITED',
      retryAfter: 60,
    });
    expect(apiCalls('fetchChallenge')).toHaveLength(1);
  });

  it('does not wait out a long Retry-After outside a login either (enrolment calls)', async () => {
    emulator.faults.add({ operation: 'createAccessToken', kind: 'status', status: 429, retryAfterSeconds: 600, times: 5 });
    await expect(api().createAccessToken(IDENTITY)).rejects.toMatchObject({ code: 'TWILIO_RATE_LIMITED', retryAfter: 600 });
    expect(apiCalls('createAccessToken')).toHaveLength(1);
  });

  it('retries 5xx answers a bounded number of times, then fails with TWILIO_UNAVAILABLE', async () => {
    const { sid } = await api().createChallenge(challengeInput('txn-5xx'));
    emulator.clearCalls();
    emulator.faults.add({ operation: 'fetchChallenge', kind: 'status', status: 503, times: 10 });
    await expect(api({ retries: 2 }).fetchChallenge(IDENTITY, sid)).rejects.toMatchObject({ code: 'TWILIO_UNAVAILABLE' });
    expect(apiCalls('fetchChallenge')).toHaveLength(3);
  });

  it('recovers from a single 5xx', async () => {
    const { sid } = await api().createChallenge(challengeInput('txn-5xx-once'));
    emulator.faults.add({ operation: 'fetchChallenge', kind: 'status', status: 500, times: 1 });
    await expect(api().fetchChallenge(IDENTITY, sid)).resolves.toMatchObject({ sid });
  });

  it('times out a hanging request and reports TWILIO_TIMEOUT', async () => {
    const { sid } = await api().createChallenge(challengeInput('txn-hang'));
    emulator.faults.add({ operation: 'fetchChallenge', kind: 'hang', times: 10 });
    await expect(api({ requestTimeoutMs: 200, retries: 1 }).fetchChallenge(IDENTITY, sid)).rejects.toMatchObject({
      code: 'TWILIO_TIMEOUT',
    });
  });

  it('never sends a second push when creation times out after Twilio created the challenge', async () => {
    emulator.faults.add({ operation: 'createChallenge', kind: 'hang', afterProcessing: true, times: 1 });
    const challenge = await api({ requestTimeoutMs: 300 }).createChallenge(challengeInput('txn-lost-answer'));
    expect(challenge.hiddenDetails.transaction_id).toBe('txn-lost-answer');
    expect(apiCalls('createChallenge')).toHaveLength(1);
    expect(await pendingChallengesWith('txn-lost-answer')).toHaveLength(1);
  });

  it('never sends a second push when the connection drops with an unknown outcome', async () => {
    emulator.faults.add({ operation: 'createChallenge', kind: 'drop', times: 1 });
    await expect(api().createChallenge(challengeInput('txn-dropped'))).rejects.toMatchObject({
      code: 'TWILIO_UNAVAILABLE',
    });
    expect(apiCalls('createChallenge')).toHaveLength(1);
    expect(apiCalls('listChallenges')).toHaveLength(1);
    expect(await pendingChallengesWith('txn-dropped')).toHaveLength(0);
  });

  it('sends creation again only after Twilio answered that it did not act (503), and only once it looked', async () => {
    emulator.faults.add({ operation: 'createChallenge', kind: 'status', status: 503, times: 1 });
    const challenge = await api().createChallenge(challengeInput('txn-503'));
    expect(challenge.hiddenDetails.transaction_id).toBe('txn-503');
    const calls = emulator.calls({ source: 'api' }).map((c) => c.operation);
    expect(calls).toEqual(['createChallenge', 'listChallenges', 'createChallenge']);
    expect(await pendingChallengesWith('txn-503')).toHaveLength(1);
  });

  it('finds the challenge a 5xx-after-processing answer hid, instead of creating another', async () => {
    emulator.faults.add({ operation: 'createChallenge', kind: 'status', status: 500, afterProcessing: true, times: 1 });
    const challenge = await api().createChallenge(challengeInput('txn-500-after'));
    expect(challenge.hiddenDetails.transaction_id).toBe('txn-500-after');
    expect(apiCalls('createChallenge')).toHaveLength(1);
    expect(await pendingChallengesWith('txn-500-after')).toHaveLength(1);
  });

  it('never carries the account credentials in an error, however deeply it is logged', async () => {
    const { sid } = await api().createChallenge(challengeInput('txn-secret'));
    const basic = Buffer.from(`${emulator.accountSid}:${emulator.authToken}`).toString('base64');
    const faults = [
      { kind: 'drop' as const },
      { kind: 'hang' as const },
      { kind: 'status' as const, status: 503 },
      { kind: 'status' as const, status: 429, retryAfterSeconds: 0 },
    ];
    for (const fault of faults) {
      emulator.faults.clear();
      emulator.faults.add({ operation: 'fetchChallenge', times: 10, ...fault });
      const error = await api({ requestTimeoutMs: 200, retries: 0 }).fetchChallenge(IDENTITY, sid).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: expect.stringMatching(/^TWILIO_/) });
      const logged = inspect(error, { depth: Infinity, showHidden: true }) + JSON.stringify(error);
      expect(logged).not.toContain(emulator.authToken);
      expect(logged).not.toContain(basic);
    }
  });

  it('mints access tokens for an identity and deletes factors; a missing factor is NO_PUSH_FACTOR', async () => {
    const token = await api().createAccessToken(IDENTITY, { ttlSeconds: 120 });
    expect(token.token.length).toBeGreaterThan(20);
    expect(token.ttl).toBe(120);
    await expect(api().deleteFactor(IDENTITY, 'YF' + 'a'.repeat(32))).rejects.toMatchObject({ code: 'NO_PUSH_FACTOR' });
  });
});
