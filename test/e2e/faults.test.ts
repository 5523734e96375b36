/** SECURITY.md: faults. Twilio trouble through the emulator's fault injection, store trouble through a wrapper. */
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryChallengeStore } from '../../src/stores/memory.js';
import type { ChallengeStore } from '../../src/stores/types.js';
import { agentFor, answerOnPhone, apiCalls, passwordLogin, phonePending, useWorld } from './harness.js';

const world = useWorld();
beforeEach(() => {
  world.emulator.faults.clear();
  world.emulator.clearCalls();
});

type StoreMethod = 'get' | 'set' | 'compareAndSet' | 'claim' | 'increment' | 'complete';

/**
 * The memory store, except that chosen methods reject while `failing` holds them
 * ('complete': only the compare-and-set from approved to completed).
 */
function flakyStore(): { store: ChallengeStore; failing: Set<StoreMethod> } {
  const inner = new MemoryChallengeStore({ clock: world.clock.now, sweepIntervalMs: 0 });
  const failing = new Set<StoreMethod>();
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const completing = property === 'compareAndSet' && args[1] === 'approved' && failing.has('complete');
        if (completing || failing.has(property as StoreMethod)) return Promise.reject(new Error(`store ${String(property)} is down`));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, failing };
}

describe('Twilio faults', () => {
  it('retries a 429 with Retry-After on creation, and creates exactly one challenge', async () => {
    const app = await world.startApp();
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    world.emulator.faults.add({ operation: 'createChallenge', kind: 'status', status: 429, retryAfterSeconds: 1 });
    const res = await agent.post('/login/push').expect(202);
    const mine = (await phonePending(world, 'alice')).filter((c) => c.hidden_details?.transaction_id === res.body.transactionId);
    expect(mine).toHaveLength(1);
    expect(world.emulator.calls({ operation: 'createChallenge' }).map((c) => c.status)).toEqual([429, 201]);
    await app.close();
  });

  it('retries a 5xx on the factor lookup, and errors 503 TWILIO_UNAVAILABLE when it persists (no pending state)', async () => {
    const app = await world.startApp();
    const agent = agentFor(app);
    await passwordLogin(agent, 'bob');
    world.emulator.faults.add({ operation: 'listFactors', kind: 'status', status: 503 });
    await agent.post('/login/push').expect(202);

    const other = agentFor(app);
    await passwordLogin(other, 'alice');
    world.emulator.faults.add({ operation: 'listFactors', kind: 'status', status: 500, times: 10 });
    const failed = await other.post('/login/push').expect(503);
    expect(failed.body.code).toBe('TWILIO_UNAVAILABLE');
    expect(world.emulator.calls({ operation: 'createChallenge' })).toHaveLength(1);
    const whoami = await other.get('/whoami').expect(200);
    expect(whoami.body.verifyPush).toBeNull();
    world.emulator.faults.clear();
    await other.post('/login/push').expect(202);
    await app.close();
  });

  it('retries a timed-out factor lookup, and errors TWILIO_TIMEOUT when Twilio never answers', async () => {
    const app = await world.startApp({ strategy: { requestTimeoutMs: 300 } });
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    world.emulator.faults.add({ operation: 'listFactors', kind: 'hang' });
    await agent.post('/login/push').expect(202);

    const other = agentFor(app);
    await passwordLogin(other, 'bob');
    world.emulator.faults.add({ operation: 'listFactors', kind: 'hang', times: 10 });
    const failed = await other.post('/login/push').expect(504);
    expect(failed.body.code).toBe('TWILIO_TIMEOUT');
    await app.close();
  });

  it('a creation that times out after Twilio acted sends no second push', async () => {
    const app = await world.startApp({ strategy: { requestTimeoutMs: 500 } });
    const agent = agentFor(app);
    await passwordLogin(agent, 'bob');
    const before = (await phonePending(world, 'bob')).length;
    world.emulator.faults.add({ operation: 'createChallenge', kind: 'hang', afterProcessing: true });
    const res = await agent.post('/login/push').expect(202);
    expect(world.emulator.calls({ operation: 'createChallenge' })).toHaveLength(1);
    const pending = await phonePending(world, 'bob');
    expect(pending).toHaveLength(before + 1);
    expect(pending[0]!.hidden_details?.transaction_id).toBe(res.body.transactionId);
    // and that challenge completes the login
    await answerOnPhone(world, 'bob', 'approve');
    await agent.post('/login/push').expect(200);
    await app.close();
  });

  it('keeps the login pending while Twilio is down during polling, then completes', async () => {
    const app = await world.startApp({ webhook: false, strategy: { requestTimeoutMs: 300, retries: 1 } });
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    await agent.post('/login/push').expect(202);
    await answerOnPhone(world, 'alice', 'approve');
    world.emulator.faults.add({ operation: 'fetchChallenge', kind: 'status', status: 503, times: 100 });
    for (let i = 0; i < 3; i += 1) {
      world.clock.advance(2_000);
      await agent.post('/login/push').expect(202);
    }
    world.emulator.faults.clear();
    world.emulator.faults.add({ operation: 'fetchChallenge', kind: 'drop', times: 100 });
    world.clock.advance(2_000);
    await agent.post('/login/push').expect(202);
    await agent.get('/app/secret').expect(202);
    world.emulator.faults.clear();
    world.clock.advance(2_000);
    await agent.post('/login/push').expect(200);
    await app.close();
  });

  it('completes by polling when the webhook never arrives: still 2 Twilio calls after the factor lookup', async () => {
    const app = await world.startApp();
    const agent = agentFor(app);
    await passwordLogin(agent, 'bob');
    world.emulator.clearCalls();
    await agent.post('/login/push').expect(202);
    world.emulator.faults.webhooks({ drop: 1 });
    await answerOnPhone(world, 'bob', 'approve');
    expect(world.emulator.deliveries().at(-1)!.outcome).toBe('dropped');
    // with a webhook mounted, Twilio is only polled as a fallback, every 15 s
    world.clock.advance(5_000);
    await agent.post('/login/push').expect(202);
    world.clock.advance(10_000);
    await agent.post('/login/push').expect(200);
    expect(apiCalls(world) - apiCalls(world, 'listFactors')).toBe(2);
    await app.close();
  });
});

