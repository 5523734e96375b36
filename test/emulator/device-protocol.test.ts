/**
 * The device side of Verify Push as twilio-verify-android and twilio-verify-ios speak it, checked with a signer
 * and a verifier written here from node:crypto alone (none of the emulator's own JWT or signing code):
 * - a device built from the SDKs' protocol enrols and answers against the emulator, and wrong credentials are
 *   refused with 401 and Twilio's JWT error codes;
 * - the simulated device's requests, recorded on the wire by a proxy, are exactly that protocol.
 */
import { createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emulatorDevice } from '../../src/testing/index.js';
import { startClocked, type ClockedEmulator } from './support.js';

// ---- An SDK-shaped device, independent of the emulator's code ----------------------------------------------

function b64url(value: Buffer | string): string {
  return Buffer.from(value).toString('base64url');
}

/** header.payload.signature with an ES256 signature in JOSE form (r || s), as the SDKs' JwtSigner transcodes it. */
function es256(header: Record<string, unknown>, claims: Record<string, unknown>, key: KeyObject): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }))}`;
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

interface Decoded {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  signedPart: string;
  signature: Buffer;
}

function decode(jwt: string): Decoded {
  const [header = '', claims = '', signature = ''] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as Record<string, unknown>,
    signedPart: `${header}.${claims}`,
    signature: Buffer.from(signature, 'base64url'),
  };
}

function es256Valid(jwt: string, publicKey: KeyObject): boolean {
  const { signedPart, signature } = decode(jwt);
  return signature.length === 64 && verify('sha256', Buffer.from(signedPart), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

let env: ClockedEmulator;
let serviceSid: string;

beforeEach(async () => {
  env = await startClocked();
  serviceSid = await env.emulator.createService('Protocol tests');
});

afterEach(async () => {
  await env.emulator.close();
});

async function call(path: string, authorization: string, method: 'GET' | 'POST' = 'GET', form?: Record<string, string>): Promise<Answer> {
  const response = await fetch(env.emulator.url + path, {
    method,
    headers: { Authorization: authorization, ...(form ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}) },
    ...(form ? { body: new URLSearchParams(form).toString() } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>), headers: response.headers };
}

/** A phone as the SDKs build one: a P-256 key pair, the factor created with the access token, then verified. */
async function enrolAsSdk(identity: string) {
  const { token } = await env.emulator.client().verify.v2.services(serviceSid).accessTokens.create({ identity, factorType: 'push' });
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const entity = `/v2/Services/${serviceSid}/Entities/${identity}`;
  const created = await call(`${entity}/Factors`, basic('token', token), 'POST', {
    FriendlyName: 'SDK-shaped phone',
    FactorType: 'push',
    'Binding.PublicKey': publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    'Binding.Alg': 'ES256',
    'Config.SdkVersion': '0.0.0',
    'Config.AppId': 'com.example.protocol',
    'Config.NotificationPlatform': 'none',
  });
  expect(created.status).toBe(201);
  const factorSid = created.body['sid'] as string;
  const config = created.body['config'] as { credential_sid?: unknown };
  expect(config.credential_sid).toEqual(expect.any(String));
  const phone = { identity, entity, factorSid, privateKey, credentialSid: config.credential_sid as string };
  return { ...phone, created };
}

type Phone = Awaited<ReturnType<typeof enrolAsSdk>>;

/** The request credential: header { cty, kid, typ, alg }, claims { sub, exp, nbf } in seconds. */
function credential(phone: Phone, overrides: { header?: Record<string, unknown>; claims?: Record<string, unknown>; key?: KeyObject } = {}): string {
  const now = Math.floor(env.now() / 1000);
  return es256(
    { cty: 'twilio-pba;v=1', kid: phone.credentialSid, typ: 'JWT', alg: 'ES256', ...overrides.header },
    { sub: env.emulator.accountSid, exp: now + 600, nbf: now, ...overrides.claims },
    overrides.key ?? phone.privateKey,
  );
}

function proof(factorSid: string, key: KeyObject): string {
  return sign('sha256', Buffer.from(factorSid, 'utf8'), { key, dsaEncoding: 'der' }).toString('base64');
}

async function verifiedPhone(identity = 'user-protocol-0001'): Promise<Phone> {
  const phone = await enrolAsSdk(identity);
  const verified = await call(`${phone.entity}/Factors/${phone.factorSid}`, basic('token', credential(phone)), 'POST', {
    AuthPayload: proof(phone.factorSid, phone.privateKey),
  });
  expect(verified.status).toBe(200);
  expect(verified.body).toMatchObject({ status: 'verified', config: { credential_sid: phone.credentialSid } });
  return phone;
}

function pushChallenge(phone: Phone, hiddenDetails?: Record<string, string>) {
  return env.emulator
    .client()
    .verify.v2.services(serviceSid)
    .entities(phone.identity)
    .challenges.create({ factorSid: phone.factorSid, 'details.message': 'Log in?', ...(hiddenDetails ? { hiddenDetails } : {}) });
}

describe('a device written from the mobile SDKs protocol', () => {
  it('enrols, lists, fetches and answers with its own ES256 signatures', async () => {
    const phone = await verifiedPhone();
    const first = await pushChallenge(phone, { transaction_id: 'tx-1' });
    env.advance(1000);
    const second = await pushChallenge(phone);

    // Listing as the SDK does: FactorSid, Order, PageSize, then PageToken taken from next_page_url.
    const listed: string[] = [];
    let query = `FactorSid=${phone.factorSid}&Order=desc&PageSize=1`;
    for (let pages = 0; pages < 5; pages += 1) {
      const page = await call(`${phone.entity}/Challenges?${query}`, basic('token', credential(phone)));
      expect(page.status).toBe(200);
      listed.push(...(page.body['challenges'] as Array<{ sid: string }>).map((c) => c.sid));
      const next = (page.body['meta'] as { next_page_url: string | null }).next_page_url;
      if (next === null) break;
      const token = new URL(next).searchParams.get('PageToken');
      expect(token).toEqual(expect.any(String));
      query = `FactorSid=${phone.factorSid}&Order=desc&PageSize=1&PageToken=${token}`;
    }
    expect(listed).toEqual([second.sid, first.sid]);

    const fetched = await call(`${phone.entity}/Challenges/${first.sid}`, basic('token', credential(phone)));
    expect(fetched.status).toBe(200);
    const fields = (fetched.headers.get('Twilio-Verify-Signature-Fields') ?? '').split(',');
    expect(fields.length).toBeGreaterThan(0);
    const claims: Record<string, unknown> = {};
    for (const field of fields) claims[field] = fetched.body[field];
    claims['status'] = 'approved';
    const answered = await call(`${phone.entity}/Challenges/${first.sid}`, basic('token', credential(phone)), 'POST', {
      AuthPayload: es256({ typ: 'JWT', alg: 'ES256' }, claims, phone.privateKey),
    });
    expect(answered.status).toBe(200);
    const backend = await env.emulator.client().verify.v2.services(serviceSid).entities(phone.identity).challenges(first.sid).fetch();
    expect(backend.status).toBe('approved');
  });

  it('refuses a factor verification that is not the DER signature of the factor SID, with 403 / 60311', async () => {
    const phone = await enrolAsSdk('user-protocol-0002');
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const path = `${phone.entity}/Factors/${phone.factorSid}`;
    for (const authPayload of [proof(phone.factorSid, other), proof('YF' + '0'.repeat(32), phone.privateKey), es256({}, { sid: phone.factorSid }, phone.privateKey)]) {
      const refused = await call(path, basic('token', credential(phone)), 'POST', { AuthPayload: authPayload });
      expect([refused.status, refused.body['code']]).toEqual([403, 60311]);
    }
  });

  it('refuses wrong request credentials with 401 and the code of Twilio\'s JWT error for each cause', async () => {
    const phone = await verifiedPhone();
    const stranger = await verifiedPhone('user-protocol-0003');
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const now = Math.floor(env.now() / 1000);
    const cases: Array<[string, string, number]> = [
      ['not a JWT', 'not-a-jwt', 20160],
      ['another content type', credential(phone, { header: { cty: 'twilio-fpa;v=1' } }), 20152],
      ['alg none', credential(phone, { header: { alg: 'none' } }), 20152],
      ['no kid', credential(phone, { header: { kid: undefined } }), 20152],
      ['a kid no factor has', credential(phone, { header: { kid: `CR${'0'.repeat(32)}` } }), 20151],
      ['the credential of another identity', credential(stranger), 20151],
      ['a signature by another key', credential(phone, { key: otherKey }), 20159],
      ['no sub', credential(phone, { claims: { sub: undefined } }), 20154],
      ['another account as sub', credential(phone, { claims: { sub: `AC${'1'.repeat(32)}` } }), 20153],
      ['nbf in the future', credential(phone, { claims: { nbf: now + 60, exp: now + 600 } }), 20155],
      ['an expired exp', credential(phone, { claims: { nbf: now - 700, exp: now - 100 } }), 20156],
      ['a lifetime over 24 hours', credential(phone, { claims: { exp: now + 25 * 3600 } }), 20157],
    ];
    for (const [label, jwt, code] of cases) {
      const refused = await call(`${phone.entity}/Challenges`, basic('token', jwt));
      expect([label, refused.status, refused.body['code']]).toEqual([label, 401, code]);
      // The SDKs re-sync their clock from this header before their one retry: it is the emulator's clock.
      expect(Date.parse(refused.headers.get('Date') ?? '')).toBe(Math.floor(env.now() / 1000) * 1000);
    }
    // A JWT that was fine is refused once the clock passes its exp.
    const jwt = credential(phone);
    expect((await call(`${phone.entity}/Challenges`, basic('token', jwt))).status).toBe(200);
    env.advance(600_000);
    expect((await call(`${phone.entity}/Challenges`, basic('token', jwt))).body['code']).toBe(20156);
  });

  it('refuses an answer signed over other values than the challenge has, with 403 / 60324', async () => {
    const phone = await verifiedPhone();
    const challenge = await pushChallenge(phone, { transaction_id: 'tx-1' });
    const fetched = await call(`${phone.entity}/Challenges/${challenge.sid}`, basic('token', credential(phone)));
    const claims: Record<string, unknown> = { status: 'approved' };
    for (const field of (fetched.headers.get('Twilio-Verify-Signature-Fields') ?? '').split(',')) claims[field] = fetched.body[field];
    claims['hidden_details'] = { transaction_id: 'tx-2' };
    const refused = await call(`${phone.entity}/Challenges/${challenge.sid}`, basic('token', credential(phone)), 'POST', {
      AuthPayload: es256({ typ: 'JWT', alg: 'ES256' }, claims, phone.privateKey),
    });
    expect([refused.status, refused.body['code']]).toEqual([403, 60324]);
  });
});

// ---- The simulated device on the wire ------------------------------------------------------------------------

interface Exchange {
  method: string;
  path: string;
  authorization: string;
  form: URLSearchParams;
  status: number;
  body: Record<string, unknown>;
  signatureFields: string | null;
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A pass-through HTTP proxy in front of the emulator that records every request and answer. */
async function recordingProxy(target: string): Promise<{ url: string; exchanges: Exchange[]; close(): Promise<void> }> {
  const exchanges: Exchange[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const headers: Record<string, string> = {};
      for (const name of ['authorization', 'content-type', 'accept', 'user-agent']) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const response = await fetch(target + (req.url ?? '/'), {
        method: req.method ?? 'GET',
        headers,
        ...(body === '' ? {} : { body }),
      });
      const text = await response.text();
      exchanges.push({
        method: req.method ?? 'GET',
        path: new URL(req.url ?? '/', 'http://proxy.invalid').pathname,
        authorization: headers['authorization'] ?? '',
        form: new URLSearchParams(body),
        status: response.status,
        body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
        signatureFields: response.headers.get('Twilio-Verify-Signature-Fields'),
      });
      const out: Record<string, string> = { 'Content-Type': response.headers.get('Content-Type') ?? 'application/json' };
      const fields = response.headers.get('Twilio-Verify-Signature-Fields');
      if (fields !== null) out['Twilio-Verify-Signature-Fields'] = fields;
      res.writeHead(response.status, out);
      res.end(text);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exchanges,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function credentialsOf(exchange: Exchange): { user: string; password: string } {
  const decoded = Buffer.from(exchange.authorization.replace(/^Basic /, ''), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

describe('the simulated device on the wire', () => {
  it('speaks exactly the mobile SDKs protocol: access token, then request JWTs, a DER factor proof and a signed answer', async () => {
    const proxy = await recordingProxy(env.emulator.url);
    try {
      const device = emulatorDevice({ url: proxy.url, accountSid: env.emulator.accountSid, authToken: env.emulator.authToken }, { clock: env.now });
      const identity = 'user-wire-0001';
      const { factorSid } = await device.register({ serviceSid, identity });
      const challenge = await env.emulator
        .client()
        .verify.v2.services(serviceSid)
        .entities(identity)
        .challenges.create({ factorSid, 'details.message': 'Log in?', hiddenDetails: { transaction_id: 'tx-wire' } });
      await device.approve({ serviceSid, identity, factorSid, challengeSid: challenge.sid, transactionId: 'tx-wire' });

      const deviceCalls = proxy.exchanges.filter((e) => credentialsOf(e).user === 'token');
      expect(deviceCalls.map((e) => [e.method, e.path.split('/').slice(-2).join('/'), e.status])).toEqual([
        ['POST', `${identity}/Factors`, 201],
        ['POST', `Factors/${factorSid}`, 200],
        ['GET', `Challenges/${challenge.sid}`, 200],
        ['POST', `Challenges/${challenge.sid}`, 200],
      ]);
      const [create, verifyFactor, fetchChallenge, answer] = deviceCalls as [Exchange, Exchange, Exchange, Exchange];

      // Factor creation: Basic token:<the access token the backend minted>, the public key as base64 DER SPKI.
      const minted = proxy.exchanges.find((e) => e.path.endsWith('/AccessTokens'));
      expect(credentialsOf(create).password).toBe(minted?.body['token']);
      expect(create.form.get('Binding.Alg')).toBe('ES256');
      const publicKey = createPublicKey({ key: Buffer.from(create.form.get('Binding.PublicKey') ?? '', 'base64'), format: 'der', type: 'spki' });
      const credentialSid = (create.body['config'] as { credential_sid: string }).credential_sid;

      // Every later request: Basic token:<ES256 JWT> with the SDKs' header and claims, signed by the factor key.
      const nowSeconds = Math.floor(env.now() / 1000);
      for (const exchange of [verifyFactor, fetchChallenge, answer]) {
        const jwt = credentialsOf(exchange).password;
        const { header, claims } = decode(jwt);
        expect(header).toEqual({ cty: 'twilio-pba;v=1', kid: credentialSid, typ: 'JWT', alg: 'ES256' });
        expect(Object.keys(claims).sort()).toEqual(['exp', 'nbf', 'sub']);
        expect(claims).toMatchObject({ sub: env.emulator.accountSid, nbf: nowSeconds, exp: nowSeconds + 600 });
        expect(es256Valid(jwt, publicKey)).toBe(true);
      }

      // Factor verification: AuthPayload is the base64 DER signature of the factor SID, not a JWT.
      const factorProof = verifyFactor.form.get('AuthPayload') ?? '';
      expect(factorProof).not.toContain('.');
      expect(verify('sha256', Buffer.from(factorSid, 'utf8'), { key: publicKey, dsaEncoding: 'der' }, Buffer.from(factorProof, 'base64'))).toBe(true);

      // The answer: a JWT with header { typ, alg } over the fields the fetch named, with their fetched values, plus status.
      const answerJwt = answer.form.get('AuthPayload') ?? '';
      const signed = decode(answerJwt);
      expect(signed.header).toEqual({ typ: 'JWT', alg: 'ES256' });
      const named = (fetchChallenge.signatureFields ?? '').split(',');
      const expected: Record<string, unknown> = { status: 'approved' };
      for (const field of named) expected[field] = fetchChallenge.body[field];
      expect(signed.claims).toEqual(expected);
      expect(es256Valid(answerJwt, publicKey)).toBe(true);
    } finally {
      await proxy.close();
    }
  });
});
