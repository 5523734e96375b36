import http from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import request from 'supertest';
import { createEventsHandler } from '../../src/http/events.js';
import { MemoryChallengeStore } from '../../src/stores/memory.js';
import { challengeSid, startFake, type FakeSetup } from './fake-strategy.js';
import { eventData, openSse } from './sse-client.js';

let setup: FakeSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

describe('server-sent events', () => {
  it('sends the pending state first, then the approval the moment the store changes, then ends', async () => {
    setup = await startFake();
    await setup.pending('a', challengeSid(1));
    const stream = await openSse(setup.url, { 'x-test-session': 'a' });
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(stream.headers['cache-control']).toBe('no-store');

    const first = await eventData(stream, 0);
    expect(first).toMatchObject({ state: 'pending', message: 'Approve sign-in?', fields: [{ label: 'IP', value: '127.0.0.1' }] });
    expect(typeof first.expiresAt).toBe('number');
    expect(typeof first.serverTime).toBe('number');

    await setup.settle(challengeSid(1), 'approved');
    expect(await eventData(stream, 1)).toMatchObject({ state: 'approved' });
    await stream.ended;
    expect(stream.messages()).toHaveLength(2);
    // One read to start, one when woken: no timer polling while a webhook is configured.
    expect(setup.statusCalls.get('a')).toBe(2);
  });

  it('never sends the challenge sid or the transaction id, and ignores a sid supplied by the client', async () => {
    setup = await startFake();
    await setup.pending('a', challengeSid(1));
    await setup.pending('b', challengeSid(2));
    const stream = await openSse(`${setup.url}?challengeSid=${challengeSid(2)}`, {
      'x-test-session': 'a',
      'x-challenge-sid': challengeSid(2),
    });
    await eventData(stream, 0);
    await setup.settle(challengeSid(2), 'approved');
    await setup.settle(challengeSid(1), 'denied');
    expect(await eventData(stream, 1)).toMatchObject({ state: 'denied' });
    await stream.ended;
    expect(stream.messages().map((m) => (JSON.parse(m.data) as { state: string }).state)).toEqual(['pending', 'denied']);
    expect(stream.raw()).not.toContain(challengeSid(1));
    expect(stream.raw()).not.toContain(challengeSid(2));
    expect(stream.raw()).not.toContain('tx-');
  });

  it("is not woken by another session's challenge", async () => {
    setup = await startFake();
    await setup.pending('a', challengeSid(1));
    await setup.pending('b', challengeSid(2));
    const streamA = await openSse(setup.url, { 'x-test-session': 'a' });
    const streamB = await openSse(setup.url, { 'x-test-session': 'b' });
    await eventData(streamA, 0);
    await eventData(streamB, 0);
    await setup.settle(challengeSid(2), 'approved');
    expect(await eventData(streamB, 1)).toMatchObject({ state: 'approved' });
    await streamB.ended;
    // A's challenge is untouched: its stream read its status once and is still open.
    expect(setup.statusCalls.get('a')).toBe(1);
    expect(streamA.messages()).toHaveLength(1);
    expect(setup.store.stats().listeners).toBe(1);
    streamA.close();
    await vi.waitFor(() => expect(setup?.store.stats().listeners).toBe(0));
  });

  it('answers a session with no challenge with state "none" and ends at once', async () => {
    setup = await startFake();
    const stream = await openSse(setup.url, { 'x-test-session': 'nobody' });
    expect(await eventData(stream, 0)).toMatchObject({ state: 'none' });
    await stream.ended;
    expect(setup.subscriptions.subscribed).toBe(0);
  });

  it('ends the stream at its lifetime, with heartbeats before, and unsubscribes', async () => {
    setup = await startFake({ events: { heartbeatMs: 1000, maxLifetimeMs: 2500, retryMs: 500 } });
    await setup.pending('a', challengeSid(1));
    const stream = await openSse(setup.url, { 'x-test-session': 'a' });
    await stream.ended;
    expect(stream.raw()).toMatch(/^retry: 500\n\n/);
    expect(stream.raw()).toContain(': keep-alive\n\n');
    expect(stream.messages().map((m) => (JSON.parse(m.data) as { state: string }).state)).toEqual(['pending']);
    expect(setup.store.stats().listeners).toBe(0);
    expect(setup.subscriptions.unsubscribed).toBe(setup.subscriptions.subscribed);
  });

  it('reports expiry without any store change (Twilio sends no expiry webhook)', async () => {
    setup = await startFake();
    await setup.pending('a', challengeSid(1), 300);
    const stream = await openSse(setup.url, { 'x-test-session': 'a' });
    expect(await eventData(stream, 0)).toMatchObject({ state: 'pending' });
    expect(await eventData(stream, 1)).toMatchObject({ state: 'expired' });
    await stream.ended;
  });

  it('falls back to reading the status at the poll interval when there is no webhook', async () => {
    let reads = 0;
    setup = await startFake({
      hasWebhook: false,
      pollIntervalMs: 50,
      // The strategy's poll would fetch Twilio here; the third read finds it approved.
      status: async (_session, read) => {
        reads += 1;
        const status = await read();
        return reads >= 3 ? { ...status, state: 'approved' } : status;
      },
    });
    await setup.pending('a', challengeSid(1));
    const stream = await openSse(setup.url, { 'x-test-session': 'a' });
    expect(await eventData(stream, 1)).toMatchObject({ state: 'approved' });
    await stream.ended;
    expect(reads).toBe(3);
    expect(setup.store.stats().listeners).toBe(0);
  });

  it('leaves nothing subscribed when the client leaves while the first read is in flight', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    setup = await startFake({ status: async (_session, read) => gate.then(read) });
    await setup.pending('a', challengeSid(1));
    const req = http.get(setup.url, { headers: { accept: 'text/event-stream', 'x-test-session': 'a' }, agent: false });
    req.on('error', () => undefined);
    await vi.waitFor(() => expect(setup?.statusCalls.get('a')).toBe(1));
    req.destroy();
    await vi.waitFor(() => expect(setup?.closedResponses()).toBe(1));
    release();
    // Let the released read finish and the handler decide: the subscription, taken before the first read,
    // is dropped for a gone client.
    await vi.waitFor(() => expect(setup?.subscriptions.unsubscribed).toBe(setup?.subscriptions.subscribed));
    expect(setup.statusCalls.get('a')).toBe(1);
    expect(setup.store.stats().listeners).toBe(0);
  });

  it('leaks no listeners after 1,000 connect and disconnect cycles', async () => {
    setup = await startFake();
    await setup.pending('a', challengeSid(1));
    for (let batch = 0; batch < 20; batch += 1) {
      const streams = await Promise.all(
        Array.from({ length: 50 }, () => openSse(setup!.url, { 'x-test-session': 'a' })),
      );
      await Promise.all(streams.map((stream) => stream.message(0)));
      for (const stream of streams) stream.close();
    }
    await vi.waitFor(() => expect(setup?.store.stats().listeners).toBe(0));
    expect(setup.subscriptions.subscribed).toBe(1000);
    expect(setup.subscriptions.unsubscribed).toBe(1000);
    expect(setup.store.stats().subscribedChallenges).toBe(0);
  });
});

