import express from 'express';
import twilio from 'twilio';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChallengeRecord, ChallengeStore } from '../../src/stores/types.js';
import {
  PUBLIC_URL,
  approveOnDevice,
  eventFor,
  fetchCalls,
  formBody,
  newStore,
  pendingChallenge,
  postForm,
  postJson,
  rawPost,
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
  // Approved on the device, so any request that got through would visibly approve the record.
  await approveOnDevice(fixture, record);
  fixture.emulator.clearCalls();
});
afterEach(() => app.close());

async function expectRefused(response: { status: number; body: unknown }, status = 400): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.body).toEqual({ error: 'WEBHOOK_BODY_INVALID' });
  expect((await store.get(record.challengeSid))?.status).toBe('pending');
  expect(fetchCalls(fixture)).toBe(0);
}

/** What a lenient last-value-wins parser would make of the body: sign that, so only our checks refuse it. */
function signedLikeLenientParser(body: string): string {
  return sign(Object.fromEntries(new URLSearchParams(body)), PUBLIC_URL, undefined, fixture);
}

describe('webhook: malformed bodies get a 4xx and change nothing', () => {
  it('refuses a content type Twilio does not use (415)', async () => {
    const params = eventFor(fixture, record);
    const response = await app
      .post()
      .set('Content-Type', 'text/plain')
      .set('X-Twilio-Signature', sign(params, PUBLIC_URL, undefined, fixture))
      .send(formBody(params));
    await expectRefused(response, 415);
  });

  it('refuses a body in another charset (415)', async () => {
    const params = eventFor(fixture, record);
    const response = await app
      .post()
      .set('Content-Type', 'application/x-www-form-urlencoded; charset=iso-8859-1')
      .set('X-Twilio-Signature', sign(params, PUBLIC_URL, undefined, fixture))
      .send(formBody(params));
    await expectRefused(response, 415);
  });

  it('refuses invalid JSON, even correctly signed', async () => {
    await expectRefused(await postJson(app, fixture, '{"type": "challenge.approved",'));
  });

  it('refuses JSON that is not an object', async () => {
    await expectRefused(await postJson(app, fixture, JSON.stringify([eventFor(fixture, record)])));
  });

  it('refuses JSON whose fields are not strings', async () => {
    const event = { ...eventFor(fixture, record), challenge_sid: [record.challengeSid] };
    await expectRefused(await postJson(app, fixture, JSON.stringify(event)));
  });

  it('refuses a duplicated parameter', async () => {
    const params = eventFor(fixture, record);
    const body = `${formBody(params)}&challenge_sid=${record.challengeSid}`;
    await expectRefused(await postForm(app, fixture, params, { body, signature: signedLikeLenientParser(body) }));
  });

  it('refuses array parameters', async () => {
    const params = eventFor(fixture, record);
    const body = `${formBody(params)}&tags%5B%5D=a&tags%5B%5D=b`;
    await expectRefused(await postForm(app, fixture, params, { body, signature: signedLikeLenientParser(body) }));
  });

  it('refuses nested keys', async () => {
    const params = { ...eventFor(fixture, record), 'details[status]': 'approved' };
    await expectRefused(await postForm(app, fixture, params));
  });

  it('refuses duplicates and nested keys that express.urlencoded() already parsed', async () => {
    for (const extended of [false, true]) {
      const parsed = await startApp({ fixture, store, before: [express.urlencoded({ extended })] });
      try {
        const params = eventFor(fixture, record);
        const duplicated = `${formBody(params)}&type=challenge.approved`;
        await expectRefused(
          await postForm(parsed, fixture, params, { body: duplicated, signature: signedLikeLenientParser(duplicated) }),
        );
        if (extended) {
          const nested = `${formBody(params)}&details%5Bstatus%5D=approved`;
          await expectRefused(await postForm(parsed, fixture, params, { body: nested, signature: null }));
        }
      } finally {
        await parsed.close();
      }
    }
  });

  it('refuses a body over the size limit (413)', async () => {
    const params = { ...eventFor(fixture, record), padding: 'x'.repeat(17 * 1024) };
    await expectRefused(await postForm(app, fixture, params), 413);
  });

  it('refuses an oversized body sent without Content-Length (413)', async () => {
    const params = { ...eventFor(fixture, record), padding: 'x'.repeat(40 * 1024) };
    const headers = {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Twilio-Signature': sign(params, PUBLIC_URL, undefined, fixture),
    };
    // Chunks of 4 KiB: the limit is crossed part-way through the stream.
    await expectRefused(await rawPost(app, headers, Buffer.from(formBody(params)), 4096), 413);
  });

  it('refuses too many parameters', async () => {
    const params: Record<string, string> = eventFor(fixture, record);
    for (let i = 0; i < 50; i += 1) params[`extra_${i}`] = String(i);
    await expectRefused(await postForm(app, fixture, params));
  });

  it('refuses malformed percent-escapes and invalid UTF-8', async () => {
    const params = eventFor(fixture, record);
    await expectRefused(await postForm(app, fixture, params, { body: `${formBody(params)}&note=%E0%A4%A` }));
    const invalidUtf8 = Buffer.concat([Buffer.from(`${formBody(params)}&note=`), Buffer.from([0xc3, 0x28])]);
    const headers = {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Twilio-Signature': sign(params, PUBLIC_URL, undefined, fixture),
    };
    await expectRefused(await rawPost(app, headers, invalidUtf8));
  });

  it('keeps serving after every kind of bad body', async () => {
    const params = eventFor(fixture, record);
    await app.post().set('Content-Type', 'application/json').send('{');
    await app.post().set('Content-Type', 'application/x-www-form-urlencoded').send('a=1&a=2');
    await app.post().set('Content-Type', 'application/xml').send('<x/>');
    await app.post().set('Content-Type', 'application/x-www-form-urlencoded').send('x'.repeat(64 * 1024));
    const response = await postForm(app, fixture, params);
    expect(response.status).toBe(200);
    expect((await store.get(record.challengeSid))?.status).toBe('approved');
  });

  it('accepts a body exactly as twilio-node would sign it, with spaces and reserved characters', async () => {
    // Form values with '+', spaces and '&' must decode to what was signed.
    const params = { ...eventFor(fixture, record), note: 'a+b c&d=e ü' };
    const response = await postForm(app, fixture, params);
    expect(response.status).toBe(200);
    expect(twilio.validateRequest(fixture.emulator.authToken, sign(params, PUBLIC_URL, undefined, fixture), PUBLIC_URL, params)).toBe(true);
  });
});
