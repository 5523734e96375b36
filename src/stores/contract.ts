/**
 * The ChallengeStore contract as runnable checks, for anyone writing a store (the package runs it against its
 * own): `challengeStoreContract(makeHarness)` returns the cases, each an async function that throws on a
 * broken promise, so any test runner can run them:
 *
 *   for (const check of challengeStoreContract(makeHarness)) test(`${check.group}: ${check.name}`, check.run);
 *
 * It uses node:assert only, so importing it pulls in no test framework.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { ChallengeRecord, ChallengeStore } from './types.js';

/**
 * What the checks need to drive one store. Time is the harness's business: a memory store moves a fake
 * clock, a store whose expiry lives on a server may sleep or move the clock it was given; TTLs here are a
 * second or more and every "still there" check leaves most of the TTL unused.
 */
export interface StoreContractHarness {
  store: ChallengeStore;
  /** The store's idea of now, in ms since epoch. */
  now(): number;
  /** Let this much time pass for the store. */
  advance(ms: number): Promise<void>;
  /** Tear down (each check calls store.close() itself first). */
  dispose?(): Promise<void>;
}

export interface StoreContractCheck {
  /** The part of the contract: records, compareAndSet, active challenge, counters, claims, subscribe. */
  group: string;
  name: string;
  /** Makes a fresh harness, checks, and tears it down; rejects when the store breaks the contract. */
  run(): Promise<void>;
}

const TTL = 1_000;
let sequence = 0;

/** A distinct, well-formed challenge sid per call, so checks can share one backend. */
function newSid(): string {
  sequence += 1;
  return `YC${randomBytes(16).toString('hex')}`;
}

