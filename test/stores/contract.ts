import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChallengeRecord, ChallengeStore } from '../../src/stores/types.js';

/**
 * What a test needs to drive one store implementation. Time is the harness's business: a memory store moves
 * a fake clock, a store whose expiry lives on a server may sleep instead, so TTLs here are a second or more
 * and every "still there" check leaves most of the TTL unused.
 */
export interface StoreHarness {
  store: ChallengeStore;
  /** The store's idea of now, in ms since epoch. */
  now(): number;
  /** Let this much time pass for the store. */
  advance(ms: number): Promise<void>;
  /** Tear down (the suite calls store.close() itself first). */
  dispose?(): Promise<void>;
}

const TTL = 1_000;
let sequence = 0;

/** A distinct, well-formed challenge sid per call, so test files can share one backend. */
function newSid(): string {
  sequence += 1;
  return `YC${randomBytes(16).toString('hex')}`;
}

function pendingRecord(harness: StoreHarness, overrides: Partial<ChallengeRecord> = {}): ChallengeRecord {
  const now = harness.now();
  return {
    challengeSid: newSid(),
    serviceSid: `VA${'1'.repeat(32)}`,
    identity: `user-${sequence.toString().padStart(8, '0')}`,
    factorSid: `YF${'2'.repeat(32)}`,
    transactionId: `tx-${sequence}-abcdefghijklmnopqrstuv`,
    status: 'pending',
    createdAt: now,
    expiresAt: now + 300_000,
    ...overrides,
  };
}

function uniqueKey(prefix: string): string {
  return `${prefix}:${randomBytes(8).toString('hex')}`;
}

