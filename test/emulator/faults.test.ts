import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VerifyPushEmulator, type RunningEmulator } from '../../src/testing/index.js';
import { startReceiver, type Receiver } from './receiver.js';
import { challengesOf, enrol, type Enrolment } from './support.js';

let emulator: RunningEmulator;
let user: Enrolment;
/** Values the emulator's random source returns, in order (then 0.99: "no hit"). */
let randomValues: number[];

beforeEach(async () => {
  randomValues = [];
  emulator = await VerifyPushEmulator.start({ random: () => randomValues.shift() ?? 0.99 });
  user = await enrol(emulator);
  emulator.clearCalls();
});

afterEach(async () => {
  await emulator.close();
});

function createChallenge(client = emulator.client(), hiddenDetails: Record<string, string> = { transaction_id: 'tx-fault-000000000000000' }) {
  return client.verify.v2
    .services(user.serviceSid)
    .entities(user.identity)
    .challenges.create({ factorSid: user.factorSid, 'details.message': 'Log in?', hiddenDetails });
}

async function challengeCount(): Promise<number> {
  return (await challengesOf(emulator, user).list()).length;
}

describe('status faults', () => {
  it('answers 429 with Retry-After, which the SDK caller sees, then recovers', async () => {
    emulator.faults.add({ operation: 'createChallenge', kind: 'status', status: 429, retryAfterSeconds: 7 });
    const client = emulator.client();
    await expect(createChallenge(client)).rejects.toMatchObject({ status: 429, code: 20429 });
    expect(client.httpClient.lastResponse?.headers['retry-after']).toBe('7');
    expect(await challengeCount()).toBe(0);
    expect((await createChallenge(client)).status).toBe('pending');
    expect(await challengeCount()).toBe(1);
  });

  it('answers 5xx for the next N calls only', async () => {
    emulator.faults.add({ operation: 'fetchService', kind: 'status', status: 503, times: 2 });
    const service = () => emulator.client().verify.v2.services(user.serviceSid).fetch();
    await expect(service()).rejects.toMatchObject({ status: 503 });
    await expect(service()).rejects.toMatchObject({ status: 503 });
    expect((await service()).sid).toBe(user.serviceSid);
  });

  it('hits a fraction of calls, drawn from the random source', async () => {
    emulator.faults.add({ operation: '*', kind: 'status', status: 500, probability: 0.5 });
    randomValues = [0.7, 0.2, 0.9];
    const service = () => emulator.client().verify.v2.services(user.serviceSid).fetch();
    expect((await service()).sid).toBe(user.serviceSid);
    await expect(service()).rejects.toMatchObject({ status: 500 });
    expect((await service()).sid).toBe(user.serviceSid);
  });

  it('with afterProcessing creates the challenge but the caller sees a failure', async () => {
    emulator.faults.add({ operation: 'createChallenge', kind: 'status', status: 500, afterProcessing: true });
    await expect(createChallenge()).rejects.toMatchObject({ status: 500 });
    const created = await challengesOf(emulator, user).list();
    expect(created.map((c) => c.hiddenDetails)).toEqual([{ transaction_id: 'tx-fault-000000000000000' }]);
  });

  it('clear() removes pending faults', async () => {
    emulator.faults.add({ operation: 'createChallenge', kind: 'status', status: 500 });
    emulator.faults.clear();
    expect((await createChallenge()).status).toBe('pending');
  });
});

describe('connection faults', () => {
  it('adds latency and still answers', async () => {
    emulator.faults.add({ operation: 'fetchService', kind: 'latency', latencyMs: 50 });
    expect((await emulator.client().verify.v2.services(user.serviceSid).fetch()).sid).toBe(user.serviceSid);
    expect(emulator.calls({ operation: 'fetchService' })).toMatchObject([{ fault: 'latency', status: 200 }]);
  });

  it('delays beyond a client timeout', async () => {
    emulator.faults.add({ operation: 'fetchService', kind: 'latency', latencyMs: 2000 });
    await expect(emulator.client({ timeout: 100 }).verify.v2.services(user.serviceSid).fetch()).rejects.toMatchObject({
      code: 'ECONNABORTED',
    });
  });

  it('hangs until the client times out', async () => {
    emulator.faults.add({ operation: 'createChallenge', kind: 'hang' });
    await expect(createChallenge(emulator.client({ timeout: 200 }))).rejects.toMatchObject({ code: 'ECONNABORTED' });
    expect(await challengeCount()).toBe(0);
    expect(emulator.calls({ operation: 'createChallenge' })).toMatchObject([{ fault: 'hang', status: 0 }]);
  });

  it('hangs after creating the challenge: a timed-out creation still sent its push', async () => {
    emulator.faults.add({ operation: 'createChallenge', kind: 'hang', afterProcessing: true });
    await expect(createChallenge(emulator.client({ timeout: 200 }))).rejects.toMatchObject({ code: 'ECONNABORTED' });
    const pending = await user.device.challenges({ ...user, status: 'pending' });
    expect(pending.map((c) => c.hidden_details)).toEqual([{ transaction_id: 'tx-fault-000000000000000' }]);
  });

  it('drops the connection without an answer', async () => {
    emulator.faults.add({ operation: 'createChallenge', kind: 'drop' });
    await expect(createChallenge()).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(await challengeCount()).toBe(0);
    expect(emulator.calls({ operation: 'createChallenge' })).toMatchObject([{ fault: 'drop', status: 0 }]);
  });

  it('faults the device too', async () => {
    const challenge = await createChallenge();
    emulator.faults.add({ operation: 'updateChallenge', kind: 'status', status: 503 });
    await expect(user.device.approve({ ...user, challengeSid: challenge.sid })).rejects.toMatchObject({ status: 503 });
    expect((await user.device.approve({ ...user, challengeSid: challenge.sid })).status).toBe('approved');
  });
});

