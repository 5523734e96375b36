import { VerifyPushError } from '../errors.js';
import type {
  ChallengeListener,
  ChallengeRecord,
  ChallengeStatus,
  ChallengeStore,
  CounterResult,
} from './types.js';
import { ChallengeListeners } from './listeners.js';

export interface MemoryChallengeStoreOptions {
  /** Source of "now" in ms since epoch. Default `Date.now`; tests pass a fake clock. */
  clock?: () => number;
  /**
   * How often expired entries are swept out, in ms. Default 60000; 0 turns the sweep off (entries still
   * expire on read, they just keep their memory until read). The timer never keeps the process alive.
   */
  sweepIntervalMs?: number;
  /**
   * Upper bound on stored entries of all kinds (records, active pointers, counters, claims). Default
   * unlimited. When full, writes that would add a new key reject with STORE_ERROR (failing closed) instead
   * of evicting: evicting could drop a pending login or a rate-limit counter an attacker wants gone.
   */
  maxEntries?: number;
  /**
   * Told when a subscriber throws or rejects. Default: ignored, because a listener's fault must never
   * fail the write that triggered it or starve the other listeners.
   */
  onListenerError?: (error: unknown, challengeSid: string) => void;
}

/** Something that expires: each map stores one small object per key, with its deadline inline. */
interface Timed {
  expiresAt: number;
}
interface RecordEntry extends Timed {
  record: Readonly<ChallengeRecord>;
}
interface PointerEntry extends Timed {
  challengeSid: string;
  /** What the swap that set this pointer returned, so repeating it returns the same. */
  previous?: string;
}
interface CounterEntry extends Timed {
  count: number;
  /**
   * Operation ids already counted in this window, each followed by a space: one short string rather than a
   * Set, because thousands of counters live at once and a Set costs far more than the few ids it holds.
   */
  operations: string;
}
interface ClaimEntry extends Timed {
  owner: string;
}

export interface MemoryStoreStats {
  records: number;
  active: number;
  counters: number;
  claims: number;
  /** Challenge sids with at least one subscriber. */
  subscribedChallenges: number;
  /** Total subscribers over all challenges. */
  listeners: number;
}

const DEFAULT_SWEEP_MS = 60_000;

/**
 * The default ChallengeStore: everything in this process's memory. Right for a single app instance; use a
 * shared store (Redis) when several instances serve the same users, or a webhook received by one instance
 * could not complete a login waiting on another.
 *
 * Atomicity comes from JavaScript's single thread: every method reads and writes without an `await` in
 * between, so no other caller can interleave.
 */
export class MemoryChallengeStore implements ChallengeStore {
  private readonly clock: () => number;
  private readonly maxEntries: number;
  private readonly records = new Map<string, RecordEntry>();
  private readonly active = new Map<string, PointerEntry>();
  private readonly counters = new Map<string, CounterEntry>();
  private readonly claims = new Map<string, ClaimEntry>();
  private readonly listeners: ChallengeListeners;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(options: MemoryChallengeStoreOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.maxEntries = options.maxEntries ?? Number.POSITIVE_INFINITY;
    this.listeners = new ChallengeListeners(options.onListenerError);
    const sweepMs = options.sweepIntervalMs ?? DEFAULT_SWEEP_MS;
    if (!(Number.isFinite(sweepMs) && sweepMs >= 0)) {
      throw new VerifyPushError('INVALID_OPTION', 'sweepIntervalMs must be a number of ms, 0 or more.');
    }
    if (!(this.maxEntries > 0)) {
      throw new VerifyPushError('INVALID_OPTION', 'maxEntries must be a positive number.');
    }
    if (sweepMs > 0) {
      this.sweeper = setInterval(() => this.sweep(), sweepMs);
      // A store must never be the reason a process (or a test run) cannot exit.
      this.sweeper.unref();
    }
  }

  async get(challengeSid: string): Promise<ChallengeRecord | undefined> {
    const entry = this.live(this.records, challengeSid);
    // A copy, so a caller editing what it read cannot change the store without compareAndSet.
    return entry === undefined ? undefined : { ...entry.record };
  }

  async set(record: ChallengeRecord, ttlMs: number): Promise<void> {
    const expiresAt = this.deadline(ttlMs);
    this.makeRoom(this.records, record.challengeSid);
    // A private copy, never handed out (readers and listeners get copies of it). Not frozen: a frozen object
    // of this shape costs V8 about a third more memory, and thousands of pending logins live here.
    const stored: Readonly<ChallengeRecord> = { ...record };
    this.records.set(record.challengeSid, { record: stored, expiresAt });
    this.listeners.notify(stored);
  }

