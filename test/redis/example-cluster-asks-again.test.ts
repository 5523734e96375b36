/**
 * The example as a cluster (`REDIS_URL=… CLUSTER=3 npm start`) when the phone is asked again: every request on a
 * fresh connection, so on any worker. A payment approved on the phone is made once, and every worker shows it
 * and the notifications (kept in Redis beside the sessions); a browser remembered by one worker is let in by
 * another. The example imports the package by its name: this file needs `npm run build` first.
 */
import { describe, expect, it } from 'vitest';
import { freshRequest, type FreshAnswer } from '../helpers/example-cluster.js';
import { useExampleClusterOnRedis } from '../helpers/example-cluster-on-redis.js';
import { redisAvailable } from '../helpers/redis-available.js';

interface PhoneState {
  phones: Array<{ username: string; factorSid: string; challenges: Array<{ sid: string; message: string; replaced: boolean }> }>;
}

/** The cookies a browser would hold, updated from each answer. */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  take(answer: FreshAnswer): void {
    for (const line of answer.headers['set-cookie'] ?? []) {
      const pair = line.split(';', 1)[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq > 0) this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  has(name: string): boolean {
    return this.cookies.has(name);
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

describe.skipIf(!redisAvailable())('the clustered example asks the phone again', () => {
  const example = useExampleClusterOnRedis(3);

  const jar = new CookieJar();
  const workers = new Set<string>();
  async function send(path: string, init: { method?: string; json?: unknown; accept?: string } = {}): Promise<FreshAnswer> {
    const headers: Record<string, string> = { Accept: init.accept ?? 'application/json', Cookie: jar.header() };
    if (init.json !== undefined) headers['Content-Type'] = 'application/json';
    const answer = await freshRequest(`${example.cluster.url}${path}`, {
      method: init.method ?? 'GET',
      headers,
      ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
    });
    jar.take(answer);
    workers.add(answer.worker);
    return answer;
  }

  /** The phone approves its newest request, checking what it shows first. */
  async function approveOnPhone(message: string): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const state = JSON.parse((await freshRequest(`${example.cluster.url}/device/api/state`, { headers: { Accept: 'application/json' } })).body) as PhoneState;
      const phone = state.phones.find((p) => p.username === 'alice');
      const newest = phone?.challenges.find((c) => !c.replaced);
      if (phone && newest?.message === message) {
        const approved = await freshRequest(`${example.cluster.url}/device/api/approve`, {
          method: 'POST',
          headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
          body: JSON.stringify({ factorSid: phone.factorSid, challengeSid: newest.sid }),
        });
        expect(approved.status).toBe(200);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the phone never showed "${message}"`);
  }

  /** What the JSON client does: the same request again until it is no longer pending. */
  async function repeatWhilePending(path: string, json: unknown): Promise<FreshAnswer> {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const answer = await send(path, { method: 'POST', json });
      if (answer.status !== 202) return answer;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`${path} stayed pending`);
  }

  it('a payment is made once whichever workers serve it, and every worker shows it and the notifications', async () => {
    const login = await send('/login', { method: 'POST', json: { username: 'alice', password: 'correct-horse', remember: true } });
    expect(login.status).toBe(202);
    await approveOnPhone('Approve sign-in to the Verify Push example?');
    // The waiting page's long-poll, on any worker, until the approval the webhook brought is known.
    for (let attempt = 0; attempt < 10 && JSON.parse((await send('/login/push/events')).body).state === 'pending'; attempt += 1);
    const complete = await send('/login/push/complete');
    expect(complete.headers.location).toBe('/account');
    // The login form's box, sent by this app client as `remember: true`: the browser is remembered.
    expect(jar.has('verify_push_browser')).toBe(true);

    const payment = { amount: '42', payee: 'Bob Builder' };
    const asked = await send('/send-money', { method: 'POST', json: payment });
    expect(asked.status).toBe(202);
    expect(JSON.parse(asked.body)).toMatchObject({ purpose: 'action', message: 'Send 42.00 EUR to Bob Builder?' });
    await approveOnPhone('Send 42.00 EUR to Bob Builder?');
    const paid = await repeatWhilePending('/send-money', payment);
    expect(paid.status).toBe(200);
    expect(JSON.parse(paid.body)).toMatchObject({ paid: true, payment: { amount: '42.00', currency: 'EUR', payee: 'Bob Builder' } });
    // Used once: the same payment again asks the phone again.
    expect((await send('/send-money', { method: 'POST', json: payment })).status).toBe(202);

    // Pages from three connections (any workers): the payment and the device notice (written by whichever worker
    // received Twilio's factor.verified webhook for alice's phone) are on each.
    for (let page = 0; page < 3; page += 1) {
      const money = await send('/send-money', { accept: 'text/html' });
      expect(money.body).toContain('42.00 EUR to Bob Builder');
      const account = await send('/account', { accept: 'text/html' });
      expect(account.body).toContain('A new device was added to your account.');
    }
    expect(workers.size).toBeGreaterThanOrEqual(2);
  });

  it('a browser remembered by one worker skips the login push on another', async () => {
    expect((await send('/logout', { method: 'POST', accept: 'text/html' })).status).toBe(303);
    const again = await send('/login', { method: 'POST', json: { username: 'alice', password: 'correct-horse' } });
    // No push: the push step logged the remembered browser in at once.
    expect(again.status).toBe(303);
    expect(again.headers.location).toBe('/account');
    const account = await send('/account', { accept: 'text/html' });
    expect(account.status).toBe(200);
    expect(account.body).toContain('This browser is remembered, so your phone was not asked.');
  });
});
