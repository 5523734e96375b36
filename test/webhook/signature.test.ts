import express from 'express';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChallengeRecord, ChallengeStore } from '../../src/stores/types.js';
import {
  PATH,
  PUBLIC_URL,
  approveOnDevice,
  eventFor,
  fetchCalls,
  formBody,
  newStore,
  pendingChallenge,
  postForm,
  postJson,
  sign,
  startApp,
  startFixture,
  type Fixture,
  type RunningApp,
} from './harness.js';

let fixture: Fixture;
let store: ChallengeStore;
let app: RunningApp;
let record: ChallengeRecord;

beforeAll(async () => {
  fixture = await startFixture();
});
afterAll(() => fixture.emulator.close());

beforeEach(async () => {
  store = newStore().store;
  app = await startApp({ fixture, store });
  record = await pendingChallenge(fixture, store);
  await approveOnDevice(fixture, record);
  fixture.emulator.clearCalls();
});
afterEach(() => app.close());

async function statusOf(): Promise<string | undefined> {
  return (await store.get(record.challengeSid))?.status;
}

/** A refused delivery: 403, nothing recorded, and Twilio never asked. */
async function expectForbidden(response: { status: number; body: unknown }): Promise<void> {
  expect(response.status).toBe(403);
  expect(response.body).toEqual({ error: 'WEBHOOK_SIGNATURE_INVALID' });
  expect(await statusOf()).toBe('pending');
  expect(fetchCalls(fixture)).toBe(0);
}

describe('webhook signatures (form-encoded)', () => {
  it('accepts a correctly signed delivery and records the confirmed approval', async () => {
    const response = await postForm(app, fixture, eventFor(fixture, record));
    expect(response.status).toBe(200);
    expect(await statusOf()).toBe('approved');
    expect(fetchCalls(fixture)).toBe(1);
  });

  it('refuses a delivery without a signature', async () => {
    await expectForbidden(await postForm(app, fixture, eventFor(fixture, record), { signature: null }));
  });

  it('refuses a wrong signature', async () => {
    const params = eventFor(fixture, record);
    const forged = Buffer.from('not the right hmac!!').toString('base64');
    await expectForbidden(await postForm(app, fixture, params, { signature: forged }));
  });

  it('refuses a signature made with another auth token', async () => {
    const params = eventFor(fixture, record);
    const signature = sign(params, PUBLIC_URL, 'f'.repeat(32));
    await expectForbidden(await postForm(app, fixture, params, { signature }));
  });

  it('refuses a tampered parameter', async () => {
    const params = eventFor(fixture, record, 'challenge.denied');
    const signature = sign(params, PUBLIC_URL, undefined, fixture);
    const tampered = { ...params, type: 'challenge.approved' };
    await expectForbidden(await postForm(app, fixture, tampered, { signature }));
  });

  it('refuses an added parameter', async () => {
    const params = eventFor(fixture, record);
    const signature = sign(params, PUBLIC_URL, undefined, fixture);
    await expectForbidden(await postForm(app, fixture, { ...params, status: 'approved' }, { signature }));
  });

  it('refuses a removed parameter', async () => {
    const params = eventFor(fixture, record);
    const signature = sign(params, PUBLIC_URL, undefined, fixture);
    const { entity_identity: _dropped, ...fewer } = params;
    await expectForbidden(await postForm(app, fixture, fewer, { signature }));
  });

  it('refuses a signature valid for another URL, whatever Host and X-Forwarded-* claim', async () => {
    const params = eventFor(fixture, record);
    const elsewhere = 'https://staging.example.net/hooks/verify-push';
    const spoofed = await startApp({ fixture, store, trustProxy: true });
    try {
      const response = await spoofed
        .post()
        .set('Content-Type', 'application/x-www-form-urlencoded')
        .set('Host', 'staging.example.net')
        .set('X-Forwarded-Host', 'staging.example.net')
        .set('X-Forwarded-Proto', 'https')
        .set('X-Twilio-Signature', sign(params, elsewhere, undefined, fixture))
        .send(formBody(params));
      await expectForbidden(response);
    } finally {
      await spoofed.close();
    }
  });

  it('refuses a signature for the plain-http variant of the configured URL', async () => {
    const params = eventFor(fixture, record);
    const signature = sign(params, PUBLIC_URL.replace('https:', 'http:'), undefined, fixture);
    const response = await app
      .post()
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .set('X-Forwarded-Proto', 'http')
      .set('X-Twilio-Signature', signature)
      .send(formBody(params));
    await expectForbidden(response);
  });

  it('refuses a query string added to a signed URL', async () => {
    const params = eventFor(fixture, record);
    await expectForbidden(await postForm(app, fixture, params, { path: `${PATH}?status=approved` }));
  });

  it('works behind express.urlencoded() too, with the same checks', async () => {
    const parsed = await startApp({ fixture, store, before: [express.urlencoded({ extended: false })] });
    try {
      const params = eventFor(fixture, record);
      const forged = await postForm(parsed, fixture, { ...params, status: 'x' }, { signature: sign(params, PUBLIC_URL, undefined, fixture) });
      await expectForbidden(forged);
      const response = await postForm(parsed, fixture, params);
      expect(response.status).toBe(200);
      expect(await statusOf()).toBe('approved');
    } finally {
      await parsed.close();
    }
  });
});

describe('webhook signatures (JSON)', () => {
  it('accepts a JSON body whose bodySHA256 and signature match', async () => {
    const response = await postJson(app, fixture, JSON.stringify(eventFor(fixture, record)));
    expect(response.status).toBe(200);
    expect(await statusOf()).toBe('approved');
  });

  it('refuses a JSON body changed under a valid bodySHA256', async () => {
    const genuine = eventFor(fixture, record, 'challenge.denied');
    const changed = { ...genuine, type: 'challenge.approved' };
    const response = await postJson(app, fixture, JSON.stringify(changed), { signedBody: JSON.stringify(genuine) });
    await expectForbidden(response);
  });

  it('refuses a JSON body without bodySHA256 in the URL', async () => {
    const response = await postJson(app, fixture, JSON.stringify(eventFor(fixture, record)), { withHash: false });
    await expectForbidden(response);
  });

  it('answers 400 when a JSON parser consumed the body and kept no raw copy', async () => {
    const parsed = await startApp({ fixture, store, before: [express.json()] });
    try {
      const response = await postJson(parsed, fixture, JSON.stringify(eventFor(fixture, record)));
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ error: 'WEBHOOK_BODY_INVALID' });
      expect(await statusOf()).toBe('pending');
      expect(fetchCalls(fixture)).toBe(0);
    } finally {
      await parsed.close();
    }
  });

  it('uses req.rawBody when a JSON parser kept it', async () => {
    const keepRaw = express.json({
      verify: (req, _res, buf) => {
        (req as unknown as { rawBody: Buffer }).rawBody = buf;
      },
    });
    const parsed = await startApp({ fixture, store, before: [keepRaw] });
    try {
      const genuine = eventFor(fixture, record, 'challenge.denied');
      const tampered = { ...genuine, type: 'challenge.approved' };
      const forged = await postJson(parsed, fixture, JSON.stringify(tampered), { signedBody: JSON.stringify(genuine) });
      await expectForbidden(forged);
      const response = await postJson(parsed, fixture, JSON.stringify(eventFor(fixture, record)));
      expect(response.status).toBe(200);
      expect(await statusOf()).toBe('approved');
    } finally {
      await parsed.close();
    }
  });
});
