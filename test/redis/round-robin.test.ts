/**
 * Three instances sharing Redis (sessions and challenges) and one emulator, the webhook on A, B in a child
 * process: a login whose requests land on any instance completes, waiting pages anywhere are woken by A's
 * webhook, and racing requests of one browser or one user spread over the instances end in one push and one
 * login.
 */
import { describe, expect, it, vi } from 'vitest';
import { redisAvailable } from '../helpers/redis-available.js';
import { eventData, openSse } from '../events/sse-client.js';
import { Browser } from './browser.js';
import { useDeploymentsOnOneRedis } from './deployments.js';

const enabled = redisAvailable();
const deployment = useDeploymentsOnOneRedis();

describe.skipIf(!enabled)('a login spread over three instances', () => {
  it('completes with each step on another instance: password on A, push from B, webhook to A, completion on C, page on A', async () => {
    const { A, B, C, phone, emulator, ...world } = await deployment();
    // B really is another Node process.
    expect((await world.health(B)).pid).toBe(B.pid);
    expect(B.pid).not.toBe(process.pid);
    const browser = new Browser();
    await browser.password(A, 'alice');

    const started = await browser.post(B, '/login/push');
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ code: 'CHALLENGE_PENDING', message: 'Approve sign-in to Cluster App?' });
    expect(world.apiCalls('createChallenge')).toBe(1);

    // Still pending when asked on the other instances.
    expect((await browser.post(C, '/login/push')).status).toBe(202);
    expect((await browser.get(A, '/app/secret')).status).toBe(202);

    await phone.approve('alice');
    const deliveries = emulator.deliveries();
    expect(deliveries.length).toBeGreaterThanOrEqual(1);
    expect(deliveries.every((delivery) => delivery.url === `${A.url}/twilio/verify` && delivery.status === 200)).toBe(true);

    const done = await browser.post(C, '/login/push');
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ loggedIn: 'alice', instance: 'C' });
    const page = await browser.get(A, '/app/secret');
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ secret: 42, user: 'alice', instance: 'A' });
    expect((await browser.get(B, '/app/secret')).status).toBe(200);

    await world.sync();
    expect(world.logins).toEqual([{ instance: 'C', user: 'alice', challengeSid: expect.stringMatching(/^YC/) }]);
    // One push, no second one from an instance that did not know the login.
    expect(world.apiCalls('createChallenge')).toBe(1);
  });
});

describe.skipIf(!enabled)("pages waiting on B are woken by A's webhook", () => {
  it('an SSE stream on B hears the approval the webhook recorded on A; only the webhook fetched from Twilio', async () => {
    const { A, B, C, phone, emulator, ...world } = await deployment();
    const browser = new Browser();
    await browser.password(A, 'alice');
    expect((await browser.post(C, '/login/push')).status).toBe(202);

    const stream = await openSse(`${B.url}/login/push/events`, { cookie: browser.cookie });
    expect(stream.status).toBe(200);
    expect(await eventData(stream, 0)).toMatchObject({ state: 'pending' });

    emulator.clearCalls();
    await phone.approve('alice');
    expect(await eventData(stream, 1)).toMatchObject({ state: 'approved' });
    await stream.ended;
    // The confirming fetch of A's webhook handler, and nothing from the open stream on B.
    expect(world.apiCalls('fetchChallenge')).toBe(1);
    expect(stream.raw()).not.toMatch(/YC[0-9a-f]{32}/);

    expect((await browser.post(B, '/login/push')).body).toEqual({ loggedIn: 'alice', instance: 'B' });
    expect(world.apiCalls('fetchChallenge')).toBe(1);
  });

  it('a long-poll on B answers with the approval the webhook recorded on A', async () => {
    const { A, B, C, phone, emulator, ...world } = await deployment();
    const browser = new Browser();
    await browser.password(C, 'bob');
    expect((await browser.post(A, '/login/push')).status).toBe(202);

    const answer = browser.get(B, '/login/push/events');
    // The long-poll is waiting on B once B's store has a listener for it.
    await vi.waitFor(async () => expect((await world.health(B)).waiting.listeners).toBe(1));
    emulator.clearCalls();
    await phone.approve('bob');
    const told = await answer;
    expect(told.status).toBe(200);
    expect(told.body).toMatchObject({ state: 'approved' });
    expect(world.apiCalls('fetchChallenge')).toBe(1);
    expect((await world.health(B)).waiting.listeners).toBe(0);

    expect((await browser.post(C, '/login/push')).body).toEqual({ loggedIn: 'bob', instance: 'C' });
  });
});

