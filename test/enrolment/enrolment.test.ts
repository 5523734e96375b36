import { createServer, type Server } from 'node:http';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEnrolmentHandlers, type EnrolmentRequest } from '../../src/http/enrolment.js';
import { hmacIdentity } from '../../src/flow/identity.js';
import { VerifyPushEmulator, type RunningEmulator, type SimulatedDevice } from '../../src/testing/index.js';
import { VerifyApi } from '../../src/twilio/verify-api.js';

interface User {
  id: string;
}

const SECRET = 'enrolment-tests-identity-secret-0123456789';
const identityOf = (user: User): string => hmacIdentity(SECRET, user.id);

let emulator: RunningEmulator;
let device: SimulatedDevice;
let serviceSid: string;
let server: Server;

beforeAll(async () => {
  emulator = await VerifyPushEmulator.start();
  device = emulator.device();
  serviceSid = await emulator.createService('Enrolment tests');
  const api = new VerifyApi({ client: emulator.client(), serviceSid, retries: 0 });
  const handlers = createEnrolmentHandlers<User>({
    api,
    serviceSid,
    identityOf: async (user) => identityOf(user),
    getUser: (req: EnrolmentRequest) => req.user as User | undefined,
    // Stands in for the strategy's verified mark: set per request by the test below.
    approval: (req: EnrolmentRequest) => ((req as EnrolmentRequest & { pushDone?: boolean }).pushDone === true ? 'fresh' : 'none'),
    deviceChanged: async () => undefined,
  });

  const app = express();
  app.use(express.json());
  // Stands in for passport's session: the signed-in user comes from the server side, never from the body.
  app.use((req, _res, next) => {
    const id = req.get('x-test-session-user');
    if (id) (req as EnrolmentRequest).user = { id };
    (req as EnrolmentRequest & { pushDone?: boolean }).pushDone = req.get('x-test-password-only') === undefined;
    next();
  });
  app.post('/devices/token', handlers.accessToken({ factorFriendlyName: (user) => `Phone of ${user.id}`, ttlSeconds: 120 }));
  app.get('/devices', handlers.listFactors());
  app.delete('/devices/:factorSid', handlers.deleteFactor());
  app.get('/custom/devices', async (req, res, next) => {
    try {
      res.json({ count: (await handlers.factorsOf(req)).length });
    } catch (error) {
      next(error);
    }
  });

  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await emulator.close();
});

beforeEach(() => emulator.clearCalls());

function asUser(id: string | undefined, method: 'get' | 'post' | 'delete', path: string): request.Test {
  const req = request(server)[method](path);
  return id === undefined ? req : req.set('x-test-session-user', id);
}

function apiCalls(operation: 'createAccessToken' | 'listFactors' | 'deleteFactor') {
  return emulator.calls({ operation, source: 'api' });
}

async function factorSidsOf(userId: string): Promise<string[]> {
  const response = await asUser(userId, 'get', '/devices');
  return (response.body as { factors: { sid: string }[] }).factors.map((f) => f.sid);
}

describe('enrolment access token', () => {
  it('is minted for the signed-in user only, whatever identity the request names', async () => {
    const response = await asUser('alice', 'post', '/devices/token?identity=' + identityOf({ id: 'bob' }))
      .send({ identity: identityOf({ id: 'bob' }), Identity: identityOf({ id: 'bob' }) });
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toMatchObject({
      identity: identityOf({ id: 'alice' }),
      serviceSid,
      factorType: 'push',
      ttl: 120,
    });
    expect(typeof response.body.token).toBe('string');
    const calls = apiCalls('createAccessToken');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.params).toMatchObject({ Identity: identityOf({ id: 'alice' }), FactorFriendlyName: 'Phone of alice' });
  });

  it('enrols a device under the signed-in user when the device uses it', async () => {
    const response = await asUser('carol', 'post', '/devices/token');
    const { factorSid } = await device.register({
      serviceSid,
      identity: response.body.identity as string,
      accessToken: response.body.token as string,
    });
    expect(await factorSidsOf('carol')).toContain(factorSid);
  });

  it('answers 401 NOT_AUTHENTICATED without a signed-in user, before any Twilio call', async () => {
    const response = await asUser(undefined, 'post', '/devices/token').send({ identity: identityOf({ id: 'alice' }) });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: 'NOT_AUTHENTICATED' });
    expect(apiCalls('createAccessToken')).toHaveLength(0);
  });
});

