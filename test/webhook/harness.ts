import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import request from 'supertest';
import twilio from 'twilio';
import { guardStore } from '../../src/stores/guard.js';
import { MemoryChallengeStore } from '../../src/stores/memory.js';
import type { ChallengeRecord, ChallengeStore } from '../../src/stores/types.js';
import { VerifyPushEmulator, type RunningEmulator, type SimulatedDevice } from '../../src/testing/index.js';
import { VerifyApi } from '../../src/twilio/verify-api.js';
import { VerifyPushStrategy } from '../../src/passport/strategy.js';
import { withSeams } from '../../src/passport/wiring.js';
import type { VerifyPort } from '../../src/twilio/verify-api.js';

/** The public URL Twilio is configured to call; tests reach the app on loopback under the same path. */
export const PUBLIC_URL = 'https://app.example.com/hooks/verify-push';
export const PATH = '/hooks/verify-push';

export interface Fixture {
  emulator: RunningEmulator;
  /** The phone: it holds the factor keys, so it must be the same device throughout. */
  device: SimulatedDevice;
  serviceSid: string;
  identity: string;
  factorSid: string;
  api: VerifyApi;
}

export async function startFixture(): Promise<Fixture> {
  const emulator = await VerifyPushEmulator.start();
  const serviceSid = await emulator.createService('Webhook tests');
  const identity = `user-${randomBytes(8).toString('hex')}`;
  const device = emulator.device();
  const { factorSid } = await device.register({ serviceSid, identity });
  // No retries: a fault injected on one call is the whole story of that call.
  const api = new VerifyApi({ client: emulator.client(), serviceSid, retries: 0, minBackoffMs: 10 });
  return { emulator, device, serviceSid, identity, factorSid, api };
}

/** A fresh Twilio challenge plus our pending record of it, as the strategy would have stored it. */
export async function pendingChallenge(
  fixture: Fixture,
  store: ChallengeStore,
  who: { identity?: string; factorSid?: string } = {},
): Promise<ChallengeRecord> {
  const identity = who.identity ?? fixture.identity;
  const factorSid = who.factorSid ?? fixture.factorSid;
  const transactionId = randomBytes(18).toString('base64url');
  const expiresAt = Date.now() + 300_000;
  const challenge = await fixture.api.createChallenge({
    identity,
    factorSid,
    message: 'Sign in?',
    fields: [],
    hiddenDetails: { transaction_id: transactionId },
    expiresAt: new Date(expiresAt),
    transactionId,
    deadline: Date.now() + 10_000,
  });
  const record: ChallengeRecord = {
    challengeSid: challenge.sid,
    serviceSid: fixture.serviceSid,
    identity,
    factorSid,
    transactionId,
    status: 'pending',
    createdAt: Date.now(),
    expiresAt,
  };
  await store.set(record, 20 * 60_000);
  return record;
}

export async function approveOnDevice(fixture: Fixture, record: ChallengeRecord): Promise<void> {
  await fixture.device.approve({
    serviceSid: fixture.serviceSid,
    identity: record.identity,
    factorSid: record.factorSid,
    challengeSid: record.challengeSid,
  });
}

/** The event Twilio would send for this record. */
export function eventFor(
  fixture: Fixture,
  record: ChallengeRecord,
  type: 'challenge.approved' | 'challenge.denied' = 'challenge.approved',
): Record<string, string> {
  return {
    uuid: randomUUID(),
    type,
    account_sid: fixture.emulator.accountSid,
    service_sid: fixture.serviceSid,
    entity_identity: record.identity,
    factor_sid: record.factorSid,
    factor_type: 'push',
    challenge_sid: record.challengeSid,
  };
}

export function sign(params: Record<string, string>, url = PUBLIC_URL, token?: string, fixture?: Fixture): string {
  return twilio.getExpectedTwilioSignature(token ?? fixture?.emulator.authToken ?? '', url, params);
}

export interface AppOptions {
  fixture: Fixture;
  store: ChallengeStore;
  /** Middleware mounted before the webhook (body parsers, proxies). */
  before?: RequestHandler[];
  /** Twilio as the webhook's confirming fetch sees it (default: the fixture's, which talks to the emulator). */
  api?: Pick<VerifyPort, 'fetchChallenge'>;
  trustProxy?: boolean;
  /** The URL configured on Twilio's side, when it must name this very server (real deliveries). */
  urlFromPort?: (port: number) => string;
}

