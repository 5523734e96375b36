/**
 * The events endpoint with the real strategy, the real twilio SDK and the emulator: woken by the signed
 * webhook through the store, never polling Twilio itself while a webhook is configured, and telling each
 * session only about its own challenge.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { eventData, openSse, type SseConnection } from './sse-client.js';
import { Browser, startStrategyApp, type StrategyApp } from './strategy-app.js';

let app: StrategyApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function states(stream: SseConnection): string[] {
  return stream.messages().map((m) => (JSON.parse(m.data) as { state: string }).state);
}

async function onlyPending(phone: { pendingSids(): Promise<string[]> }): Promise<string> {
  const sids = await phone.pendingSids();
  expect(sids).toHaveLength(1);
  return sids[0] as string;
}

describe('events endpoint with a webhook', () => {
  it('tells the waiting browser on the webhook, and never fetches from Twilio itself', async () => {
    app = await startStrategyApp({ webhook: true });
    const phone = await app.enrol('alice');
    const browser = new Browser(app.url);
    const pending = await browser.startPush('alice');
    const stream = await openSse(`${app.url}/events`, { cookie: browser.cookieHeader });
    expect(await eventData(stream, 0)).toMatchObject({ state: 'pending', expiresAt: Date.parse(String(pending.expiresAt)) });

    app.emulator.clearCalls();
    await phone.approve(await onlyPending(phone));
    expect(await eventData(stream, 1)).toMatchObject({ state: 'approved' });
    await stream.ended;
    await app.emulator.webhooksSettled();

    // Exactly one fetch: the webhook handler's confirmation. The open stream added none.
    expect(app.emulator.calls({ operation: 'fetchChallenge', source: 'api' })).toHaveLength(1);
    expect(app.emulator.deliveries().length).toBeGreaterThanOrEqual(1);
    expect(states(stream)).toEqual(['pending', 'approved']);
    expect(app.store.stats().listeners).toBe(0);
  });

  it('a slow approval costs at most one Twilio fetch per fallback interval from the open stream', async () => {
    let offset = 0;
    app = await startStrategyApp({ webhook: true, events: { heartbeatMs: 1000 }, clock: () => Date.now() + offset });
    const phone = await app.enrol('alice');
    const browser = new Browser(app.url);
    await browser.startPush('alice');
    const stream = await openSse(`${app.url}/events`, { cookie: browser.cookieHeader });
    expect(await eventData(stream, 0)).toMatchObject({ state: 'pending' });
    app.emulator.clearCalls();

    // 40 s pass with the stream open: past the 15 s webhook fallback interval, far from expiry. Two heartbeats
    // re-read the status inside one interval: one fallback fetch between them, not one each.
    offset = 40_000;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(app.emulator.calls({ operation: 'fetchChallenge', source: 'api' })).toHaveLength(1);
    expect(states(stream)).toEqual(['pending']);

    await phone.approve(await onlyPending(phone));
    expect(await eventData(stream, 1)).toMatchObject({ state: 'approved' });
    await stream.ended;
    await app.emulator.webhooksSettled();
    expect(app.emulator.calls({ operation: 'fetchChallenge', source: 'api' })).toHaveLength(2);
  });

  it("never reports another user's challenge, even when the client names it", async () => {
    app = await startStrategyApp({ webhook: true });
    const alicePhone = await app.enrol('alice');
    const bobPhone = await app.enrol('bob');
    const alice = new Browser(app.url);
    const bob = new Browser(app.url);
    await alice.startPush('alice');
    await bob.startPush('bob');
    const bobSid = await onlyPending(bobPhone);

    const aliceStream = await openSse(`${app.url}/events?challengeSid=${bobSid}&sid=${bobSid}`, {
      cookie: alice.cookieHeader,
      'x-challenge-sid': bobSid,
    });
    const bobStream = await openSse(`${app.url}/events`, { cookie: bob.cookieHeader });
    await eventData(aliceStream, 0);
    await eventData(bobStream, 0);

    await bobPhone.approve(bobSid);
    expect(await eventData(bobStream, 1)).toMatchObject({ state: 'approved' });
    await bobStream.ended;
    await app.emulator.webhooksSettled();
    expect(states(aliceStream)).toEqual(['pending']);

    await alicePhone.deny(await onlyPending(alicePhone));
    expect(await eventData(aliceStream, 1)).toMatchObject({ state: 'denied' });
    await aliceStream.ended;
    expect(states(aliceStream)).toEqual(['pending', 'denied']);
    for (const stream of [aliceStream, bobStream]) {
      expect(stream.raw()).not.toMatch(/YC[0-9a-f]{32}/);
    }
  });

  it('two browsers of one user: the newer request supersedes the older, and only its own stream hears the approval', async () => {
    app = await startStrategyApp({ webhook: true });
    const phone = await app.enrol('alice');
    const first = new Browser(app.url);
    const second = new Browser(app.url);
    await first.startPush('alice');
    const firstStream = await openSse(`${app.url}/events`, { cookie: first.cookieHeader });
    await eventData(firstStream, 0);

    await second.startPush('alice');
    expect(await eventData(firstStream, 1)).toMatchObject({ state: 'superseded' });
    await firstStream.ended;

    const secondStream = await openSse(`${app.url}/events`, { cookie: second.cookieHeader });
    await eventData(secondStream, 0);
    const sids = await phone.pendingSids();
    // Twilio cannot cancel: both challenges are still pending on the phone; approve the newer one.
    await phone.approve(sids[0] as string);
    expect(await eventData(secondStream, 1)).toMatchObject({ state: 'approved' });
    expect(states(firstStream)).toEqual(['pending', 'superseded']);
  });

  it('ends the stream at its lifetime when nothing happens, leaving nothing subscribed', async () => {
    app = await startStrategyApp({ webhook: true, events: { maxLifetimeMs: 1000, heartbeatMs: 1000 } });
    await app.enrol('alice');
    const browser = new Browser(app.url);
    await browser.startPush('alice');
    const stream = await openSse(`${app.url}/events`, { cookie: browser.cookieHeader });
    await stream.ended;
    expect(states(stream)).toEqual(['pending']);
    expect(app.store.stats().listeners).toBe(0);
  });

  it('long-poll answers with the approval as soon as the webhook lands', async () => {
    app = await startStrategyApp({ webhook: true });
    const phone = await app.enrol('alice');
    const browser = new Browser(app.url);
    await browser.startPush('alice');
    const answer = browser.request('/events', { accept: 'application/json' });
    await vi.waitFor(() => expect(app?.store.stats().listeners).toBe(1));
    await phone.approve(await onlyPending(phone));
    const response = await answer;
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ state: 'approved' });
  });

  it('a session with no challenge hears "none" and nothing is subscribed', async () => {
    app = await startStrategyApp({ webhook: true });
    const stream = await openSse(`${app.url}/events`);
    expect(await eventData(stream, 0)).toMatchObject({ state: 'none' });
    await stream.ended;
    expect(app.store.stats().subscribedChallenges).toBe(0);
  });

  it('leaks no listeners after 1,000 connects and disconnects of a pending session', async () => {
    app = await startStrategyApp({ webhook: true });
    await app.enrol('alice');
    const browser = new Browser(app.url);
    await browser.startPush('alice');
    for (let batch = 0; batch < 20; batch += 1) {
      const streams = await Promise.all(
        Array.from({ length: 50 }, () => openSse(`${app!.url}/events`, { cookie: browser.cookieHeader })),
      );
      await Promise.all(streams.map((stream) => stream.message(0)));
      for (const stream of streams) stream.close();
    }
    await vi.waitFor(() => expect(app?.store.stats().listeners).toBe(0));
    expect(app.store.stats().subscribedChallenges).toBe(0);
  });
});

describe('events endpoint without a webhook', () => {
  it('falls back to the poll path and still tells the browser', async () => {
    app = await startStrategyApp({ webhook: false });
    const phone = await app.enrol('alice');
    const browser = new Browser(app.url);
    await browser.startPush('alice');
    const stream = await openSse(`${app.url}/events`, { cookie: browser.cookieHeader });
    await eventData(stream, 0);
    await phone.approve(await onlyPending(phone));
    expect(await eventData(stream, 1)).toMatchObject({ state: 'approved' });
    await stream.ended;
    // No webhook ever: the approval could only have come from the strategy's Twilio poll.
    expect(app.emulator.deliveries()).toHaveLength(0);
    expect(app.emulator.calls({ operation: 'fetchChallenge', source: 'api' }).length).toBeGreaterThanOrEqual(1);
  });
});

describe('events endpoint with a webhook that never arrives', () => {
  const FALLBACK_MS = 1500;

  /** Fetches the strategy made, at most one per fallback interval since the challenge was created. */
  function expectFetchesWithinBudget(startedAt: number): void {
    const fetches = app!.emulator.calls({ operation: 'fetchChallenge', source: 'api' }).length;
    expect(fetches).toBeGreaterThanOrEqual(1);
    expect(fetches).toBeLessThanOrEqual(Math.floor((Date.now() - startedAt) / FALLBACK_MS));
  }

  /** Alice's browser with a push pending, Twilio's calls so far forgotten, and the first `dropped` webhooks lost. */
  async function pendingWhileWebhooksAreLost(dropped: number) {
    app = await startStrategyApp({ webhook: true, strategy: { webhookFallbackPollMs: FALLBACK_MS } });
    const phone = await app.enrol('alice');
    const browser = new Browser(app.url);
    const startedAt = Date.now();
    await browser.startPush('alice');
    app.emulator.clearCalls();
    app.emulator.faults.webhooks({ drop: dropped });
    return { app, phone, browser, startedAt };
  }

  it('a page on server-sent events only is told of the approval within the fallback interval, and the login completes', async () => {
    const { app, phone, browser, startedAt } = await pendingWhileWebhooksAreLost(10);
    const stream = await openSse(`${app.url}/events`, { cookie: browser.cookieHeader });
    expect(await eventData(stream, 0)).toMatchObject({ state: 'pending' });

    await phone.approve(await onlyPending(phone));
    await app.emulator.webhooksSettled();
    expect(app.emulator.deliveries().map((delivery) => delivery.outcome)).toEqual(['dropped']);

    expect(await eventData(stream, 1)).toMatchObject({ state: 'approved' });
    await stream.ended;
    expectFetchesWithinBudget(startedAt);
    const done = await browser.request('/login/push', { method: 'POST' });
    expect(done.status).toBe(200);
    expect(await done.json()).toEqual({ loggedIn: 'alice' });
  });

  it('a page on long-poll only is told of the approval within the fallback interval, and the login completes', async () => {
    const { app, phone, browser, startedAt } = await pendingWhileWebhooksAreLost(10);

    const answer = browser.request('/events', { accept: 'application/json' });
    await vi.waitFor(() => expect(app?.store.stats().listeners).toBe(1));
    await phone.approve(await onlyPending(phone));
    const response = await answer;
    expect(await response.json()).toMatchObject({ state: 'approved' });
    expectFetchesWithinBudget(startedAt);
    const done = await browser.request('/login/push', { method: 'POST' });
    expect(done.status).toBe(200);
  });

  it('many open pages of one session share one Twilio fetch per interval', async () => {
    const { app, phone, browser, startedAt } = await pendingWhileWebhooksAreLost(10);
    const streams = await Promise.all(Array.from({ length: 5 }, () => openSse(`${app!.url}/events`, { cookie: browser.cookieHeader })));
    await Promise.all(streams.map((stream) => eventData(stream, 0)));
    await new Promise((resolve) => setTimeout(resolve, FALLBACK_MS * 2));
    await phone.approve(await onlyPending(phone));
    for (const stream of streams) expect(await eventData(stream, 1)).toMatchObject({ state: 'approved' });
    expectFetchesWithinBudget(startedAt);
  });
});