describe('store faults', () => {
  it('a store failing on write at start answers STORE_ERROR and leaves no pending state', async () => {
    const { store, failing } = flakyStore();
    const app = await world.startApp({ store });
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    failing.add('set');
    const res = await agent.post('/login/push').expect(503);
    expect(res.body.code).toBe('STORE_ERROR');
    expect((await agent.get('/whoami')).body.verifyPush).toBeNull();
    failing.clear();
    await agent.post('/login/push').expect(202);
    await app.close();
  });

  it('a store failing on the rate-limit counter answers STORE_ERROR before any Twilio call', async () => {
    const { store, failing } = flakyStore();
    const app = await world.startApp({ store });
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    failing.add('increment');
    world.emulator.clearCalls();
    const res = await agent.post('/login/push').expect(503);
    expect(res.body.code).toBe('STORE_ERROR');
    expect(apiCalls(world)).toBe(0);
    await app.close();
  });

  it('a store failing on read, lease or compare-and-set gives an error, never a login, and recovers', async () => {
    const { store, failing } = flakyStore();
    const app = await world.startApp({ store, webhook: false });
    const agent = agentFor(app);
    await passwordLogin(agent, 'bob');
    await agent.post('/login/push').expect(202);
    await answerOnPhone(world, 'bob', 'approve');
    for (const method of ['get', 'claim', 'compareAndSet'] as const) {
      // a new poll interval, so this round may fetch from Twilio and try to record the approval
      world.clock.advance(2_000);
      failing.clear();
      failing.add(method);
      const res = await agent.post('/login/push').expect(503);
      expect(res.body.code).toBe('STORE_ERROR');
      // the gate errors too, or (lease already used this interval) still answers pending: never the handler
      const gate = await agent.get('/app/secret');
      expect([503, 202]).toContain(gate.status);
      expect(gate.body.secret).toBeUndefined();
      const whoami = await agent.get('/whoami').expect(200);
      expect(whoami.body.verifyPush?.verified).toBeUndefined();
      expect(whoami.body.verifyPush?.pending).toBeDefined();
    }
    // the approval gets recorded, but using it (approved → completed) fails: still no login
    failing.clear();
    failing.add('complete');
    world.clock.advance(2_000);
    const completing = await agent.post('/login/push').expect(503);
    expect(completing.body.code).toBe('STORE_ERROR');
    expect((await agent.get('/whoami')).body.verifyPush?.verified).toBeUndefined();
    failing.clear();
    await agent.post('/login/push').expect(200);
    await agent.get('/app/secret').expect(200);
    await app.close();
  });
});
