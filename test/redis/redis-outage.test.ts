/**
 * Redis failing under a deployment of three instances (B in another process), each test on its own
 * redis-server: hung (SIGSTOP) in the middle of a login, every answer is an error, none a login and none a
 * hang, and logins work again once it resumes; restarted with every key gone, a pending login ends with a
 * clear "start again" and never a login, and a fresh start works.
 */

import { describe, expect, it, vi } from 'vitest';
import { redisAvailable } from '../helpers/redis-available.js';
import type { RunningRedis } from '../helpers/redis-server.js';
import { Browser } from './browser.js';
import type { Cluster } from './cluster.js';
import { useDeploymentsEachOnOwnRedis } from './deployments.js';

const enabled = redisAvailable();
const deploymentOnOwnRedis = useDeploymentsEachOnOwnRedis();

/** A deployment on a redis-server of its own, with a short store deadline so a hung Redis answers quickly. */
function deployment(): Promise<{ world: Cluster; server: RunningRedis }> {
  return deploymentOnOwnRedis({ operationTimeoutMs: 300 });
}

/** Every instance reaches Redis again and every store's subscriber is back on the channel. */
async function allBack(world: Cluster): Promise<void> {
  await vi.waitFor(
    async () => {
      for (const instance of world.instances) expect((await world.health(instance)).redis).toBe('up');
      expect(await world.subscribers()).toBe(3);
    },
    { timeout: 10_000, interval: 100 },
  );
}

/** The session id inside an express-session cookie (`connect.sid=s:<id>.<signature>`). */
function sessionIdOf(browser: Browser): string {
  const value = decodeURIComponent(browser.cookie.slice('connect.sid='.length));
  return value.slice(2, value.lastIndexOf('.'));
}

describe.skipIf(!enabled)('Redis hung (SIGSTOP) in the middle of a login', () => {
  it('every answer is an error, none a login and none a hang; after SIGCONT the login completes and a fresh one works', async () => {
    const { world, server } = await deployment();
    const { A, B, C, phone, emulator } = world;
    const browser = new Browser();
    await browser.password(A, 'alice');
    expect((await browser.post(B, '/login/push')).status).toBe(202);

    // Redis hangs while C serves the browser's next request, just after C read the session.
    world.afterNextSession('C', () => server.pause());
    const caught = await browser.post(C, '/login/push');
    expect(caught.status).toBe(503);
    expect(caught.body).toEqual({ code: 'STORE_ERROR' });

    // Still hung: the phone approves, and Twilio's webhook to A gets an error answer (nothing recorded).
    await phone.approve('alice');
    const deliveries = emulator.deliveries();
    expect(deliveries.length).toBeGreaterThanOrEqual(1);
    expect(deliveries.every((delivery) => delivery.status === 503)).toBe(true);

    // Still hung: the browser asks every instance, for the login and for a protected page. Each answers with an
    // error (the store's, or the session store's when the session cannot even be read), never a login.
    for (const instance of [A, B, C]) {
      for (const answer of [await browser.post(instance, '/login/push'), await browser.get(instance, '/app/secret')]) {
        expect(answer.status).toBe(503);
        expect(['STORE_ERROR', 'SESSION_STORE_UNAVAILABLE']).toContain(answer.body.code);
      }
    }
    await world.sync();
    expect(world.logins).toEqual([]);

    server.resume();
    await allBack(world);

    // The approval was lost with the webhook, not the login: the next fallback fetch from Twilio finds it.
    expect((await browser.post(C, '/login/push')).status).toBe(202);
    await world.advance(16_000);
    expect((await browser.post(C, '/login/push')).body).toEqual({ loggedIn: 'alice', instance: 'C' });

    // A fresh login, every step on another instance, webhook included.
    const fresh = new Browser();
    await fresh.password(B, 'bob');
    expect((await fresh.post(C, '/login/push')).status).toBe(202);
    await phone.approve('bob');
    expect((await fresh.post(A, '/login/push')).body).toEqual({ loggedIn: 'bob', instance: 'A' });
    expect((await fresh.get(B, '/app/secret')).body).toMatchObject({ user: 'bob' });
    await world.sync();
    expect(world.logins.map((login) => login.user)).toEqual(['alice', 'bob']);
    expect(world.apiCalls('createChallenge')).toBe(2);
  });
});

describe.skipIf(!enabled)('Redis restarted while a login waits (every key gone)', () => {
  it('ends that login with a clear failure and never a login; a fresh start works', async () => {
    const { world, server } = await deployment();
    const { A, B, C, phone, emulator, admin } = world;
    const alice = new Browser();
    await alice.password(A, 'alice');
    expect((await alice.post(B, '/login/push')).status).toBe(202);
    const bob = new Browser();
    await bob.password(C, 'bob');
    expect((await bob.post(A, '/login/push')).status).toBe(202);
    // Bob's session is kept aside, as if sessions lived on a Redis that stayed up, to see what a session that
    // outlived its challenge is told.
    const bobSessionKey = `${world.prefix}sess:${sessionIdOf(bob)}`;
    const bobSession = await admin.get(bobSessionKey);
    expect(bobSession).not.toBeNull();

    await server.restart();
    await allBack(world);
    await admin.set(bobSessionKey, bobSession!, { expiration: { type: 'EX', value: 3600 } });

    // Alice's session went with the restart: she is asked for her password again, wherever she asks.
    const aliceAnswer = await alice.post(C, '/login/push');
    expect(aliceAnswer.status).toBe(401);
    expect(aliceAnswer.body.code).toBe('FIRST_FACTOR_REQUIRED');
    expect(await alice.get(A, '/app/secret')).toMatchObject({ status: 401, body: { code: 'LOGIN_REQUIRED' } });

    // Bob's session outlived its challenge: it is told to start again.
    const bobAnswer = await bob.post(B, '/login/push');
    expect(bobAnswer.status).toBe(401);
    expect(bobAnswer.body).toMatchObject({ code: 'CHALLENGE_MISMATCH', message: expect.stringMatching(/Start again\.$/) });

    // The phones approve the forgotten challenges: A acknowledges the webhooks and changes nothing.
    emulator.clearCalls();
    await phone.approve('alice');
    await phone.approve('bob');
    expect(emulator.deliveries().filter((delivery) => delivery.status !== 200)).toEqual([]);
    expect(world.apiCalls('fetchChallenge')).toBe(0);
    expect((await alice.post(B, '/login/push')).body.code).toBe('FIRST_FACTOR_REQUIRED');
    await world.sync();
    expect(world.logins).toEqual([]);

    // Fresh starts work: bob's session starts a new push at once, alice's after her password.
    expect((await bob.post(C, '/login/push')).status).toBe(202);
    await alice.password(B, 'alice');
    expect((await alice.post(C, '/login/push')).status).toBe(202);
    expect(world.apiCalls('createChallenge')).toBe(2);
    await phone.approve('bob');
    await phone.approve('alice');
    expect((await bob.post(A, '/login/push')).body).toEqual({ loggedIn: 'bob', instance: 'A' });
    expect((await alice.post(A, '/login/push')).body).toEqual({ loggedIn: 'alice', instance: 'A' });
    await world.sync();
    expect(world.logins.map((login) => login.user).sort()).toEqual(['alice', 'bob']);
  });
});
