import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryChallengeStore } from '../../src/stores/memory.js';
import type { ChallengeRecord } from '../../src/stores/types.js';
import { describeChallengeStoreContract } from './contract.js';

const run = promisify(execFile);

function fakeClock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let now = start;
  return { now: () => now, advance: (ms) => void (now += ms) };
}

describeChallengeStoreContract('MemoryChallengeStore', () => {
  const clock = fakeClock();
  const store = new MemoryChallengeStore({ clock: clock.now });
  return {
    store,
    now: clock.now,
    advance: async (ms) => clock.advance(ms),
  };
});

function record(sid: string, now: number): ChallengeRecord {
  return {
    challengeSid: sid,
    serviceSid: `VA${'a'.repeat(32)}`,
    identity: 'identity-0001',
    factorSid: `YF${'b'.repeat(32)}`,
    transactionId: 'abcdefghijklmnopqrstuvwxyz',
    status: 'pending',
    createdAt: now,
    expiresAt: now + 300_000,
  };
}

const SID = `YC${'c'.repeat(32)}`;

describe('MemoryChallengeStore specifics', () => {
  const stores: MemoryChallengeStore[] = [];
  function makeStore(options: ConstructorParameters<typeof MemoryChallengeStore>[0] = {}): MemoryChallengeStore {
    const store = new MemoryChallengeStore(options);
    stores.push(store);
    return store;
  }

  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  it('leaves no listener bookkeeping behind after 1,000 subscribe/unsubscribe cycles', async () => {
    const store = makeStore();
    for (let i = 0; i < 1_000; i += 1) {
      const sid = `YC${i.toString(16).padStart(32, '0')}`;
      const offA = await store.subscribe(sid, () => undefined);
      const offB = await store.subscribe(SID, () => undefined);
      offA();
      offB();
    }
    expect(store.stats()).toMatchObject({ subscribedChallenges: 0, listeners: 0 });
  });

  it('keeps a challenge subscribed while any of its listeners remains', async () => {
    const store = makeStore();
    const offA = await store.subscribe(SID, () => undefined);
    const offB = await store.subscribe(SID, () => undefined);
    offA();
    offA();
    expect(store.stats()).toMatchObject({ subscribedChallenges: 1, listeners: 1 });
    offB();
    expect(store.stats()).toMatchObject({ subscribedChallenges: 0, listeners: 0 });
  });

  it('lets a listener unsubscribe itself while being told, without skipping the others', async () => {
    const store = makeStore();
    const told: string[] = [];
    const offFirst = await store.subscribe(SID, () => {
      told.push('first');
      offFirst();
    });
    await store.subscribe(SID, () => told.push('second'));
    await store.set(record(SID, Date.now()), 10_000);
    await store.set(record(SID, Date.now()), 10_000);
    expect(told).toEqual(['first', 'second', 'second']);
  });

  it('reports listener failures to onListenerError, and the write still succeeds', async () => {
    const failures: unknown[] = [];
    const store = makeStore({ onListenerError: (error, sid) => failures.push([(error as Error).message, sid]) });
    await store.subscribe(SID, () => {
      throw new Error('boom');
    });
    await store.set(record(SID, Date.now()), 10_000);
    expect(failures).toEqual([['boom', SID]]);
    expect(await store.get(SID)).toBeDefined();
  });

  it('sweeps expired entries of every kind on its timer, and stops sweeping once closed', async () => {
    vi.useFakeTimers();
    const clock = fakeClock();
    const store = makeStore({ clock: clock.now, sweepIntervalMs: 1_000 });
    await store.set(record(SID, clock.now()), 500);
    await store.swapActive('identity-0001', SID, 500);
    await store.increment('start:ip:127.0.0.1', 500, 'op-1');
    await store.claim('webhook:1', 500, 'owner');
    await store.set(record(`YC${'d'.repeat(32)}`, clock.now()), 5_000);
    clock.advance(600);
    expect(store.stats()).toMatchObject({ records: 2, active: 1, counters: 1, claims: 1 });
    vi.advanceTimersByTime(1_000);
    expect(store.stats()).toMatchObject({ records: 1, active: 0, counters: 0, claims: 0 });

    await store.close();
    clock.advance(10_000);
    vi.advanceTimersByTime(5_000);
    expect(store.stats().records).toBe(1);
  });

  it('does not keep the process alive when never closed', async () => {
    const script = fileURLToPath(new URL('./fixtures/store-left-open.ts', import.meta.url));
    // If the sweep timer held the event loop open, the child would never exit and execFile's timeout would
    // kill it, rejecting this promise.
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script], { timeout: 15_000 });
    expect(stdout).toContain('started');
  });

  it('holds 10,000 pending logins at no more than 2 KiB each', async () => {
    const script = fileURLToPath(new URL('./fixtures/memory-footprint.ts', import.meta.url));
    const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', script], { timeout: 60_000 });
    const result = JSON.parse(stdout) as { logins: number; bytesPerLogin: number };
    expect(result.logins).toBe(10_000);
    expect(result.bytesPerLogin).toBeLessThanOrEqual(2_048);
  });

  it('refuses new keys with STORE_ERROR when full, but still updates existing ones', async () => {
    const clock = fakeClock();
    const store = makeStore({ clock: clock.now, maxEntries: 2 });
    await store.set(record(SID, clock.now()), 1_000);
    await store.claim('webhook:1', 1_000, 'owner');
    await expect(store.claim('webhook:2', 1_000, 'owner')).rejects.toMatchObject({ code: 'STORE_ERROR' });
    await expect(store.set(record(`YC${'e'.repeat(32)}`, clock.now()), 1_000)).rejects.toMatchObject({
      code: 'STORE_ERROR',
    });
    const approved = { ...record(SID, clock.now()), status: 'approved' as const };
    expect(await store.compareAndSet(SID, 'pending', approved, 1_000)).toBe(true);
    // Expired entries are reclaimed before refusing.
    clock.advance(2_000);
    expect(await store.claim('webhook:2', 1_000, 'owner')).toBe(true);
  });

  it('rejects a non-positive TTL instead of storing something that never expires', async () => {
    const store = makeStore();
    await expect(store.set(record(SID, Date.now()), 0)).rejects.toMatchObject({ code: 'STORE_ERROR' });
    await expect(store.claim('k', Number.NaN, 'owner')).rejects.toMatchObject({ code: 'STORE_ERROR' });
    await expect(store.increment('k', -1, 'op')).rejects.toMatchObject({ code: 'STORE_ERROR' });
    expect(await store.get(SID)).toBeUndefined();
  });

  it('refuses a compareAndSet whose record names another challenge', async () => {
    const store = makeStore();
    await store.set(record(SID, Date.now()), 10_000);
    const other = { ...record(`YC${'f'.repeat(32)}`, Date.now()), status: 'approved' as const };
    await expect(store.compareAndSet(SID, 'pending', other, 10_000)).rejects.toMatchObject({ code: 'STORE_ERROR' });
    expect((await store.get(SID))?.status).toBe('pending');
  });

  it('names the option when constructed with a bad one', () => {
    expect(() => new MemoryChallengeStore({ sweepIntervalMs: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(() => new MemoryChallengeStore({ maxEntries: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});