describe('webhook faults', () => {
  let receiver: Receiver;

  beforeEach(async () => {
    receiver = await startReceiver();
    await emulator.client().verify.v2.services(user.serviceSid).webhooks.create({
      friendlyName: 'hook',
      eventTypes: ['challenge.approved'],
      webhookUrl: `${receiver.url}/hook`,
    });
  });

  afterEach(async () => {
    await receiver.close();
  });

  async function approveOne(): Promise<void> {
    const challenge = await createChallenge();
    await user.device.approve({ ...user, challengeSid: challenge.sid });
    await emulator.webhooksSettled();
  }

  it('drops the next delivery and records it as dropped', async () => {
    emulator.faults.webhooks({ drop: 1 });
    await approveOne();
    expect(receiver.received).toEqual([]);
    await approveOne();
    expect(receiver.received).toHaveLength(1);
    expect(emulator.deliveries().map((d) => d.outcome)).toEqual(['dropped', 'sent']);
  });

  it('duplicates the next delivery with the same uuid', async () => {
    emulator.faults.webhooks({ duplicate: 1 });
    await approveOne();
    expect(receiver.received).toHaveLength(2);
    const [first, second] = receiver.received;
    expect(first?.params['uuid']).toBe(second?.params['uuid']);
    expect(first?.signature).toBe(second?.signature);
    expect(emulator.deliveries().map((d) => d.duplicate)).toEqual([false, true]);
  });

  it('drops a fraction of deliveries, drawn from the random source', async () => {
    emulator.faults.webhooks({ dropProbability: 0.5 });
    randomValues = [0.1, 0.9];
    await approveOne();
    await approveOne();
    expect(emulator.deliveries().map((d) => d.outcome)).toEqual(['dropped', 'sent']);
  });
});

describe('call log', () => {
  it('records operation, method, path, params, status and source of each call', async () => {
    const challenge = await createChallenge();
    await user.device.approve({ ...user, challengeSid: challenge.sid });
    const calls = emulator.calls();
    expect(calls.map((c) => [c.operation, c.method, c.source, c.status])).toEqual([
      ['createChallenge', 'POST', 'api', 201],
      ['fetchChallenge', 'GET', 'device', 200],
      ['updateChallenge', 'POST', 'device', 200],
    ]);
    expect(calls[0]).toMatchObject({
      path: `/v2/Services/${user.serviceSid}/Entities/${user.identity}/Challenges`,
      params: { FactorSid: user.factorSid, 'Details.Message': 'Log in?', HiddenDetails: '{"transaction_id":"tx-fault-000000000000000"}' },
    });
    expect(emulator.calls({ source: 'api' })).toHaveLength(1);
    expect(emulator.calls({ operation: 'updateChallenge' })[0]?.params).toHaveProperty('AuthPayload');
  });

  it('keeps repeated parameters as arrays and logs unknown routes', async () => {
    await emulator.client().verify.v2.services(user.serviceSid).entities(user.identity).challenges.create({
      factorSid: user.factorSid,
      'details.message': 'Log in?',
      'details.fields': [{ label: 'a', value: '1' }, { label: 'b', value: '2' }],
    });
    expect(emulator.calls({ operation: 'createChallenge' })[0]?.params['Details.Fields']).toEqual([
      '{"label":"a","value":"1"}',
      '{"label":"b","value":"2"}',
    ]);
    await fetch(`${emulator.url}/v2/Nowhere`);
    expect(emulator.calls({ operation: 'unknown' })).toMatchObject([{ path: '/v2/Nowhere', status: 401 }]);
    emulator.clearCalls();
    expect(emulator.calls()).toEqual([]);
  });
});