describe('listing and removing factors', () => {
  let daveFactors: string[];
  let erinFactor: string;

  beforeAll(async () => {
    const dave = identityOf({ id: 'dave' });
    daveFactors = [
      (await device.register({ serviceSid, identity: dave, friendlyName: 'Dave phone' })).factorSid,
      (await device.register({ serviceSid, identity: dave, friendlyName: 'Dave tablet' })).factorSid,
    ];
    erinFactor = (await device.register({ serviceSid, identity: identityOf({ id: 'erin' }) })).factorSid;
  });

  it('lists only the signed-in user’s factors', async () => {
    const response = await asUser('dave', 'get', '/devices?identity=' + identityOf({ id: 'erin' }));
    expect(response.status).toBe(200);
    const factors = (response.body as { factors: { sid: string; friendlyName: string; status: string }[] }).factors;
    expect(factors.map((f) => f.sid).sort()).toEqual([...daveFactors].sort());
    expect(factors.every((f) => f.status === 'verified')).toBe(true);
    expect(factors.map((f) => f.sid)).not.toContain(erinFactor);
  });

  it('answers 401 to list or delete without a signed-in user', async () => {
    expect((await asUser(undefined, 'get', '/devices')).status).toBe(401);
    const response = await asUser(undefined, 'delete', `/devices/${erinFactor}`);
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: 'NOT_AUTHENTICATED' });
    expect(emulator.calls({ source: 'api' })).toHaveLength(0);
  });

  it('refuses to delete another user’s factor, which survives', async () => {
    const response = await asUser('dave', 'delete', `/devices/${erinFactor}`);
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: 'NO_PUSH_FACTOR' });
    expect(apiCalls('deleteFactor')).toHaveLength(0);
    expect(await factorSidsOf('erin')).toEqual([erinFactor]);
  });

  it('deletes the signed-in user’s own factor', async () => {
    const [removed, kept] = daveFactors as [string, string];
    const response = await asUser('dave', 'delete', `/devices/${removed}`);
    expect(response.status).toBe(204);
    expect(await factorSidsOf('dave')).toEqual([kept]);
  });

  it.each([
    ['the wrong prefix', `YC${'0'.repeat(32)}`],
    ['an encoded slash', `YF${'0'.repeat(29)}%2F..`],
    ['a dot-dot', '..'],
    ['too short', 'YF1234'],
    ['non-hex', `YF${'g'.repeat(32)}`],
  ])('refuses a factor sid with %s with 400 INVALID_SID before any Twilio call', async (_what, sid) => {
    const response = await asUser('dave', 'delete', `/devices/${sid}`);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'INVALID_SID' });
    expect(emulator.calls({ source: 'api' })).toHaveLength(0);
  });

  it('needs the second factor, not just the password, once the user has a verified device', async () => {
    const passwordOnly = (method: 'get' | 'post' | 'delete', path: string) =>
      asUser('dave', method, path).set('x-test-password-only', '1');
    const kept = (await factorSidsOf('dave'))[0]!;
    emulator.clearCalls();
    for (const attempt of [
      passwordOnly('post', '/devices/token'),
      passwordOnly('get', '/devices'),
      passwordOnly('delete', `/devices/${kept}`),
    ]) {
      const response = await attempt;
      expect(response.status).toBe(403);
      expect(response.body).toEqual({ error: 'SECOND_FACTOR_REQUIRED' });
    }
    // Nothing was minted or removed: only the device lists that decided it were read.
    expect(apiCalls('createAccessToken')).toHaveLength(0);
    expect(apiCalls('deleteFactor')).toHaveLength(0);
    expect(await factorSidsOf('dave')).toContain(kept);
  });

  it('lets a user with no verified device enrol the first one with the password (trust on first use)', async () => {
    const response = await asUser('newcomer-1', 'post', '/devices/token').set('x-test-password-only', '1');
    expect(response.status).toBe(200);
    expect(response.body.identity).toBe(identityOf({ id: 'newcomer-1' }));
  });

  it('offers the same operations as plain functions', async () => {
    const response = await asUser('erin', 'get', '/custom/devices');
    expect(response.body).toEqual({ count: 1 });
  });
});

describe('enrolment configuration', () => {
  it('refuses a bad service sid or token ttl at construction', () => {
    const api = new VerifyApi({ client: emulator.client(), serviceSid });
    const base = {
      api,
      identityOf: async () => 'identity-0001',
      getUser: () => undefined,
      approval: () => 'none' as const,
      deviceChanged: async () => undefined,
    };
    expect(() => createEnrolmentHandlers({ ...base, serviceSid: 'VA123' })).toThrow(
      expect.objectContaining({ code: 'INVALID_SID' }),
    );
    expect(() => createEnrolmentHandlers({ ...base, serviceSid }).accessToken({ ttlSeconds: 30 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });
});
