/**
 * A stand-in for the strategy's side of the events endpoint: sessions are picked by a test header
 * and map to challenge sids, and `status` reads the store the way the strategy does with a webhook.
 * Lets the endpoint's own behaviour (transport, wake-ups, clean-up) be tested apart from Twilio.
 */
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import express from 'express';
import { createEventsHandler, type EventsOptions } from '../../src/http/events.js';
import type { VerifyPushStatus as WaitStatusSource } from '../../src/types.js';
import { MemoryChallengeStore } from '../../src/stores/memory.js';
import type { ChallengeRecord, ChallengeStatus } from '../../src/stores/types.js';

export interface FakeSetup {
  url: string;
  store: MemoryChallengeStore;
  /** Calls of `status`, per session. */
  statusCalls: Map<string, number>;
  /** Subscribe and unsubscribe calls made on the store. */
  subscriptions: { subscribed: number; unsubscribed: number };
  /** Responses the server saw closed (finished or dropped by the client). */
  closedResponses(): number;
  /** Give a session a pending challenge in the store. */
  pending(session: string, challengeSid: string, expiresInMs?: number): Promise<void>;
  /** Move a challenge to a new status, as the webhook handler would. */
  settle(challengeSid: string, status: ChallengeStatus): Promise<void>;
  close(): Promise<void>;
}

export interface FakeOptions {
  hasWebhook?: boolean;
  pollIntervalMs?: number;
  events?: EventsOptions;
  /** Replace the status read, e.g. to delay it. */
  status?: (session: string, read: () => Promise<WaitStatusSource>) => Promise<WaitStatusSource>;
}

export async function startFake(options: FakeOptions = {}): Promise<FakeSetup> {
  const store = new MemoryChallengeStore({ sweepIntervalMs: 0 });
  const sessions = new Map<string, string>();
  const statusCalls = new Map<string, number>();
  const subscriptions = { subscribed: 0, unsubscribed: 0 };
  const subscribe = store.subscribe.bind(store);
  store.subscribe = async (sid, listener) => {
    subscriptions.subscribed += 1;
    const unsubscribe = await subscribe(sid, listener);
    return () => {
      subscriptions.unsubscribed += 1;
      unsubscribe();
    };
  };

  const sessionOf = (req: http.IncomingMessage): string => String(req.headers['x-test-session'] ?? '');
  const read = async (session: string): Promise<WaitStatusSource> => {
    const sid = sessions.get(session);
    if (sid === undefined) return { state: 'none' };
    const record = await store.get(sid);
    if (record === undefined) return { state: 'none' };
    const state = record.status === 'pending' && record.expiresAt <= Date.now() ? 'expired' : record.status;
    return { state, expiresAt: record.expiresAt, pollAfterMs: 1000, message: 'Approve sign-in?', fields: [{ label: 'IP', value: '127.0.0.1' }], transactionId: record.transactionId };
  };

  const handler = createEventsHandler(
    {
      status: (req) => {
        const session = sessionOf(req);
        statusCalls.set(session, (statusCalls.get(session) ?? 0) + 1);
        return options.status ? options.status(session, () => read(session)) : read(session);
      },
      store,
      pendingChallengeSid: (req) => sessions.get(sessionOf(req)),
      webhooksExpected: () => options.hasWebhook ?? true,
      pollIntervalMs: options.pollIntervalMs ?? 2000,
      now: Date.now,
    },
    options.events,
  );
  let closed = 0;
  const app = express();
  app.use((_req, res, next) => {
    res.on('close', () => {
      closed += 1;
    });
    next();
  });
  app.get('/events', handler);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const recordFor = (challengeSid: string, status: ChallengeStatus, expiresAt: number): ChallengeRecord => ({
    challengeSid,
    serviceSid: 'VA' + '0'.repeat(32),
    identity: 'identity-' + challengeSid.slice(-8),
    factorSid: 'YF' + '0'.repeat(32),
    transactionId: 'tx-' + challengeSid.slice(-8),
    status,
    createdAt: Date.now(),
    expiresAt,
  });

  return {
    url: `http://127.0.0.1:${port}/events`,
    store,
    statusCalls,
    subscriptions,
    closedResponses: () => closed,
    async pending(session, challengeSid, expiresInMs = 300_000) {
      sessions.set(session, challengeSid);
      await store.set(recordFor(challengeSid, 'pending', Date.now() + expiresInMs), 600_000);
    },
    async settle(challengeSid, status) {
      const current = await store.get(challengeSid);
      if (!current) throw new Error('no such challenge');
      await store.compareAndSet(challengeSid, current.status, { ...current, status, settledAt: Date.now() }, 600_000);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
}

/** A challenge sid of the right shape, distinct per n. */
export function challengeSid(n: number): string {
  return 'YC' + n.toString(16).padStart(32, '0');
}
