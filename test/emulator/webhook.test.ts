import { createServer } from 'node:net';
import twilio from 'twilio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VerifyPushEmulator, type RunningEmulator } from '../../src/testing/index.js';
import { startReceiver, type Receiver } from './receiver.js';
import { challengesOf, enrol, startClocked } from './support.js';

let emulator: RunningEmulator;
let receiver: Receiver;
let serviceSid: string;
const identity = 'user-0042-abcdef';
/** Status of the device's answer as the emulator had recorded it when each webhook arrived. */
let answerStatusAtDelivery: number[];

beforeEach(async () => {
  emulator = await VerifyPushEmulator.start();
  answerStatusAtDelivery = [];
  receiver = await startReceiver((hook) => {
    if (hook.params['type']?.startsWith('challenge.')) {
      answerStatusAtDelivery.push(emulator.calls({ operation: 'updateChallenge' }).at(-1)?.status ?? -1);
    }
  });
  serviceSid = await emulator.createService('Webhook tests');
});

afterEach(async () => {
  await emulator.close();
  await receiver.close();
});

function addWebhook(path: string, eventTypes: string[], status: 'enabled' | 'disabled' = 'enabled') {
  return emulator.client().verify.v2.services(serviceSid).webhooks.create({
    friendlyName: `hook ${path}`,
    eventTypes,
    webhookUrl: `${receiver.url}${path}`,
    status,
  });
}

async function enrolAndAnswer(answer: 'approve' | 'deny' = 'approve') {
  const device = emulator.device();
  const { factorSid } = await device.register({ serviceSid, identity });
  const challenge = await challengesOf(emulator, { serviceSid, identity }).create({ factorSid, 'details.message': 'Log in?' });
  await device[answer]({ serviceSid, identity, factorSid, challengeSid: challenge.sid });
  await emulator.webhooksSettled();
  return { device, factorSid, challengeSid: challenge.sid };
}