describe('long-poll', () => {
  it('holds the request while pending and answers with the change', async () => {
    setup = await startFake();
    await setup.pending('a', challengeSid(1));
    const answer = request(setup.url).get('').set('x-test-session', 'a').set('accept', 'application/json');
    const pending = answer.then((res) => res);
    await vi.waitFor(() => expect(setup?.store.stats().listeners).toBe(1));
    await setup.settle(challengeSid(1), 'approved');
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({ state: 'approved' });
    expect(JSON.stringify(res.body)).not.toContain(challengeSid(1));
    expect(setup.store.stats().listeners).toBe(0);
  });

  it('answers with the current state at its timeout', async () => {
    setup = await startFake({ events: { longPollTimeoutMs: 1000 } });
    await setup.pending('a', challengeSid(1));
    const res = await request(setup.url).get('').set('x-test-session', 'a').set('accept', 'application/json');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'pending', message: 'Approve sign-in?' });
    expect(setup.store.stats().listeners).toBe(0);
  });

  it('answers at once when the challenge is already settled', async () => {
    setup = await startFake();
    await setup.pending('a', challengeSid(1));
    await setup.settle(challengeSid(1), 'denied');
    const res = await request(setup.url).get('').set('x-test-session', 'a');
    expect(res.body).toMatchObject({ state: 'denied' });
    // Subscribed before the first read (so no change could slip between), and let go at once.
    await vi.waitFor(() => expect(setup?.subscriptions.unsubscribed).toBe(setup?.subscriptions.subscribed));
    expect(setup.store.stats().listeners).toBe(0);
  });
});

describe('options', () => {
  it('refuses out-of-range timings with INVALID_OPTION', () => {
    const deps = {
      status: async () => ({ state: 'none' as const }),
      store: new MemoryChallengeStore({ sweepIntervalMs: 0 }),
      pendingChallengeSid: () => undefined,
      webhooksExpected: () => true,
      pollIntervalMs: 2000,
      now: Date.now,
    };
    expect(() => createEventsHandler(deps, { heartbeatMs: 10 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => createEventsHandler(deps, { maxLifetimeMs: 3_600_000 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => createEventsHandler(deps, { longPollTimeoutMs: Number.NaN })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => createEventsHandler(deps, {})).not.toThrow();
  });
});