/** Wait until `check` passes; subscriptions may be delivered asynchronously by some stores. */
async function eventually(check: () => void, attempts = 200): Promise<void> {
  for (let i = 0; ; i += 1) {
    try {
      check();
      return;
    } catch (error) {
      if (i >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

/** The behaviour every ChallengeStore must have. Run it once per implementation. */
export function describeChallengeStoreContract(
  name: string,
  makeHarness: () => StoreHarness | Promise<StoreHarness>,
): void {
  describe(`ChallengeStore contract: ${name}`, () => {
    let harness: StoreHarness;
    let store: ChallengeStore;

    beforeEach(async () => {
      harness = await makeHarness();
      store = harness.store;
    });

    afterEach(async () => {
      await store.close?.();
      await harness.dispose?.();
    });

    describe('records', () => {
      it('returns what was set, and undefined for an unknown sid', async () => {
        const record = pendingRecord(harness, { matchCode: '42' });
        await store.set(record, TTL);
        expect(await store.get(record.challengeSid)).toEqual(record);
        expect(await store.get(newSid())).toBeUndefined();
      });

      it('is not changed by editing the object that was set or read', async () => {
        const record = pendingRecord(harness);
        await store.set(record, TTL);
        record.status = 'approved';
        const read = await store.get(record.challengeSid);
        expect(read?.status).toBe('pending');
        if (read) read.status = 'completed';
        expect((await store.get(record.challengeSid))?.status).toBe('pending');
      });

      it('keeps a record until its TTL passes, then forgets it', async () => {
        const record = pendingRecord(harness);
        await store.set(record, TTL);
        await harness.advance(TTL / 5);
        expect(await store.get(record.challengeSid)).toEqual(record);
        await harness.advance(TTL);
        expect(await store.get(record.challengeSid)).toBeUndefined();
      });

      it('set overwrites and restarts the TTL', async () => {
        const record = pendingRecord(harness);
        await store.set(record, TTL);
        await harness.advance(TTL / 2);
        const superseded = { ...record, status: 'superseded' as const, settledAt: harness.now() };
        await store.set(superseded, TTL * 3);
        await harness.advance(TTL);
        expect(await store.get(record.challengeSid)).toEqual(superseded);
      });

      it('delete removes the record; deleting an unknown sid is fine', async () => {
        const record = pendingRecord(harness);
        await store.set(record, TTL);
        await store.delete(record.challengeSid);
        expect(await store.get(record.challengeSid)).toBeUndefined();
        await expect(store.delete(newSid())).resolves.toBeUndefined();
      });
    });

    describe('compareAndSet', () => {
      it('replaces the record when the status matches and resolves true', async () => {
        const record = pendingRecord(harness);
        await store.set(record, TTL);
        const approved = { ...record, status: 'approved' as const, settledAt: harness.now() };
        expect(await store.compareAndSet(record.challengeSid, 'pending', approved, TTL)).toBe(true);
        expect(await store.get(record.challengeSid)).toEqual(approved);
      });

      it('refuses a wrong expected status and leaves the record unchanged', async () => {
        const record = pendingRecord(harness, { status: 'denied', settledAt: harness.now() });
        await store.set(record, TTL);
        const flipped = { ...record, status: 'approved' as const };
        expect(await store.compareAndSet(record.challengeSid, 'pending', flipped, TTL)).toBe(false);
        expect(await store.compareAndSet(record.challengeSid, 'approved', flipped, TTL)).toBe(false);
        expect(await store.get(record.challengeSid)).toEqual(record);
      });

      it('refuses when there is no record, and does not create one', async () => {
        const record = pendingRecord(harness);
        expect(await store.compareAndSet(record.challengeSid, 'pending', record, TTL)).toBe(false);
        expect(await store.get(record.challengeSid)).toBeUndefined();
      });

      it('refuses once the record has expired', async () => {
        const record = pendingRecord(harness);
        await store.set(record, TTL);
        await harness.advance(TTL * 2);
        const approved = { ...record, status: 'approved' as const };
        expect(await store.compareAndSet(record.challengeSid, 'pending', approved, TTL)).toBe(false);
        expect(await store.get(record.challengeSid)).toBeUndefined();
      });

      it('lets exactly one of 50 concurrent callers win, and keeps the winner’s record', async () => {
        const record = pendingRecord(harness);
        await store.set(record, TTL * 10);
        const attempts = Array.from({ length: 50 }, (_, i) => ({
          ...record,
          status: i % 2 === 0 ? ('approved' as const) : ('denied' as const),
          settledAt: harness.now() + i,
        }));
        const results = await Promise.all(
          attempts.map((next) => store.compareAndSet(record.challengeSid, 'pending', next, TTL * 10)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = attempts[results.indexOf(true)];
        expect(await store.get(record.challengeSid)).toEqual(winner);
      });

      it('completes an approved record exactly once', async () => {
        const record = pendingRecord(harness, { status: 'approved', settledAt: harness.now() });
        await store.set(record, TTL * 10);
        const completed = { ...record, status: 'completed' as const };
        const results = await Promise.all(
          Array.from({ length: 50 }, () => store.compareAndSet(record.challengeSid, 'approved', completed, TTL * 10)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await store.get(record.challengeSid))?.status).toBe('completed');
      });
    });

    describe('active challenge per identity', () => {
      it('remembers the latest sid per identity until its TTL', async () => {
        const identity = uniqueKey('identity');
        const first = newSid();
        const second = newSid();
        expect(await store.getActive(identity)).toBeUndefined();
        expect(await store.swapActive(identity, first, TTL)).toBeUndefined();
        expect(await store.getActive(identity)).toBe(first);
        expect(await store.swapActive(identity, second, TTL)).toBe(first);
        expect(await store.getActive(identity)).toBe(second);
        expect(await store.getActive(uniqueKey('identity'))).toBeUndefined();
        await harness.advance(TTL * 2);
        expect(await store.getActive(identity)).toBeUndefined();
      });

      it('swaps atomically: of racing swaps each gets a different previous sid, forming one chain', async () => {
        const identity = uniqueKey('identity');
        const sids = Array.from({ length: 20 }, () => newSid());
        const previous = await Promise.all(sids.map((sid) => store.swapActive(identity, sid, TTL)));
        // Exactly one swap saw nothing before it; every other sid was replaced by exactly one swap.
        expect(previous.filter((sid) => sid === undefined)).toHaveLength(1);
        const replaced = previous.filter((sid): sid is string => sid !== undefined);
        expect(new Set(replaced).size).toBe(sids.length - 1);
        const active = await store.getActive(identity);
        expect(replaced).not.toContain(active);
        expect(new Set([...replaced, active])).toEqual(new Set(sids));
      });

      it('returns the same previous sid when the same swap is repeated (a retry after a lost reply)', async () => {
        const identity = uniqueKey('identity');
        const first = newSid();
        const second = newSid();
        await store.swapActive(identity, first, TTL);
        expect(await store.swapActive(identity, second, TTL)).toBe(first);
        expect(await store.swapActive(identity, second, TTL)).toBe(first);
        expect(await store.getActive(identity)).toBe(second);
      });
    });

    describe('counters', () => {
      it('counts within a fixed window and reports when it resets', async () => {
        const key = uniqueKey('start:user');
        const before = harness.now();
        const first = await store.increment(key, TTL * 2);
        expect(first.count).toBe(1);
        expect(first.resetAt).toBeGreaterThanOrEqual(before + TTL * 2);
        expect(first.resetAt).toBeLessThanOrEqual(harness.now() + TTL * 2);
        await harness.advance(TTL / 5);
        const second = await store.increment(key, TTL * 2);
        expect(second).toEqual({ count: 2, resetAt: first.resetAt });
        expect((await store.count(key)).count).toBe(2);
      });

      it('starts a new window after the old one ends', async () => {
        const key = uniqueKey('start:ip');
        await store.increment(key, TTL);
        await store.increment(key, TTL);
        await harness.advance(TTL * 2);
        expect((await store.count(key)).count).toBe(0);
        const fresh = await store.increment(key, TTL);
        expect(fresh.count).toBe(1);
        expect(fresh.resetAt).toBeGreaterThan(harness.now());
      });

      it('counts 0 for an unknown key without creating it', async () => {
        const key = uniqueKey('denied');
        expect((await store.count(key)).count).toBe(0);
        expect((await store.increment(key, TTL)).count).toBe(1);
      });

      it('does not lose concurrent increments', async () => {
        const key = uniqueKey('start:user');
        const results = await Promise.all(Array.from({ length: 50 }, () => store.increment(key, TTL * 10)));
        expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
        expect((await store.count(key)).count).toBe(50);
      });

      it('keeps counters separate per key', async () => {
        const a = uniqueKey('k');
        const b = uniqueKey('k');
        await store.increment(a, TTL);
        await store.increment(a, TTL);
        await store.increment(b, TTL);
        expect([(await store.count(a)).count, (await store.count(b)).count]).toEqual([2, 1]);
      });
    });

    describe('claim', () => {
      it('is won by the first caller only, until the TTL passes', async () => {
        const key = uniqueKey('webhook');
        expect(await store.claim(key, TTL)).toBe(true);
        expect(await store.claim(key, TTL)).toBe(false);
        await harness.advance(TTL / 5);
        expect(await store.claim(key, TTL)).toBe(false);
        await harness.advance(TTL);
        expect(await store.claim(key, TTL)).toBe(true);
        expect(await store.claim(key, TTL)).toBe(false);
      });

      it('has exactly one winner among 50 concurrent callers', async () => {
        const key = uniqueKey('poll');
        const results = await Promise.all(Array.from({ length: 50 }, () => store.claim(key, TTL * 10)));
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it('keeps claims separate per key', async () => {
        expect(await store.claim(uniqueKey('webhook'), TTL)).toBe(true);
        expect(await store.claim(uniqueKey('webhook'), TTL)).toBe(true);
      });

      it('gives an owner its own claim again (a retry after a lost reply), and nobody else', async () => {
        const key = uniqueKey('lock');
        expect(await store.claim(key, TTL, 'owner-a')).toBe(true);
        expect(await store.claim(key, TTL, 'owner-a')).toBe(true);
        expect(await store.claim(key, TTL, 'owner-b')).toBe(false);
        expect(await store.claim(key, TTL)).toBe(false);
      });

      it('is released early only by its owner', async () => {
        const key = uniqueKey('lock');
        expect(await store.claim(key, TTL, 'owner-a')).toBe(true);
        await store.release(key, 'owner-b');
        expect(await store.claim(key, TTL, 'owner-b')).toBe(false);
        await store.release(key, 'owner-a');
        expect(await store.claim(key, TTL, 'owner-b')).toBe(true);
      });

      it('does not let a late release end the next owner\'s claim', async () => {
        const key = uniqueKey('lock');
        expect(await store.claim(key, TTL, 'owner-a')).toBe(true);
        await harness.advance(TTL * 2);
        expect(await store.claim(key, TTL, 'owner-b')).toBe(true);
        await store.release(key, 'owner-a');
        expect(await store.claim(key, TTL, 'owner-c')).toBe(false);
      });
    });

    describe('subscribe', () => {
      it('tells subscribers of set and successful compareAndSet, with the new record', async () => {
        const record = pendingRecord(harness);
        const seen: ChallengeRecord[] = [];
        const unsubscribe = store.subscribe(record.challengeSid, (changed) => seen.push(changed));
        try {
          await store.set(record, TTL);
          const approved = { ...record, status: 'approved' as const, settledAt: harness.now() };
          await store.compareAndSet(record.challengeSid, 'pending', approved, TTL);
          await eventually(() => expect(seen).toEqual([record, approved]));
        } finally {
          unsubscribe();
        }
      });

      it('does not tell subscribers of a failed compareAndSet or of other challenges', async () => {
        const record = pendingRecord(harness);
        const other = pendingRecord(harness);
        const seen: ChallengeRecord[] = [];
        const unsubscribe = store.subscribe(record.challengeSid, (changed) => seen.push(changed));
        try {
          await store.set(record, TTL);
          await store.set(other, TTL);
          await store.compareAndSet(record.challengeSid, 'approved', { ...record, status: 'completed' }, TTL);
          // A marker write proves earlier notifications had their chance to arrive.
          const marker = { ...record, status: 'expired' as const };
          await store.set(marker, TTL);
          await eventually(() => expect(seen.at(-1)).toEqual(marker));
          expect(seen).toEqual([record, marker]);
        } finally {
          unsubscribe();
        }
      });

      it('stops telling a listener once it unsubscribes, while others still hear', async () => {
        const record = pendingRecord(harness);
        const stopped: ChallengeRecord[] = [];
        const kept: ChallengeRecord[] = [];
        const unsubscribe = store.subscribe(record.challengeSid, (changed) => stopped.push(changed));
        const unsubscribeKept = store.subscribe(record.challengeSid, (changed) => kept.push(changed));
        try {
          await store.set(record, TTL);
          await eventually(() => expect(stopped).toHaveLength(1));
          unsubscribe();
          unsubscribe(); // twice is harmless
          const approved = { ...record, status: 'approved' as const };
          await store.compareAndSet(record.challengeSid, 'pending', approved, TTL);
          await eventually(() => expect(kept).toEqual([record, approved]));
          expect(stopped).toEqual([record]);
        } finally {
          unsubscribeKept();
        }
      });

      it('does not let a throwing listener break the write or the other listeners', async () => {
        const record = pendingRecord(harness);
        const seen: ChallengeRecord[] = [];
        const offThrowing = store.subscribe(record.challengeSid, () => {
          throw new Error('listener bug');
        });
        const offRejecting = store.subscribe(record.challengeSid, async () => {
          throw new Error('async listener bug');
        });
        const offKept = store.subscribe(record.challengeSid, (changed) => seen.push(changed));
        try {
          await expect(store.set(record, TTL)).resolves.toBeUndefined();
          const approved = { ...record, status: 'approved' as const };
          await expect(store.compareAndSet(record.challengeSid, 'pending', approved, TTL)).resolves.toBe(true);
          expect(await store.get(record.challengeSid)).toEqual(approved);
          await eventually(() => expect(seen).toEqual([record, approved]));
        } finally {
          offThrowing();
          offRejecting();
          offKept();
        }
      });
    });
  });
}