describe.skipIf(!enabled)('racing requests spread over the instances', () => {
  it("one browser's parallel first requests to A, B and C create exactly one challenge", async () => {
    const { A, B, C, ...world } = await deployment();
    const browser = new Browser();
    await browser.password(A, 'alice');
    // A page loading several gated resources at once, each request served by another instance.
    const answers = await Promise.all([A, B, C, A, B, C].map((instance) => browser.copy().get(instance, '/app/secret')));
    expect(world.apiCalls('createChallenge')).toBe(1);
    const pending = answers.filter((answer) => answer.status === 202);
    expect(pending.length).toBeGreaterThanOrEqual(1);
    expect(new Set(pending.map((answer) => answer.body.transactionId)).size).toBe(1);
    // Requests that came after the first one replaced the session id find their old session gone: the app's
    // own "log in" answer, never a second push.
    const others = answers.filter((answer) => answer.status !== 202);
    expect(others.every((answer) => answer.status === 401 && answer.body.code === 'LOGIN_REQUIRED')).toBe(true);
    expect(await world.phone.pending('alice')).toHaveLength(1);
  });

  it('four sessions of one user starting at once on different instances leave exactly one that can log in', async () => {
    const { A, B, C, phone, ...world } = await deployment();
    const instances = [A, B, C, B];
    // Four devices of one user, each on its own address.
    const browsers = instances.map((_, i) => new Browser(`198.51.100.${10 + i}`));
    for (const browser of browsers) await browser.password(A, 'alice');
    const started = await Promise.all(browsers.map((browser, i) => browser.post(instances[i]!, '/login/push')));
    expect(started.map((answer) => answer.status)).toEqual([202, 202, 202, 202]);
    expect(world.apiCalls('createChallenge')).toBe(4);

    // The phone approves every request it shows (Twilio cannot cancel the superseded ones).
    for (const challenge of await phone.pending('alice')) await phone.approve('alice', challenge.sid);
    // Each browser asks on another instance than the one that started its push.
    const answers = await Promise.all(browsers.map((browser, i) => browser.post(instances[(i + 1) % 4]!, '/login/push')));
    const codes = answers.map((answer) => (answer.status === 200 ? 'LOGGED_IN' : String(answer.body.code)));
    expect(codes.filter((code) => code === 'LOGGED_IN')).toHaveLength(1);
    expect(codes.filter((code) => code === 'CHALLENGE_SUPERSEDED')).toHaveLength(3);
    await world.sync();
    expect(world.logins).toHaveLength(1);
  });

  it('30 parallel completions of one approved challenge, spread over the instances, give exactly one login', async () => {
    const { A, B, C, phone, ...world } = await deployment();
    const browser = new Browser();
    await browser.password(B, 'bob');
    expect((await browser.post(A, '/login/push')).status).toBe(202);
    await phone.approve('bob');

    const tabs = Array.from({ length: 30 }, () => browser.copy());
    const instances = [A, B, C];
    const answers = await Promise.all(tabs.map((tab, i) => tab.post(instances[i % 3]!, '/login/push')));
    const winners = answers.map((answer, i) => ({ answer, tab: tabs[i]! })).filter(({ answer }) => answer.status === 200);
    expect(winners).toHaveLength(1);
    // The others used the old session: the approval is taken, or (after the winner replaced the session) the
    // session no longer knows the password step. Never a second login, never an error.
    for (const answer of answers.filter((a) => a.status !== 200)) {
      expect([
        [409, 'CHALLENGE_ALREADY_USED'],
        [401, 'FIRST_FACTOR_REQUIRED'],
      ]).toContainEqual([answer.status, answer.body.code]);
    }
    await world.sync();
    expect(world.logins).toHaveLength(1);
    expect(world.logins[0]).toMatchObject({ user: 'bob' });
    // The winner's new session opens the protected page on every instance.
    for (const instance of instances) expect((await winners[0]!.tab.get(instance, '/app/secret')).body).toMatchObject({ user: 'bob' });
  });
});