  async compareAndSet(
    challengeSid: string,
    expectedStatus: ChallengeStatus,
    next: ChallengeRecord,
    ttlMs: number,
  ): Promise<boolean> {
    if (next.challengeSid !== challengeSid) {
      throw new VerifyPushError('STORE_ERROR', 'compareAndSet was given a record for another challenge.');
    }
    const expiresAt = this.deadline(ttlMs);
    // No await between this read and the write below: that is what makes it atomic.
    const current = this.live(this.records, challengeSid);
    if (current === undefined) return false;
    // Our own write, repeated: it happened, so this caller won (see the contract).
    if (next.writeId !== undefined && current.record.writeId === next.writeId) return true;
    if (current.record.status !== expectedStatus) return false;
    const stored: Readonly<ChallengeRecord> = { ...next };
    this.records.set(challengeSid, { record: stored, expiresAt });
    this.listeners.notify(stored);
    return true;
  }

  async getActive(identity: string): Promise<string | undefined> {
    return this.live(this.active, identity)?.challengeSid;
  }

  async swapActive(identity: string, challengeSid: string, ttlMs: number): Promise<string | undefined> {
    const expiresAt = this.deadline(ttlMs);
    // No await between this read and the write: that is what makes the swap atomic.
    const entry = this.active.get(identity);
    const current = entry === undefined || this.expired(entry) ? undefined : entry;
    if (current?.challengeSid === challengeSid) return current.previous;
    this.makeRoom(this.active, identity);
    const previous = current?.challengeSid;
    this.active.set(identity, { challengeSid, expiresAt, ...(previous === undefined ? {} : { previous }) });
    return previous;
  }

  async increment(key: string, windowMs: number, operationId: string): Promise<CounterResult> {
    const resetAt = this.deadline(windowMs);
    const entry = this.counters.get(key);
    // Fixed window: the first hit after the window ended starts a new one.
    if (entry !== undefined && !this.expired(entry)) {
      const mark = `${operationId} `;
      if (!entry.operations.includes(mark)) {
        entry.count += 1;
        entry.operations += mark;
      }
      return { count: entry.count, resetAt: entry.expiresAt };
    }
    this.makeRoom(this.counters, key);
    this.counters.set(key, { count: 1, expiresAt: resetAt, operations: `${operationId} ` });
    return { count: 1, resetAt };
  }

  async count(key: string): Promise<CounterResult> {
    const entry = this.live(this.counters, key);
    return entry === undefined ? { count: 0, resetAt: this.clock() } : { count: entry.count, resetAt: entry.expiresAt };
  }

  async claim(key: string, ttlMs: number, owner: string): Promise<boolean> {
    const expiresAt = this.deadline(ttlMs);
    const current = this.claims.get(key);
    if (current !== undefined && !this.expired(current) && current.owner !== owner) return false;
    this.makeRoom(this.claims, key);
    this.claims.set(key, { expiresAt, owner });
    return true;
  }

  async release(key: string, owner: string): Promise<void> {
    const current = this.claims.get(key);
    if (current !== undefined && current.owner === owner) this.claims.delete(key);
  }

  async subscribe(challengeSid: string, listener: ChallengeListener): Promise<() => void> {
    return this.listeners.add(challengeSid, listener);
  }

  async close(): Promise<void> {
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.listeners.clear();
  }

  /** Remove every expired entry now. The periodic sweep calls this; tests and benchmarks may too. */
  sweep(): void {
    const now = this.clock();
    for (const [key, entry] of this.records) if (entry.expiresAt <= now) this.records.delete(key);
    for (const [key, entry] of this.active) if (entry.expiresAt <= now) this.active.delete(key);
    for (const [key, entry] of this.counters) if (entry.expiresAt <= now) this.counters.delete(key);
    for (const [key, entry] of this.claims) if (entry.expiresAt <= now) this.claims.delete(key);
  }

  /** Sizes of the internal maps (expired entries included until swept): for leak tests and benchmarks. */
  stats(): MemoryStoreStats {
    const { challenges, listeners } = this.listeners.stats();
    return {
      records: this.records.size,
      active: this.active.size,
      counters: this.counters.size,
      claims: this.claims.size,
      subscribedChallenges: challenges,
      listeners,
    };
  }

  /** The entry under `key` while it lives; an expired one is deleted on the way. */
  private live<Entry extends Timed>(map: Map<string, Entry>, key: string): Entry | undefined {
    const entry = map.get(key);
    if (entry === undefined) return undefined;
    if (this.expired(entry)) {
      map.delete(key);
      return undefined;
    }
    return entry;
  }

  private expired(entry: Timed): boolean {
    return entry.expiresAt <= this.clock();
  }

  private deadline(ttlMs: number): number {
    if (!(Number.isFinite(ttlMs) && ttlMs > 0)) {
      throw new VerifyPushError('STORE_ERROR', 'A store TTL must be a positive number of ms.');
    }
    return this.clock() + ttlMs;
  }

  private entryCount(): number {
    return this.records.size + this.active.size + this.counters.size + this.claims.size;
  }

  /** Refuse a new key when full, after first trying to reclaim expired entries. */
  private makeRoom(map: Map<string, unknown>, key: string): void {
    if (map.has(key) || this.entryCount() < this.maxEntries) return;
    this.sweep();
    if (this.entryCount() >= this.maxEntries) {
      throw new VerifyPushError('STORE_ERROR', 'The memory challenge store is full (maxEntries).');
    }
  }
}

