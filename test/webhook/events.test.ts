import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { guardStore } from '../../src/stores/guard.js';
import { MemoryChallengeStore } from '../../src/stores/memory.js';
import type { ChallengeRecord, ChallengeStore } from '../../src/stores/types.js';
import { VerifyApi } from '../../src/twilio/verify-api.js';
import type { VerifyPort } from '../../src/twilio/verify-api.js';
import {
  approveOnDevice,
  eventFor,
  failing,
  fetchCalls,
  pendingChallenge,
  postForm,
  sign,
  startApp,
  startFixture,
  type Fixture,
  type RunningApp,
} from './harness.js';

let fixture: Fixture;
let raw: MemoryChallengeStore;
let store: ChallengeStore;
const apps: RunningApp[] = [];

beforeAll(async () => {
  fixture = await startFixture();
});
afterAll(() => fixture.emulator.close());

beforeEach(() => {
  raw = new MemoryChallengeStore();
  store = guardStore(raw);
  fixture.emulator.faults.clear();
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  await raw.close();
});

async function appWith(options: { store?: ChallengeStore; api?: Pick<VerifyPort, 'fetchChallenge'> } = {}): Promise<RunningApp> {
  const app = await startApp({ fixture, store: options.store ?? store, ...(options.api ? { api: options.api } : {}) });
  apps.push(app);
  return app;
}

/** A pending record whose challenge the device already approved: any fetch would confirm it. */
async function approvedOnDevice(): Promise<ChallengeRecord> {
  const record = await pendingChallenge(fixture, store);
  await approveOnDevice(fixture, record);
  fixture.emulator.clearCalls();
  return record;
}

async function statusOf(record: ChallengeRecord): Promise<string | undefined> {
  return (await store.get(record.challengeSid))?.status;
}

describe('webhook: which events are acted on', () => {
  it('confirms with Twilio rather than trusting the event: "approved" for a denied challenge records a denial', async () => {
    const app = await appWith();
    const record = await pendingChallenge(fixture, store);
    await fixture.device.deny({
      serviceSid: fixture.serviceSid,
      identity: record.identity,
      factorSid: record.factorSid,
      challengeSid: record.challengeSid,
    });
    const response = await postForm(app, fixture, eventFor(fixture, record, 'challenge.approved'));
    expect(response.status).toBe(200);
    expect(await statusOf(record)).toBe('denied');
  });

  it.each([
    ['account', { account_sid: `AC${'9'.repeat(32)}` }],
    ['service', { service_sid: `VA${'9'.repeat(32)}` }],
    ['identity', { entity_identity: 'someone-else-entirely' }],
    ['factor', { factor_sid: `YF${'9'.repeat(32)}` }],
  ])('ignores an event for another %s: 2xx, no Twilio call, no change', async (_what, override) => {
    const app = await appWith();
    const record = await approvedOnDevice();
    const response = await postForm(app, fixture, { ...eventFor(fixture, record), ...override });
    expect(response.status).toBe(200);
    expect(fetchCalls(fixture)).toBe(0);
    expect(await statusOf(record)).toBe('pending');
  });

  it('answers 2xx for an unknown challenge sid without calling Twilio', async () => {
    const app = await appWith();
    const record = await approvedOnDevice();
    const unknown = { ...record, challengeSid: `YC${randomBytes(16).toString('hex')}` };
    const response = await postForm(app, fixture, eventFor(fixture, unknown));
    expect(response.status).toBe(200);
    expect(fetchCalls(fixture)).toBe(0);
    expect(await store.get(unknown.challengeSid)).toBeUndefined();
    expect(await statusOf(record)).toBe('pending');
  });

  it('ignores events that are not challenge outcomes', async () => {
    const app = await appWith();
    const record = await approvedOnDevice();
    const response = await postForm(app, fixture, { ...eventFor(fixture, record), type: 'factor.verified' });
    expect(response.status).toBe(200);
    expect(fetchCalls(fixture)).toBe(0);
    expect(await statusOf(record)).toBe('pending');
  });

  it('does not let an old approval for the same user approve the newer pending challenge', async () => {
    const app = await appWith();
    const old = await pendingChallenge(fixture, store);
    await store.set({ ...old, status: 'superseded', settledAt: Date.now() }, 60_000);
    const newer = await pendingChallenge(fixture, store);
    await store.swapActive(fixture.identity, newer.challengeSid, 60_000);
    await approveOnDevice(fixture, old);
    fixture.emulator.clearCalls();

    const response = await postForm(app, fixture, eventFor(fixture, old));
    expect(response.status).toBe(200);
    expect(await statusOf(newer)).toBe('pending');
    expect(await statusOf(old)).toBe('superseded');
    expect(fetchCalls(fixture)).toBe(0);
  });

  it('refuses a signed event whose challenge_sid is not a challenge sid, before any Twilio call', async () => {
    const app = await appWith();
    const record = await approvedOnDevice();
    for (const bad of [`YC${'0'.repeat(30)}/..`, `YF${'0'.repeat(32)}`, `${record.challengeSid}%2F`, '']) {
      const response = await postForm(app, fixture, { ...eventFor(fixture, record), challenge_sid: bad });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ error: 'WEBHOOK_BODY_INVALID' });
    }
    expect(fetchCalls(fixture)).toBe(0);
  });

  it('never logs anyone in: no session cookie is read or set', async () => {
    const app = await appWith();
    const record = await approvedOnDevice();
    const response = await postForm(app, fixture, eventFor(fixture, record)).set('Cookie', 'connect.sid=s%3Aabc');
    expect(response.status).toBe(200);
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(await statusOf(record)).toBe('approved');
  });
});

