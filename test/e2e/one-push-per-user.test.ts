/**
 * The core for several instances (issue: one pending push per user, a store contract for a network store):
 * concurrent starts of one user leave exactly one challenge that can log in; parallel first requests of one
 * browser share one push even when two instances serve them; a won approval whose login never happened does
 * not leave the session stuck; and how often Twilio is asked is decided by `expectWebhooks`, not by which
 * middleware one instance mounted.
 */
import session from 'express-session';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { MemoryChallengeStore } from '../../src/stores/memory.js';
import type { ChallengeStore } from '../../src/stores/types.js';
import { agentFor, apiCalls, factorRef, passwordLogin, phonePending, sessionCookie, useWorld } from './harness.js';

const world = useWorld();

describe('one pending push per user', () => {
  it('of four sessions starting at the same moment, exactly one can log in; the others are superseded', async () => {
    const app = await world.startApp();
    // Four devices of one user, each on its own network address.
    const browsers = Array.from({ length: 4 }, (_, i) => agentFor(app, `198.51.100.${10 + i}`));
    for (const browser of browsers) await passwordLogin(browser, 'alice');
    world.emulator.clearCalls();
    const started = await Promise.all(browsers.map((browser) => browser.post('/login/push/cb')));
    expect(started.map((res) => res.status)).toEqual([202, 202, 202, 202]);
    expect(apiCalls(world, 'createChallenge')).toBe(4);

    // The phone approves every request it shows (Twilio cannot cancel the superseded ones).
    for (const challenge of await phonePending(world, 'alice')) {
      await world.device.approve({ ...factorRef(world, 'alice'), challengeSid: challenge.sid });
    }
    await world.emulator.webhooksSettled();
    world.clock.advance(20_000);
    const answers = await Promise.all(browsers.map((browser) => browser.post('/login/push/cb')));
    const codes = answers.map((res) => (res.status === 200 ? 'LOGGED_IN' : String(res.body.code)));
    expect(codes.filter((code) => code === 'LOGGED_IN')).toHaveLength(1);
    expect(codes.filter((code) => code === 'CHALLENGE_SUPERSEDED')).toHaveLength(3);
    await app.close();
  });
});

describe('two instances sharing one store and one session store', () => {
  it("one browser's parallel first requests to both instances send one push", async () => {
    const store = new MemoryChallengeStore();
    const sessions = new session.MemoryStore();
    const a = await world.startApp({ store, sessions });
    const b = await world.startApp({ store, sessions });
    const login = await agentFor(a).post('/login').send({ username: 'bob' }).expect(200);
    const cookie = sessionCookie(login);
    world.emulator.clearCalls();
    const answers = await Promise.all(
      [a, b, a, b].map((app) => supertest(app.url).get('/app/secret').set('Accept', 'application/json').set('Cookie', cookie)),
    );
    expect(apiCalls(world, 'createChallenge')).toBe(1);
    const pending = answers.filter((res) => res.status === 202);
    expect(pending.length).toBeGreaterThanOrEqual(1);
    // The requests that arrived after the first one replaced the session id either share its push or find
    // their old session gone (the app's own "log in" answer): never a second push.
    expect(answers.filter((res) => res.status !== 202).every((res) => res.status === 401 && res.body.code === 'LOGIN_REQUIRED')).toBe(true);
    expect(new Set(pending.map((res) => res.body.transactionId)).size).toBe(1);
    await a.close();
    await b.close();
  });
});

describe('an approval whose login never happened', () => {
  it('does not leave the session stuck: after a short time the user starts again', async () => {
    const store = new MemoryChallengeStore({ clock: world.clock.now });
    let loseNextCompletion = true;
    // The compare-and-set that consumes the approval runs, but its reply is lost (the request dies there).
    const lossy: ChallengeStore = new Proxy(store, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (property !== 'compareAndSet' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: Parameters<ChallengeStore['compareAndSet']>) => {
          const won = await store.compareAndSet(...args);
          if (args[1] === 'approved' && loseNextCompletion) {
            loseNextCompletion = false;
            throw new Error('connection reset after the command ran');
          }
          return won;
        };
      },
    });
    const app = await world.startApp({ store: lossy });
    const browser = agentFor(app);
    await passwordLogin(browser, 'alice');
    await browser.post('/login/push/cb').expect(202);
    for (const challenge of await phonePending(world, 'alice')) {
      await world.device.approve({ ...factorRef(world, 'alice'), challengeSid: challenge.sid });
    }
    await world.emulator.webhooksSettled();
    const failed = await browser.post('/login/push/cb');
    expect(failed.status).toBe(503);
    expect(failed.body.code).toBe('STORE_ERROR');
    // Right after, the approval reads as used (the winner might still be finishing)...
    const used = await browser.post('/login/push/cb').expect(409);
    expect(used.body.code).toBe('CHALLENGE_ALREADY_USED');
    await browser.get('/app/secret').expect(409);
    // ... and once the winner cannot still be finishing, the session lets go of it: a new push starts.
    world.clock.advance(11_000);
    const released = await browser.post('/login/push/cb').expect(409);
    expect(released.body.message).toMatch(/Start again/);
    world.emulator.clearCalls();
    await browser.post('/login/push/cb').expect(202);
    expect(apiCalls(world, 'createChallenge')).toBe(1);
    await app.close();
  });
});

describe('expectWebhooks decides how often Twilio is asked', () => {
  it('an instance that does not mount the webhook, told webhooks arrive, fetches only at the fallback interval', async () => {
    const app = await world.startApp({ webhook: false, strategy: { expectWebhooks: true, webhookFallbackPollMs: 6_000 } });
    const browser = agentFor(app);
    await passwordLogin(browser, 'alice');
    await browser.post('/login/push/cb').expect(202);
    for (const challenge of await phonePending(world, 'alice')) {
      await world.device.approve({ ...factorRef(world, 'alice'), challengeSid: challenge.sid });
    }
    world.emulator.clearCalls();
    world.clock.advance(2_500);
    await browser.post('/login/push/cb').expect(202);
    expect(apiCalls(world, 'fetchChallenge')).toBe(0);
    world.clock.advance(4_000);
    await browser.post('/login/push/cb').expect(200);
    expect(apiCalls(world, 'fetchChallenge')).toBe(1);
    await app.close();
  });

  it('an instance that mounts the webhook but is told not to expect webhooks polls at the poll interval', async () => {
    const app = await world.startApp({ webhook: true, strategy: { expectWebhooks: false } });
    const browser = agentFor(app);
    await passwordLogin(browser, 'alice');
    await browser.post('/login/push/cb').expect(202);
    world.emulator.faults.webhooks({ drop: 5 });
    for (const challenge of await phonePending(world, 'alice')) {
      await world.device.approve({ ...factorRef(world, 'alice'), challengeSid: challenge.sid });
    }
    world.emulator.clearCalls();
    world.clock.advance(2_500);
    await browser.post('/login/push/cb').expect(200);
    expect(apiCalls(world, 'fetchChallenge')).toBe(1);
    await app.close();
  });
});