function pendingRecord(harness: StoreContractHarness, overrides: Partial<ChallengeRecord> = {}): ChallengeRecord {
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

/** The record moved to another status as one new write (a fresh writeId), as the strategy writes it. */
function moved(record: ChallengeRecord, status: ChallengeRecord['status'], settledAt: number): ChallengeRecord {
  return { ...record, status, settledAt, writeId: randomUUID() };
}

function uniqueKey(prefix: string): string {
  return `${prefix}:${randomBytes(8).toString('hex')}`;
}

/** Runs `body` with a listener on the challenge that keeps what it hears; unsubscribes afterwards, pass or fail. */
async function listening(
  store: ChallengeStore,
  challengeSid: string,
  body: (seen: ChallengeRecord[]) => Promise<void>,
): Promise<void> {
  const seen: ChallengeRecord[] = [];
  const unsubscribe = await store.subscribe(challengeSid, (changed) => seen.push(changed));
  try {
    await body(seen);
  } finally {
    unsubscribe();
  }
}

/** Wait until `check` passes: notifications may be delivered asynchronously by network stores. */
async function eventually(check: () => void, attempts = 400): Promise<void> {
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

type Body = (store: ChallengeStore, harness: StoreContractHarness) => Promise<void>;

const CHECKS: Array<[group: string, name: string, body: Body]> = [
  [
    'records',
    'returns what was set, and undefined for an unknown sid',
    async (store, harness) => {
      const record = pendingRecord(harness, { matchCode: '42', fields: [{ label: 'IP', value: '203.0.113.7' }] });
      await store.set(record, TTL);
      assert.deepEqual(await store.get(record.challengeSid), record);
      assert.equal(await store.get(newSid()), undefined);
    },
  ],
  [
    'records',
    'is not changed by editing the object that was set or read',
    async (store, harness) => {
      const record = pendingRecord(harness);
      await store.set(record, TTL);
      record.status = 'approved';
      const read = await store.get(record.challengeSid);
      assert.equal(read?.status, 'pending');
      if (read) read.status = 'completed';
      assert.equal((await store.get(record.challengeSid))?.status, 'pending');
    },
  ],
  [
    'records',
    'keeps a record until its TTL passes, then forgets it',
    async (store, harness) => {
      const record = pendingRecord(harness);
      await store.set(record, TTL);
      await harness.advance(TTL / 5);
      assert.deepEqual(await store.get(record.challengeSid), record);
      await harness.advance(TTL);
      assert.equal(await store.get(record.challengeSid), undefined);
    },
  ],
  [
    'records',
    'set overwrites and restarts the TTL',
    async (store, harness) => {
      const record = pendingRecord(harness);
      await store.set(record, TTL);
      await harness.advance(TTL / 2);
      const superseded = moved(record, 'superseded', harness.now());
      await store.set(superseded, TTL * 3);
      await harness.advance(TTL);
      assert.deepEqual(await store.get(record.challengeSid), superseded);
    },
  ],
  [
    'compareAndSet',
    'replaces the record when the status matches and resolves true',
    async (store, harness) => {
      const record = pendingRecord(harness);
      await store.set(record, TTL);
      const approved = moved(record, 'approved', harness.now());
      assert.equal(await store.compareAndSet(record.challengeSid, 'pending', approved, TTL), true);
      assert.deepEqual(await store.get(record.challengeSid), approved);
    },
  ],
  [
    'compareAndSet',
    'refuses a wrong expected status and leaves the record unchanged',
    async (store, harness) => {
      const record = pendingRecord(harness, { status: 'denied', settledAt: harness.now() });
      await store.set(record, TTL);
      const flipped = moved(record, 'approved', harness.now());
      assert.equal(await store.compareAndSet(record.challengeSid, 'pending', flipped, TTL), false);
      assert.equal(await store.compareAndSet(record.challengeSid, 'approved', flipped, TTL), false);
      assert.deepEqual(await store.get(record.challengeSid), record);
    },
  ],
  [
    'compareAndSet',
    'refuses when there is no record, and does not create one',
    async (store, harness) => {
      const record = pendingRecord(harness);
      assert.equal(await store.compareAndSet(record.challengeSid, 'pending', moved(record, 'approved', harness.now()), TTL), false);
      assert.equal(await store.get(record.challengeSid), undefined);
    },
  ],
  [
    'compareAndSet',
    'refuses once the record has expired',
    async (store, harness) => {
      const record = pendingRecord(harness);
      await store.set(record, TTL);
      await harness.advance(TTL * 2);
      assert.equal(await store.compareAndSet(record.challengeSid, 'pending', moved(record, 'approved', harness.now()), TTL), false);
      assert.equal(await store.get(record.challengeSid), undefined);
    },
  ],
  [
    'compareAndSet',
    'lets exactly one of 50 concurrent callers win, and keeps the winner’s record',
    async (store, harness) => {
      const record = pendingRecord(harness);
      await store.set(record, TTL * 10);
      const attempts = Array.from({ length: 50 }, (_, i) => moved(record, i % 2 === 0 ? 'approved' : 'denied', harness.now() + i));
      const results = await Promise.all(attempts.map((next) => store.compareAndSet(record.challengeSid, 'pending', next, TTL * 10)));
      assert.equal(results.filter(Boolean).length, 1);
      assert.deepEqual(await store.get(record.challengeSid), attempts[results.indexOf(true)]);
    },
  ],
  [
    'compareAndSet',
    'completes an approved record exactly once',
    async (store, harness) => {
      const record = pendingRecord(harness, { status: 'approved', settledAt: harness.now() });
      await store.set(record, TTL * 10);
      const results = await Promise.all(
        Array.from({ length: 50 }, () => store.compareAndSet(record.challengeSid, 'approved', moved(record, 'completed', harness.now()), TTL * 10)),
      );
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal((await store.get(record.challengeSid))?.status, 'completed');
    },
  ],
  [
    'compareAndSet',
    'answers true again when its own write is repeated (a retry after a lost reply), and false to anyone else',
    async (store, harness) => {
      const record = pendingRecord(harness, { status: 'approved', settledAt: harness.now() });
      await store.set(record, TTL * 10);
      const completed = moved(record, 'completed', harness.now());
      assert.equal(await store.compareAndSet(record.challengeSid, 'approved', completed, TTL * 10), true);
      assert.equal(await store.compareAndSet(record.challengeSid, 'approved', completed, TTL * 10), true);
      assert.equal(await store.compareAndSet(record.challengeSid, 'approved', moved(record, 'completed', harness.now()), TTL * 10), false);
      assert.deepEqual(await store.get(record.challengeSid), completed);
    },
  ],
  [
    'active challenge',
    'remembers the latest sid per identity until its TTL',
    async (store, harness) => {
      const identity = uniqueKey('identity');
      const first = newSid();
      const second = newSid();
      assert.equal(await store.getActive(identity), undefined);
      assert.equal(await store.swapActive(identity, first, TTL), undefined);
      assert.equal(await store.getActive(identity), first);
      assert.equal(await store.swapActive(identity, second, TTL), first);
      assert.equal(await store.getActive(identity), second);
      assert.equal(await store.getActive(uniqueKey('identity')), undefined);
      await harness.advance(TTL * 2);
      assert.equal(await store.getActive(identity), undefined);
    },
  ],
  [
    'active challenge',
    'swaps atomically: of racing swaps each gets a different previous sid, forming one chain',
    async (store) => {
      const identity = uniqueKey('identity');
      const sids = Array.from({ length: 20 }, () => newSid());
      const previous = await Promise.all(sids.map((sid) => store.swapActive(identity, sid, TTL)));
      // Exactly one swap saw nothing before it; every other sid was replaced by exactly one swap.
      assert.equal(previous.filter((sid) => sid === undefined).length, 1);
      const replaced = previous.filter((sid): sid is string => sid !== undefined);
      assert.equal(new Set(replaced).size, sids.length - 1);
      const active = await store.getActive(identity);
      assert.ok(active !== undefined && !replaced.includes(active));
      assert.deepEqual(new Set([...replaced, active]), new Set(sids));
    },
  ],
  [
    'active challenge',
    'returns the same previous sid when the same swap is repeated (a retry after a lost reply)',
    async (store) => {
      const identity = uniqueKey('identity');
      const first = newSid();
      const second = newSid();
      await store.swapActive(identity, first, TTL);
      assert.equal(await store.swapActive(identity, second, TTL), first);
      assert.equal(await store.swapActive(identity, second, TTL), first);
      assert.equal(await store.getActive(identity), second);
    },
  ],
  [
    'counters',
    'count within a fixed window and report when it resets',
    async (store, harness) => {
      const key = uniqueKey('start:user');
      const before = harness.now();
      const first = await store.increment(key, TTL * 2, randomUUID());
      assert.equal(first.count, 1);
      assert.ok(first.resetAt >= before + TTL * 2 && first.resetAt <= harness.now() + TTL * 2);
      await harness.advance(TTL / 5);
      const second = await store.increment(key, TTL * 2, randomUUID());
      assert.deepEqual(second, { count: 2, resetAt: first.resetAt });
      assert.deepEqual(await store.count(key), { count: 2, resetAt: first.resetAt });
    },
  ],
  [
    'counters',
    'start a new window after the old one ends',
    async (store, harness) => {
      const key = uniqueKey('start:ip');
      await store.increment(key, TTL, randomUUID());
      await store.increment(key, TTL, randomUUID());
      await harness.advance(TTL * 2);
      assert.equal((await store.count(key)).count, 0);
      const fresh = await store.increment(key, TTL, randomUUID());
      assert.equal(fresh.count, 1);
      assert.ok(fresh.resetAt > harness.now());
    },
  ],
  [
    'counters',
    'count 0 for an unknown key without creating it',
    async (store) => {
      const key = uniqueKey('denied');
      assert.equal((await store.count(key)).count, 0);
      assert.equal((await store.increment(key, TTL, randomUUID())).count, 1);
    },
  ],
  [
    'counters',
    'do not lose concurrent increments',
    async (store) => {
      const key = uniqueKey('start:user');
      const results = await Promise.all(Array.from({ length: 50 }, () => store.increment(key, TTL * 10, randomUUID())));
      assert.deepEqual(
        results.map((r) => r.count).sort((a, b) => a - b),
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      assert.equal((await store.count(key)).count, 50);
    },
  ],
  [
    'counters',
    'count a repeated operation once (a retry after a lost reply)',
    async (store) => {
      const key = uniqueKey('denied');
      const operation = randomUUID();
      assert.equal((await store.increment(key, TTL * 10, operation)).count, 1);
      assert.equal((await store.increment(key, TTL * 10, operation)).count, 1);
      assert.equal((await store.increment(key, TTL * 10, randomUUID())).count, 2);
      assert.equal((await store.increment(key, TTL * 10, operation)).count, 2);
      assert.equal((await store.count(key)).count, 2);
    },
  ],
  [
    'counters',
    'keep counters separate per key',
    async (store) => {
      const a = uniqueKey('k');
      const b = uniqueKey('k');
      await store.increment(a, TTL, randomUUID());
      await store.increment(a, TTL, randomUUID());
      await store.increment(b, TTL, randomUUID());
      assert.deepEqual([(await store.count(a)).count, (await store.count(b)).count], [2, 1]);
    },
  ],
  [
    'claims',
    'are won by the first caller only, until the TTL passes',
    async (store, harness) => {
      const key = uniqueKey('webhook');
      assert.equal(await store.claim(key, TTL, 'a'), true);
      assert.equal(await store.claim(key, TTL, 'b'), false);
      await harness.advance(TTL / 5);
      assert.equal(await store.claim(key, TTL, 'c'), false);
      await harness.advance(TTL);
      assert.equal(await store.claim(key, TTL, 'd'), true);
      assert.equal(await store.claim(key, TTL, 'e'), false);
    },
  ],
  [
    'claims',
    'have exactly one winner among 50 concurrent callers',
    async (store) => {
      const key = uniqueKey('poll');
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.claim(key, TTL * 10, `owner-${i}`)));
      assert.equal(results.filter(Boolean).length, 1);
    },
  ],
  [
    'claims',
    'are separate per key',
    async (store) => {
      assert.equal(await store.claim(uniqueKey('webhook'), TTL, 'a'), true);
      assert.equal(await store.claim(uniqueKey('webhook'), TTL, 'a'), true);
    },
  ],
  [
    'claims',
    'give an owner its own claim again (a retry after a lost reply), and nobody else',
    async (store) => {
      const key = uniqueKey('lock');
      assert.equal(await store.claim(key, TTL, 'owner-a'), true);
      assert.equal(await store.claim(key, TTL, 'owner-a'), true);
      assert.equal(await store.claim(key, TTL, 'owner-b'), false);
    },
  ],
  [
    'claims',
    'are released early only by their owner',
    async (store) => {
      const key = uniqueKey('lock');
      assert.equal(await store.claim(key, TTL, 'owner-a'), true);
      await store.release(key, 'owner-b');
      assert.equal(await store.claim(key, TTL, 'owner-b'), false);
      await store.release(key, 'owner-a');
      assert.equal(await store.claim(key, TTL, 'owner-b'), true);
    },
  ],
  [
    'claims',
    'cannot be ended by a late release of an earlier owner',
    async (store, harness) => {
      const key = uniqueKey('lock');
      assert.equal(await store.claim(key, TTL, 'owner-a'), true);
      await harness.advance(TTL * 2);
      assert.equal(await store.claim(key, TTL, 'owner-b'), true);
      await store.release(key, 'owner-a');
      assert.equal(await store.claim(key, TTL, 'owner-c'), false);
    },
  ],
  [
    'subscribe',
    'resolves once live: a write right after it is heard',
    async (store, harness) => {
      const record = pendingRecord(harness);
      await listening(store, record.challengeSid, async (seen) => {
        await store.set(record, TTL);
        await eventually(() => assert.deepEqual(seen, [record]));
      });
    },
  ],
  [
    'subscribe',
    'tells subscribers of set and successful compareAndSet, with the new record',
    async (store, harness) => {
      const record = pendingRecord(harness);
      await listening(store, record.challengeSid, async (seen) => {
        await store.set(record, TTL);
        const approved = moved(record, 'approved', harness.now());
        await store.compareAndSet(record.challengeSid, 'pending', approved, TTL);
        await eventually(() => assert.deepEqual(seen, [record, approved]));
      });
    },
  ],
  [
    'subscribe',
    'does not tell subscribers of a failed compareAndSet or of other challenges',
    async (store, harness) => {
      const record = pendingRecord(harness);
      const other = pendingRecord(harness);
      await listening(store, record.challengeSid, async (seen) => {
        await store.set(record, TTL);
        await store.set(other, TTL);
        await store.compareAndSet(record.challengeSid, 'approved', moved(record, 'completed', harness.now()), TTL);
        // A marker write proves earlier notifications had their chance to arrive.
        const marker = moved(record, 'expired', harness.now());
        await store.set(marker, TTL);
        await eventually(() => assert.deepEqual(seen.at(-1), marker));
        assert.deepEqual(seen, [record, marker]);
      });
    },
  ],
  [
    'subscribe',
    'stops telling a listener once it unsubscribes, while others still hear',
    async (store, harness) => {
      const record = pendingRecord(harness);
      const stopped: ChallengeRecord[] = [];
      const unsubscribe = await store.subscribe(record.challengeSid, (changed) => stopped.push(changed));
      await listening(store, record.challengeSid, async (kept) => {
        await store.set(record, TTL);
        await eventually(() => assert.equal(stopped.length, 1));
        unsubscribe();
        unsubscribe(); // twice is harmless
        const approved = moved(record, 'approved', harness.now());
        await store.compareAndSet(record.challengeSid, 'pending', approved, TTL);
        await eventually(() => assert.deepEqual(kept, [record, approved]));
        assert.deepEqual(stopped, [record]);
      });
    },
  ],
  [
    'subscribe',
    'does not let a throwing listener break the write or the other listeners',
    async (store, harness) => {
      const record = pendingRecord(harness);
      const seen: ChallengeRecord[] = [];
      const offThrowing = await store.subscribe(record.challengeSid, () => {
        throw new Error('listener bug');
      });
      const offRejecting = await store.subscribe(record.challengeSid, (async () => {
        throw new Error('async listener bug');
      }) as () => void);
      const offKept = await store.subscribe(record.challengeSid, (changed) => seen.push(changed));
      try {
        await store.set(record, TTL);
        const approved = moved(record, 'approved', harness.now());
        assert.equal(await store.compareAndSet(record.challengeSid, 'pending', approved, TTL), true);
        assert.deepEqual(await store.get(record.challengeSid), approved);
        await eventually(() => assert.deepEqual(seen, [record, approved]));
      } finally {
        offThrowing();
        offRejecting();
        offKept();
      }
    },
  ],
];

/** The checks every ChallengeStore must pass, each with a fresh harness from `makeHarness`. */
export function challengeStoreContract(
  makeHarness: () => StoreContractHarness | Promise<StoreContractHarness>,
): StoreContractCheck[] {
  return CHECKS.map(([group, name, body]) => ({
    group,
    name,
    async run() {
      const harness = await makeHarness();
      try {
        await body(harness.store, harness);
      } finally {
        await harness.store.close?.();
        await harness.dispose?.();
      }
    },
  }));
}
