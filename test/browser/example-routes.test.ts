/**
 * The example's own rules, over plain HTTP (no browser needed): who may enrol a phone, that a GET
 * never sends a push, that the phone's view never carries the hidden details, and the JSON login an
 * app on the phone uses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleApp, type RunningExample } from '../../example/app.js';

class Client {
  private cookie = '';
  constructor(private readonly base: string) {}
  async send(path: string, init: { method?: string; json?: unknown; form?: Record<string, string>; accept?: string } = {}): Promise<Response> {
    const headers: Record<string, string> = { Accept: init.accept ?? 'text/html' };
    if (this.cookie) headers.Cookie = this.cookie;
    let body: string | undefined;
    if (init.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.form) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(`${this.base}${path}`, { method: init.method ?? 'GET', headers, body, redirect: 'manual' });
    const set = response.headers.getSetCookie()[0];
    if (set) this.cookie = set.split(';', 1)[0] ?? '';
    return response;
  }
  login(username: string, password: string): Promise<Response> {
    return this.send('/login', { method: 'POST', form: { username, password } });
  }
}

describe('example routes', () => {
  let example: RunningExample;
  beforeAll(async () => {
    example = await createExampleApp({ port: 0, numberMatching: true });
  });
  afterAll(async () => {
    await example?.close();
  });

  const challengesCreated = (): number => example.emulator?.calls({ operation: 'createChallenge', source: 'api' }).length ?? -1;

  it('a wrong password goes back to the login page and sends no push', async () => {
    const client = new Client(example.url);
    const before = challengesCreated();
    const response = await client.login('alice', 'wrong');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/login');
    expect(await (await client.send('/login')).text()).toContain('Wrong username or password.');
    expect(challengesCreated()).toBe(before);
  });

  it('a user without a phone is sent to enrolment; one with a phone must approve before enrolling another', async () => {
    const bob = new Client(example.url);
    const bobLogin = await bob.login('bob', 'battery-staple');
    expect(bobLogin.headers.get('location')).toBe('/enrol');
    expect((await bob.send('/enrol')).status).toBe(200);

    const alice = new Client(example.url);
    const aliceLogin = await alice.login('alice', 'correct-horse');
    expect(aliceLogin.status).toBe(303);
    expect(aliceLogin.headers.get('location')).toBe('/login/push/wait');
    // Password only, phone enrolled: a stolen password must not be enough to enrol the thief's phone.
    const token = await alice.send('/enrol/token', { method: 'POST', accept: 'application/json' });
    expect(token.status).toBe(403);
    expect(await token.json()).toMatchObject({ code: 'SECOND_FACTOR_REQUIRED' });
  });

  it('a GET of the completion route never starts a push', async () => {
    const client = new Client(example.url);
    const before = challengesCreated();
    const anonymous = await client.send('/login/push/complete');
    expect(anonymous.status).toBe(303);
    expect(challengesCreated()).toBe(before);
  });

  it("the phone's view shows message and fields but never the hidden transaction id or code", async () => {
    const client = new Client(example.url);
    await client.login('alice', 'correct-horse');
    const wait = await (await client.send('/login/push/wait')).text();
    const code = /id="match-code"[^>]*>(\d+)</.exec(wait)?.[1];
    expect(code).toMatch(/^\d{2}$/);
    const state = (await (await new Client(example.url).send('/device/api/state', { accept: 'application/json' })).json()) as {
      phones: Array<{ username: string; challenges: Array<Record<string, unknown>> }>;
    };
    const alicePhone = state.phones.find((phone) => phone.username === 'alice');
    const newest = alicePhone?.challenges[0];
    expect(newest).toMatchObject({ message: 'Approve sign-in to the Verify Push example?', needsCode: true });
    const raw = JSON.stringify(state);
    expect(raw).not.toContain('transaction_id');
    expect(raw).not.toContain('match_code');
  });

  it('the phone answers only its newest request: older ones still pending are marked replaced and refused', async () => {
    const fresh = await createExampleApp({ port: 0 });
    try {
      interface PhoneState {
        phones: Array<{ username: string; factorSid: string; challenges: Array<{ sid: string; replaced: boolean }> }>;
      }
      const alicePhone = async () => {
        const state = (await (await new Client(fresh.url).send('/device/api/state', { accept: 'application/json' })).json()) as PhoneState;
        return state.phones.find((phone) => phone.username === 'alice')!;
      };
      // Two sign-ins of one user: the second replaces the first (Twilio cannot withdraw the first push).
      await new Client(fresh.url).login('alice', 'correct-horse');
      const second = new Client(fresh.url);
      await second.login('alice', 'correct-horse');

      const phone = await alicePhone();
      expect(phone.challenges.map((c) => c.replaced)).toEqual([false, true]);
      const [newest, older] = phone.challenges;
      if (!newest || !older) throw new Error('expected two pending requests on the phone');
      const answer = (challengeSid: string) =>
        new Client(fresh.url).send('/device/api/approve', { method: 'POST', json: { factorSid: phone.factorSid, challengeSid }, accept: 'application/json' });

      const refused = await answer(older.sid);
      expect(refused.status).toBe(409);
      expect(await refused.json()).toMatchObject({ code: 'REQUEST_REPLACED' });
      expect((await alicePhone()).challenges.map((c) => c.sid)).toEqual([newest.sid, older.sid]);

      // The request shown as current is the second sign-in's: approving it lets that browser in.
      expect((await answer(newest.sid)).status).toBe(200);
      await fresh.emulator?.webhooksSettled();
      const complete = await second.send('/login/push/complete');
      expect(complete.headers.get('location')).toBe('/account');
    } finally {
      await fresh.close();
    }
  });

  it('the header shows the user signed in only once the phone approved', async () => {
    const client = new Client(example.url);
    await client.login('bob', 'battery-staple');
    const enrol = await (await client.send('/enrol')).text();
    expect(enrol).toContain('data-sign-in="password"');
    expect(enrol).toContain('Password done, waiting for your phone');
    expect(enrol).not.toContain('Signed in as');
    const home = await (await client.send('/')).text();
    expect(home).not.toContain('Signed in as');
  });

  it('an app on the phone logs in with JSON and gets 202 with a transaction id', async () => {
    const app = new Client(example.url);
    const response = await app.send('/login', { method: 'POST', json: { username: 'alice', password: 'correct-horse' }, accept: 'application/json' });
    expect(response.status).toBe(202);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'pending', code: 'CHALLENGE_PENDING' });
    expect(typeof body.transactionId).toBe('string');
    expect(JSON.stringify(body)).not.toMatch(/YC[0-9a-f]{32}/);
    const bad = await new Client(example.url).send('/login', { method: 'POST', json: { username: 'alice', password: 'nope' }, accept: 'application/json' });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ code: 'INVALID_CREDENTIALS' });
  });

  it('pages carry a nonce-based Content-Security-Policy', async () => {
    const response = await new Client(example.url).send('/login');
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]+'/);
    const nonce = /'nonce-([^']+)'/.exec(policy)?.[1] ?? '';
    expect(await response.text()).toContain(`nonce="${nonce}"`);
  });
});