describe('webhook: duplicate deliveries', () => {
  it('a copy arriving while the first is being confirmed makes no Twilio call', async () => {
    let calls = 0;
    let reachedFetch!: () => void;
    const firstAtFetch = new Promise<void>((resolve) => (reachedFetch = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const api: Pick<VerifyPort, 'fetchChallenge'> = {
      async fetchChallenge(identity, sid, deadline) {
        calls += 1;
        if (calls === 1) {
          reachedFetch();
          await gate;
        } else {
          release(); // without dedupe the copy gets here: let both proceed so the count shows it
        }
        return fixture.api.fetchChallenge(identity, sid, deadline);
      },
    };
    const app = await appWith({ api });
    const record = await approvedOnDevice();
    const params = eventFor(fixture, record);

    const first = postForm(app, fixture, params).then((response) => response);
    await firstAtFetch;
    const copy = await postForm(app, fixture, params);
    release();
    expect(copy.status).toBe(200);
    expect((await first).status).toBe(200);
    expect(fetchCalls(fixture)).toBe(1);
    expect(await statusOf(record)).toBe('approved');
  });

  it('a later copy of a delivery is a no-op even while the challenge is still pending', async () => {
    const app = await appWith();
    // The device has not answered: the confirming fetch finds the challenge pending, so the record stays
    // pending and only the dedupe can keep the copy from fetching again.
    const record = await pendingChallenge(fixture, store);
    fixture.emulator.clearCalls();
    const params = eventFor(fixture, record);
    expect((await postForm(app, fixture, params)).status).toBe(200);
    expect(fetchCalls(fixture)).toBe(1);
    expect((await postForm(app, fixture, params)).status).toBe(200);
    expect(fetchCalls(fixture)).toBe(1);
    expect(await statusOf(record)).toBe('pending');
  });

  it('a new delivery (another uuid) for the same still-pending challenge is confirmed again', async () => {
    const app = await appWith();
    const record = await pendingChallenge(fixture, store);
    fixture.emulator.clearCalls();
    await postForm(app, fixture, eventFor(fixture, record));
    await approveOnDevice(fixture, record);
    const response = await postForm(app, fixture, eventFor(fixture, record));
    expect(response.status).toBe(200);
    expect(await statusOf(record)).toBe('approved');
  });

  it('a retry of a delivery that failed is processed, not deduped away', async () => {
    const app = await appWith();
    const record = await approvedOnDevice();
    const params = eventFor(fixture, record);
    fixture.emulator.faults.add({ operation: 'fetchChallenge', kind: 'status', status: 500 });
    const failed = await postForm(app, fixture, params);
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(failed.body).toEqual({ error: 'TWILIO_UNAVAILABLE' });
    expect(await statusOf(record)).toBe('pending');

    const retried = await postForm(app, fixture, params);
    expect(retried.status).toBe(200);
    expect(await statusOf(record)).toBe('approved');
    // ...and once it succeeded, further copies are no-ops.
    const calls = fetchCalls(fixture);
    expect((await postForm(app, fixture, params)).status).toBe(200);
    expect(fetchCalls(fixture)).toBe(calls);
  });
});

describe('webhook: failures answer 5xx and leave no partial state', () => {
  it('Twilio down: 503, the record stays pending', async () => {
    const app = await appWith();
    const record = await approvedOnDevice();
    fixture.emulator.faults.add({ operation: 'fetchChallenge', kind: 'status', status: 503 });
    const response = await postForm(app, fixture, eventFor(fixture, record));
    expect(response.status).toBe(503);
    expect(await statusOf(record)).toBe('pending');
  });

  it('Twilio timing out: 5xx, the record stays pending', async () => {
    const api = new VerifyApi({
      client: fixture.emulator.client(),
      serviceSid: fixture.serviceSid,
      retries: 0,
      requestTimeoutMs: 200,
    });
    const app = await appWith({ api });
    const record = await approvedOnDevice();
    fixture.emulator.faults.add({ operation: 'fetchChallenge', kind: 'hang' });
    const response = await postForm(app, fixture, eventFor(fixture, record));
    expect(response.status).toBeGreaterThanOrEqual(500);
    expect(response.body).toEqual({ error: 'TWILIO_TIMEOUT' });
    expect(await statusOf(record)).toBe('pending');
  });

  it.each([
    ['read', 'get' as const],
    ['compare-and-set', 'compareAndSet' as const],
    ['dedupe claim', 'claim' as const],
  ])('store failing on %s: 503 STORE_ERROR, the record stays pending, a retry succeeds', async (_what, method) => {
    const app = await appWith({ store: guardStore(failing(raw, method)) });
    const record = await approvedOnDevice();
    const params = eventFor(fixture, record);
    const response = await postForm(app, fixture, params);
    expect(response.status).toBe(503);
    expect(response.body).toEqual({ error: 'STORE_ERROR' });
    expect(await statusOf(record)).toBe('pending');

    const retried = await postForm(app, fixture, params);
    expect(retried.status).toBe(200);
    expect(await statusOf(record)).toBe('approved');
  });

  it('a store without the guard wrapper still answers 503 STORE_ERROR', async () => {
    const app = await appWith({ store: failing(raw, 'get') });
    const record = await approvedOnDevice();
    const response = await postForm(app, fixture, eventFor(fixture, record));
    expect(response.status).toBe(503);
    expect(response.body).toEqual({ error: 'STORE_ERROR' });
  });

  it('wakes a subscriber waiting on the challenge', async () => {
    const app = await appWith();
    const record = await approvedOnDevice();
    const seen: string[] = [];
    const off = await store.subscribe(record.challengeSid, (changed) => seen.push(changed.status));
    try {
      await postForm(app, fixture, eventFor(fixture, record));
      expect(seen).toEqual(['approved']);
    } finally {
      off();
    }
  });

  it('checks a forged copy of a real event like any other (the signature covers every field)', async () => {
    const app = await appWith();
    const record = await approvedOnDevice();
    const params = eventFor(fixture, record);
    const signature = sign(params, undefined, undefined, fixture);
    const response = await postForm(app, fixture, { ...params, uuid: 'replayed-with-new-uuid' }, { signature });
    expect(response.status).toBe(403);
    expect(await statusOf(record)).toBe('pending');
  });
});
