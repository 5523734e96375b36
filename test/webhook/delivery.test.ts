import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChallengeStore } from '../../src/stores/types.js';
import { fetchCalls, newStore, pendingChallenge, startApp, startFixture, type Fixture, type RunningApp } from './harness.js';

// Deliveries made by the emulator itself, signed as Twilio signs them, to the URL configured on the service.
let fixture: Fixture;
let store: ChallengeStore;
let app: RunningApp;

beforeAll(async () => {
  fixture = await startFixture();
  store = newStore().store;
  let webhookUrl = '';
  app = await startApp({
    fixture,
    store,
    urlFromPort: (port) => (webhookUrl = `http://127.0.0.1:${port}/hooks/verify-push`),
  });
  await fixture.emulator
    .client()
    .verify.v2.services(fixture.serviceSid)
    .webhooks.create({ friendlyName: 'app', eventTypes: ['*'], webhookUrl });
});

afterAll(async () => {
  await app.close();
  await fixture.emulator.close();
});

describe('webhook: deliveries from the emulator', () => {
  it('records an approval the device made, confirmed with one fetch', async () => {
    const record = await pendingChallenge(fixture, store);
    fixture.emulator.clearCalls();
    await fixture.device.approve({
      serviceSid: fixture.serviceSid,
      identity: record.identity,
      factorSid: record.factorSid,
      challengeSid: record.challengeSid,
    });
    await fixture.emulator.webhooksSettled();
    expect((await store.get(record.challengeSid))?.status).toBe('approved');
    expect(fetchCalls(fixture)).toBe(1);
    const delivery = fixture.emulator.deliveries().find((d) => d.params.challenge_sid === record.challengeSid);
    expect(delivery?.status).toBe(200);
  });

  it('records a denial, and a duplicated delivery costs no second fetch', async () => {
    const record = await pendingChallenge(fixture, store);
    fixture.emulator.clearCalls();
    fixture.emulator.faults.webhooks({ duplicate: 1 });
    await fixture.device.deny({
      serviceSid: fixture.serviceSid,
      identity: record.identity,
      factorSid: record.factorSid,
      challengeSid: record.challengeSid,
    });
    await fixture.emulator.webhooksSettled();
    const copies = fixture.emulator.deliveries().filter((d) => d.params.challenge_sid === record.challengeSid);
    expect(copies.map((d) => [d.duplicate, d.status])).toEqual([
      [false, 200],
      [true, 200],
    ]);
    expect((await store.get(record.challengeSid))?.status).toBe('denied');
    expect(fetchCalls(fixture)).toBe(1);
  });

  it('acknowledges factor events without touching Twilio', async () => {
    fixture.emulator.clearCalls();
    const before = fixture.emulator.deliveries().length;
    await fixture.device.register({ serviceSid: fixture.serviceSid, identity: 'another-user-0001' });
    await fixture.emulator.webhooksSettled();
    const factorEvents = fixture.emulator.deliveries().slice(before);
    expect(factorEvents.length).toBeGreaterThan(0);
    expect(factorEvents.every((d) => d.type.startsWith('factor.') && d.status === 200)).toBe(true);
    expect(fetchCalls(fixture)).toBe(0);
  });
});