describe('deliveries', () => {
  it('POSTs a form-encoded challenge.approved event signed as Twilio signs', async () => {
    await addWebhook('/hook', ['challenge.approved']);
    const { factorSid, challengeSid } = await enrolAndAnswer();
    expect(receiver.received).toHaveLength(1);
    const hook = receiver.received[0]!;
    expect(hook.contentType).toMatch(/^application\/x-www-form-urlencoded/);
    expect(hook.params).toMatchObject({
      type: 'challenge.approved',
      account_sid: emulator.accountSid,
      service_sid: serviceSid,
      entity_identity: identity,
      factor_sid: factorSid,
      factor_type: 'push',
      challenge_sid: challengeSid,
    });
    expect(hook.params['uuid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(twilio.validateRequest(emulator.authToken, hook.signature, `${receiver.url}/hook`, hook.params)).toBe(true);
    expect(emulator.deliveries()).toMatchObject([{ type: 'challenge.approved', outcome: 'sent', status: 204, duplicate: false }]);
  });

  it('sends the webhook only after the device has its answer', async () => {
    await addWebhook('/hook', ['challenge.approved']);
    await enrolAndAnswer();
    expect(answerStatusAtDelivery).toEqual([200]);
  });

  it('produces signatures that fail validation once tampered with', async () => {
    await addWebhook('/hook', ['challenge.approved']);
    await enrolAndAnswer();
    const hook = receiver.received[0]!;
    const url = `${receiver.url}/hook`;
    expect(twilio.validateRequest(emulator.authToken, hook.signature, url, { ...hook.params, challenge_sid: `YC${'0'.repeat(32)}` })).toBe(false);
    expect(twilio.validateRequest(emulator.authToken, hook.signature, url, { ...hook.params, extra: '1' })).toBe(false);
    expect(twilio.validateRequest('another-auth-token', hook.signature, url, hook.params)).toBe(false);
    expect(twilio.validateRequest(emulator.authToken, hook.signature, `${receiver.url}/other`, hook.params)).toBe(false);
  });

  it('sends each event only to webhooks subscribed to its type or to *', async () => {
    const verifiedOnly = await addWebhook('/verified', ['factor.verified']);
    const everything = await addWebhook('/all', ['*']);
    const { factorSid } = await enrolAndAnswer('deny');
    await emulator.client().verify.v2.services(serviceSid).entities(identity).factors(factorSid).remove();
    await emulator.webhooksSettled();
    const typesAt = (path: string) => receiver.received.filter((h) => h.path === path).map((h) => h.params['type']);
    expect(typesAt('/verified')).toEqual(['factor.verified']);
    expect(typesAt('/all')).toEqual(['factor.created', 'factor.verified', 'challenge.denied', 'factor.deleted']);
    expect(new Set(emulator.deliveries().map((d) => d.webhookSid))).toEqual(new Set([verifiedOnly.sid, everything.sid]));
  });

  it('sends nothing to a disabled webhook, nor after one is deleted', async () => {
    await addWebhook('/disabled', ['*'], 'disabled');
    const removed = await addWebhook('/removed', ['*']);
    await emulator.client().verify.v2.services(serviceSid).webhooks(removed.sid).remove();
    await enrolAndAnswer();
    expect(receiver.received).toEqual([]);
    expect(emulator.deliveries()).toEqual([]);
  });

  it('gives every delivery its own uuid', async () => {
    await addWebhook('/a', ['*']);
    await addWebhook('/b', ['*']);
    await enrolAndAnswer();
    const uuids = receiver.received.map((h) => h.params['uuid']);
    expect(uuids).toHaveLength(6);
    expect(new Set(uuids).size).toBe(6);
  });
});

describe('failures', () => {
  it('records a failing receiver and an unreachable one, and keeps serving', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    await addWebhook('/fail', ['challenge.approved']);
    await emulator.client().verify.v2.services(serviceSid).webhooks.create({
      friendlyName: 'nobody home',
      eventTypes: ['challenge.approved'],
      webhookUrl: `http://127.0.0.1:${closedPort}/hook`,
    });
    await enrolAndAnswer();
    const outcomes = emulator.deliveries().map((d) => ({ outcome: d.outcome, status: d.status, hasError: d.error !== undefined }));
    expect(outcomes).toEqual(
      expect.arrayContaining([
        { outcome: 'failed', status: 500, hasError: false },
        { outcome: 'failed', status: undefined, hasError: true },
      ]),
    );
    expect((await emulator.client().verify.v2.services(serviceSid).fetch()).sid).toBe(serviceSid);
  });
});

describe('JSON bodies', () => {
  it('sends a webhook chosen for it as application/json, signed through bodySHA256 as validateRequestWithBody checks', async () => {
    const json = await addWebhook('/json', ['challenge.approved']);
    await addWebhook('/form', ['challenge.approved']);
    emulator.setWebhookBody(json.sid, 'json');
    const { challengeSid } = await enrolAndAnswer();
    const hook = receiver.received.find((h) => h.path === '/json')!;
    expect(hook.contentType).toBe('application/json');
    expect(JSON.parse(hook.raw)).toMatchObject({ type: 'challenge.approved', challenge_sid: challengeSid, account_sid: emulator.accountSid });
    const signedUrl = `${receiver.url}${hook.originalUrl}`;
    expect(new URL(signedUrl).searchParams.get('bodySHA256')).toMatch(/^[0-9a-f]{64}$/);
    expect(twilio.validateRequestWithBody(emulator.authToken, hook.signature, signedUrl, hook.raw)).toBe(true);
    // Any change to the bytes breaks it.
    expect(twilio.validateRequestWithBody(emulator.authToken, hook.signature, signedUrl, hook.raw.replace('approved', 'denied'))).toBe(false);
    expect(emulator.deliveries().find((d) => d.webhookSid === json.sid)).toMatchObject({ format: 'json', url: signedUrl, outcome: 'sent' });
    // The other webhook keeps form bodies.
    const form = receiver.received.find((h) => h.path === '/form')!;
    expect(form.contentType).toMatch(/^application\/x-www-form-urlencoded/);
    expect(twilio.validateRequest(emulator.authToken, form.signature, `${receiver.url}/form`, form.params)).toBe(true);
  });

  it('sends every webhook as JSON when started with webhookBody: json', async () => {
    const jsonEmulator = await VerifyPushEmulator.start({ webhookBody: 'json' });
    try {
      const user = await enrol(jsonEmulator);
      await jsonEmulator.client().verify.v2.services(user.serviceSid).webhooks.create({
        friendlyName: 'all',
        eventTypes: ['*'],
        webhookUrl: `${receiver.url}/hook?tenant=a`,
      });
      await jsonEmulator.device().register({ serviceSid: user.serviceSid, identity: 'user-json-000001' });
      await jsonEmulator.webhooksSettled();
      expect(receiver.received.map((h) => h.contentType)).toEqual(['application/json', 'application/json']);
      for (const hook of receiver.received) {
        // The query the webhook was configured with stays; bodySHA256 is added after it.
        expect(hook.originalUrl).toMatch(/^\/hook\?tenant=a&bodySHA256=[0-9a-f]{64}$/);
        expect(twilio.validateRequestWithBody(jsonEmulator.authToken, hook.signature, `${receiver.url}${hook.originalUrl}`, hook.raw)).toBe(true);
      }
    } finally {
      await jsonEmulator.close();
    }
  });
});

describe('retries', () => {
  async function closedPort(): Promise<number> {
    return new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
  }

  it('retries once, with the same uuid and signature, when the connection is refused', async () => {
    await emulator.client().verify.v2.services(serviceSid).webhooks.create({
      friendlyName: 'nobody home',
      eventTypes: ['challenge.approved'],
      webhookUrl: `http://127.0.0.1:${await closedPort()}/hook`,
    });
    await enrolAndAnswer();
    const attempts = emulator.deliveries();
    expect(attempts.map((d) => [d.attempt, d.outcome, d.status])).toEqual([
      [1, 'failed', undefined],
      [2, 'failed', undefined],
    ]);
    expect(attempts[1]?.uuid).toBe(attempts[0]?.uuid);
    expect(attempts[1]?.signature).toBe(attempts[0]?.signature);
  });

  it('does not retry an answer, even an error status', async () => {
    await addWebhook('/fail', ['challenge.approved']);
    await enrolAndAnswer();
    expect(receiver.received).toHaveLength(1);
    expect(emulator.deliveries().map((d) => [d.attempt, d.status])).toEqual([[1, 500]]);
  });

  it('delivers on the retry after an injected connection failure', async () => {
    await addWebhook('/hook', ['challenge.approved']);
    emulator.faults.webhooks({ connectionFailures: 1 });
    await enrolAndAnswer();
    expect(receiver.received).toHaveLength(1);
    expect(emulator.deliveries().map((d) => [d.attempt, d.outcome, d.error ?? d.status])).toEqual([
      [1, 'failed', 'connection refused (injected fault)'],
      [2, 'sent', 204],
    ]);
    const [first, retry] = emulator.deliveries();
    expect(retry?.uuid).toBe(first?.uuid);
  });

  it('sends a lost answer\'s delivery again, keeping its uuid unless told to give the retry a new one', async () => {
    await addWebhook('/hook', ['challenge.approved']);
    emulator.faults.webhooks({ lostAnswers: 1 });
    await enrolAndAnswer();
    expect(receiver.received.map((h) => h.params['uuid'])).toEqual([receiver.received[0]?.params['uuid'], receiver.received[0]?.params['uuid']]);

    receiver.received.length = 0;
    emulator.faults.webhooks({ lostAnswers: 1, retryUuid: 'new' });
    const device = emulator.device();
    const { factorSid } = await device.register({ serviceSid, identity: 'user-0043-abcdef' });
    const challenge = await challengesOf(emulator, { serviceSid, identity: 'user-0043-abcdef' }).create({ factorSid, 'details.message': 'Log in?' });
    await device.approve({ serviceSid, identity: 'user-0043-abcdef', factorSid, challengeSid: challenge.sid });
    await emulator.webhooksSettled();
    const [first, retry] = receiver.received;
    expect(retry?.params['uuid']).not.toBe(first?.params['uuid']);
    expect({ ...retry?.params, uuid: '' }).toEqual({ ...first?.params, uuid: '' });
    // The retry is signed anew, over its own uuid.
    expect(twilio.validateRequest(emulator.authToken, retry?.signature ?? '', `${receiver.url}/hook`, retry?.params ?? {})).toBe(true);
  });

  it('makes no retry with webhookRetries: 0, nor once the delivery\'s time (webhookTimeoutMs) is spent', async () => {
    const strict = await VerifyPushEmulator.start({ webhookRetries: 0 });
    const hurried = await VerifyPushEmulator.start({ webhookTimeoutMs: 200 });
    try {
      for (const [instance, path] of [
        [strict, '/hook'],
        [hurried, '/slow'],
      ] as const) {
        const user = await enrol(instance);
        await instance.client().verify.v2.services(user.serviceSid).webhooks.create({
          friendlyName: 'hook',
          eventTypes: ['challenge.approved'],
          webhookUrl: `${receiver.url}${path}`,
        });
        if (instance === strict) instance.faults.webhooks({ connectionFailures: 1 });
        const challenge = await challengesOf(instance, user).create({ factorSid: user.factorSid, 'details.message': 'Log in?' });
        await user.device.approve({ ...user, challengeSid: challenge.sid });
        await instance.webhooksSettled();
        expect(instance.deliveries().map((d) => [d.attempt, d.outcome])).toEqual([[1, 'failed']]);
      }
      expect(hurried.deliveries()[0]?.error).toBe('webhook timed out');
    } finally {
      await strict.close();
      await hurried.close();
    }
    await expect(VerifyPushEmulator.start({ webhookRetries: 6 })).rejects.toThrow(TypeError);
  });
});

describe('webhook resources', () => {
  it('creates, lists, updates and deletes webhooks', async () => {
    const webhooks = emulator.client().verify.v2.services(serviceSid).webhooks;
    const created = await addWebhook('/hook', ['factor.created', 'challenge.approved']);
    expect(created).toMatchObject({ status: 'enabled', version: 'v2', webhookMethod: 'POST', eventTypes: ['factor.created', 'challenge.approved'] });
    const updated = await webhooks(created.sid).update({ status: 'disabled' });
    expect(updated.status).toBe('disabled');
    expect((await webhooks.list()).map((w) => w.sid)).toEqual([created.sid]);
    expect(await webhooks(created.sid).remove()).toBe(true);
    expect(await webhooks.list()).toEqual([]);
  });

  it('refuses unknown event types and non-http URLs with 60200', async () => {
    const webhooks = emulator.client().verify.v2.services(serviceSid).webhooks;
    await expect(webhooks.create({ friendlyName: 'x', eventTypes: ['challenge.expired'], webhookUrl: `${receiver.url}/hook` })).rejects.toMatchObject({
      status: 400,
      code: 60200,
    });
    await expect(webhooks.create({ friendlyName: 'x', eventTypes: ['*'], webhookUrl: 'ftp://example.com/hook' })).rejects.toMatchObject({
      code: 60200,
    });
  });
});

describe('expiry', () => {
  it('sends no webhook when a challenge expires, as Twilio sends none', async () => {
    const clocked = await startClocked();
    try {
      const user = await enrol(clocked.emulator);
      await clocked.emulator.client().verify.v2.services(user.serviceSid).webhooks.create({
        friendlyName: 'all events',
        eventTypes: ['*'],
        webhookUrl: `${receiver.url}/hook`,
      });
      const challenge = await challengesOf(clocked.emulator, user).create({ factorSid: user.factorSid, 'details.message': 'Log in?' });
      clocked.advance(10 * 60_000);
      expect((await challengesOf(clocked.emulator, user)(challenge.sid).fetch()).status).toBe('expired');
      await clocked.emulator.webhooksSettled();
      expect(receiver.received).toEqual([]);
      expect(clocked.emulator.deliveries()).toEqual([]);
    } finally {
      await clocked.emulator.close();
    }
  });
});