export interface RunningApp {
  server: Server;
  post(path?: string): request.Test;
  close(): Promise<void>;
}

/** An Express app with the webhook mounted, listening on loopback. */
export async function startApp(options: AppOptions): Promise<RunningApp> {
  const { fixture, store } = options;
  const app = express();
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  if (options.trustProxy) app.set('trust proxy', true);
  for (const handler of options.before ?? []) app.use(handler);
  // The webhook as apps get it: from the strategy, with the confirming fetch going to the emulator.
  const strategy = new VerifyPushStrategy(
    withSeams(
      {
        client: fixture.emulator.client(),
        authToken: fixture.emulator.authToken,
        serviceSid: fixture.serviceSid,
        identitySecret: 'webhook-tests-identity-secret-0123456789',
        store,
      },
      { api: withFetch(fixture.api, options.api) },
    ),
  );
  app.post(PATH, strategy.webhook({ url: options.urlFromPort?.(port) ?? PUBLIC_URL }));
  return {
    server,
    post: (path = PATH) => request(server).post(path),
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/** The fixture's Verify API, with the confirming fetch replaced when a test needs to intercept it. */
function withFetch(api: VerifyApi, replacement: Pick<VerifyPort, 'fetchChallenge'> | undefined): VerifyPort {
  if (!replacement) return api;
  const intercepted = Object.create(api) as VerifyPort;
  intercepted.fetchChallenge = (identity, sid, deadline) => replacement.fetchChallenge(identity, sid, deadline);
  return intercepted;
}

/** A memory store wrapped the way the strategy wraps every store. */
export function newStore(): { raw: MemoryChallengeStore; store: ChallengeStore } {
  const raw = new MemoryChallengeStore();
  return { raw, store: guardStore(raw) };
}

export function formBody(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

/** POST a form event signed for `url` with the fixture's token (or the given signature). */
export function postForm(
  app: RunningApp,
  fixture: Fixture,
  params: Record<string, string>,
  options: { signature?: string | null; body?: string; path?: string } = {},
): request.Test {
  const req = app.post(options.path).set('Content-Type', 'application/x-www-form-urlencoded');
  const signature = options.signature === undefined ? sign(params, PUBLIC_URL, undefined, fixture) : options.signature;
  if (signature !== null) req.set('X-Twilio-Signature', signature);
  return req.send(options.body ?? formBody(params));
}

/** POST a JSON event signed as Twilio signs JSON: the URL carries bodySHA256 of the exact bytes. */
export function postJson(
  app: RunningApp,
  fixture: Fixture,
  body: string,
  options: { signedBody?: string; withHash?: boolean } = {},
): request.Test {
  const hash = twilio.getExpectedBodyHash(options.signedBody ?? body);
  const query = options.withHash === false ? '' : `?bodySHA256=${hash}`;
  const signature = sign({}, PUBLIC_URL + query, undefined, fixture);
  return app
    .post(PATH + query)
    .set('Content-Type', 'application/json')
    .set('X-Twilio-Signature', signature)
    .send(body);
}

export function fetchCalls(fixture: Fixture): number {
  return fixture.emulator.calls({ operation: 'fetchChallenge', source: 'api' }).length;
}

/** The store, except that `method` rejects (like a Redis outage) the next `times` calls. */
export function failing(store: ChallengeStore, method: keyof ChallengeStore, times = 1): ChallengeStore {
  let left = times;
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (property === method) {
        return (...args: unknown[]) => {
          if (left > 0) {
            left -= 1;
            return Promise.reject(new Error('connection lost'));
          }
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

/**
 * POST exact bytes with plain node:http (supertest would re-encode a Buffer sent as a form). With
 * `chunkBytes`, the body goes out chunked without Content-Length.
 */
export function rawPost(
  app: RunningApp,
  headers: Record<string, string>,
  body: Buffer,
  chunkBytes?: number,
): Promise<{ status: number; body: unknown }> {
  const { port } = app.server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path: PATH,
      method: 'POST',
      headers: chunkBytes === undefined ? { ...headers, 'Content-Length': String(body.length) } : headers,
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : (JSON.parse(text) as unknown) });
      });
    });
    req.on('error', reject);
    if (chunkBytes === undefined) req.end(body);
    else {
      for (let i = 0; i < body.length; i += chunkBytes) req.write(body.subarray(i, i + chunkBytes));
      req.end();
    }
  });
}
