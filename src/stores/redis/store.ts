import { VerifyPushError, isVerifyPushError } from '../../errors.js';
import { wholeNumber } from '../../validate.js';
import type { ChallengeListener, ChallengeRecord, ChallengeStatus, ChallengeStore, CounterResult } from '../types.js';
import { connectionOf, type RedisConnection } from './client.js';
import { ChangeFeed } from './feed.js';
import { decodeRecord, encodeRecord } from './record-codec.js';
import { CLAIM, COMPARE_AND_SET, INCREMENT, RELEASE, SET_RECORD, SWAP_ACTIVE, type Script } from './scripts.js';

export interface RedisChallengeStoreOptions {
  /**
   * The app's own connected client: node-redis v5+ (`createClient()` or `createCluster()`), the one
   * connect-redis uses for sessions, or ioredis v5+ (`Redis` or `Cluster`). The store never closes it.
   */
  client: unknown;
  /** Prefix of every key and of the pub/sub channel. Default `'verify-push:'`. */
  prefix?: string;
  /**
   * Longest one store operation may take, retries included, in ms; then it fails with STORE_ERROR (503), so a
   * hung or restarting Redis gives an error answer, never a hang and never a login. Default 2000; 100–60000.
   */
  operationTimeoutMs?: number;
  /**
   * Source of "now" for the logical expiry of records, counters and claims, in ms since epoch. Default
   * `Date.now`; give the strategy's own `clock` when tests move it. Redis' own expiry only collects garbage.
   */
  clock?: () => number;
}

/**
 * How much longer Redis keeps a key than its logical lifetime, so a clock moved ahead of Redis' own never loses
 * data early: as long again as the key lives, up to a minute (a two-second poll lease must not linger a minute).
 */
const MAX_GARBAGE_SLACK_MS = 60_000;
/** Attempts of one operation after a connection error (its reply lost): the scripts are safe to repeat. */
const MAX_ATTEMPTS = 3;
/** Pause before such a retry, in ms: long enough for a dropped connection to come back, short for a login. */
const RETRY_PAUSE_MS = 25;

function storeError(message: string, cause?: unknown): VerifyPushError {
  return new VerifyPushError('STORE_ERROR', message, cause === undefined ? {} : { cause: safeCause(cause) });
}

/** Only the name and message of a client error are kept: client errors can carry connection details. */
function safeCause(error: unknown): { name: string; message: string } {
  const source = (error ?? {}) as { name?: unknown; message?: unknown };
  return {
    name: typeof source.name === 'string' ? source.name : 'Error',
    message: typeof source.message === 'string' ? source.message.slice(0, 200) : 'unknown Redis error',
  };
}

/** Redis answered with an error (a script bug, a wrong type): repeating it cannot help. */
function isReplyError(error: unknown): boolean {
  const name = (error as { name?: unknown; constructor?: { name?: unknown } } | null)?.constructor?.name;
  const message = String((error as { message?: unknown } | null)?.message ?? '');
  return name === 'ReplyError' || name === 'SimpleError' || name === 'ErrorReply' || /^(ERR|WRONGTYPE|NOSCRIPT|BUSY|READONLY) /.test(message);
}

function timeout(ms: number): { promise: Promise<never>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(storeError(`Redis did not answer within ${ms} ms.`)), Math.max(0, ms));
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

function livePart(value: unknown, now: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  const sep = value.indexOf('|');
  if (sep < 0 || Number(value.slice(0, sep)) <= now) return undefined;
  return value.slice(sep + 1);
}

/**
 * A ChallengeStore on Redis, for several app instances: a webhook received by one instance completes a login
 * polled on another and wakes the pages waiting on every instance. Every atomic step is one Lua script on one
 * key (see scripts.ts); every operation has a deadline and fails closed; a reply lost on the wire is retried,
 * which the contract's idempotent writes make safe.
 */
export class RedisChallengeStore implements ChallengeStore {
  private readonly connection: RedisConnection;
  private readonly prefix: string;
  private readonly operationTimeoutMs: number;
  private readonly clock: () => number;
  private readonly feed: ChangeFeed;

  private constructor(options: Required<Omit<RedisChallengeStoreOptions, 'client'>> & { connection: RedisConnection }) {
    this.connection = options.connection;
    this.prefix = options.prefix;
    this.operationTimeoutMs = options.operationTimeoutMs;
    this.clock = options.clock;
    this.feed = new ChangeFeed({
      connection: this.connection,
      channel: `${this.prefix}changes`,
      reread: (sid) => this.get(sid),
    });
  }

  /**
   * Checks the options, then opens the store's one subscriber connection (a duplicate of `client`), so
   * notifications flow before the first login. Rejects with INVALID_OPTION or STORE_ERROR.
   */
  static async create(options: RedisChallengeStoreOptions): Promise<RedisChallengeStore> {
    if (typeof options !== 'object' || options === null) {
      throw new VerifyPushError('INVALID_OPTION', 'RedisChallengeStore.create needs an options object with `client`.');
    }
    const prefix = options.prefix ?? 'verify-push:';
    if (typeof prefix !== 'string' || prefix.length > 100 || /\s/.test(prefix)) {
      throw new VerifyPushError('INVALID_OPTION', 'The `prefix` option must be a string of at most 100 characters without spaces.');
    }
    const clock = options.clock ?? Date.now;
    if (typeof clock !== 'function') throw new VerifyPushError('INVALID_OPTION', 'The `clock` option must be a function.');
    const store = new RedisChallengeStore({
      connection: connectionOf(options.client),
      prefix,
      operationTimeoutMs: wholeNumber('operationTimeoutMs', options.operationTimeoutMs, 2000, { min: 100, max: 60_000, unit: 'milliseconds' }),
      clock,
    });
    await store.bounded('open the subscriber connection', () => store.feed.open());
    return store;
  }

  async get(challengeSid: string): Promise<ChallengeRecord | undefined> {
    const key = this.key('rec', challengeSid);
    const value = await this.command('read a record', key, ['GET', key]);
    const json = livePart(value, this.clock());
    return json === undefined ? undefined : decodeRecord(challengeSid, json);
  }

  async set(record: ChallengeRecord, ttlMs: number): Promise<void> {
    const key = this.key('rec', record.challengeSid);
    const json = encodeRecord(record);
    await this.script('write a record', SET_RECORD, key, [
      `${this.deadline(ttlMs)}|${json}`,
      this.px(ttlMs),
      this.feed.channel,
      `${record.challengeSid}\n${json}`,
    ]);
  }

  async compareAndSet(challengeSid: string, expectedStatus: ChallengeStatus, next: ChallengeRecord, ttlMs: number): Promise<boolean> {
    if (next.challengeSid !== challengeSid) throw storeError('compareAndSet was given a record for another challenge.');
    const key = this.key('rec', challengeSid);
    const json = encodeRecord(next);
    const won = await this.script('compare-and-set a record', COMPARE_AND_SET, key, [
      String(this.clock()),
      expectedStatus,
      `${this.deadline(ttlMs)}|${json}`,
      this.px(ttlMs),
      this.feed.channel,
      `${challengeSid}\n${json}`,
      next.writeId ?? '',
    ]);
    return Number(won) === 1;
  }

  async getActive(identity: string): Promise<string | undefined> {
    const key = this.key('act', identity);
    const rest = livePart(await this.command('read the active challenge', key, ['GET', key]), this.clock());
    return rest === undefined ? undefined : rest.slice(0, rest.indexOf('|'));
  }

  async swapActive(identity: string, challengeSid: string, ttlMs: number): Promise<string | undefined> {
    const key = this.key('act', identity);
    const previous = await this.script('swap the active challenge', SWAP_ACTIVE, key, [
      String(this.clock()),
      challengeSid,
      String(this.deadline(ttlMs)),
      this.px(ttlMs),
    ]);
    return typeof previous === 'string' && previous !== '' ? previous : undefined;
  }

  async increment(key: string, windowMs: number, operationId: string): Promise<CounterResult> {
    const counter = this.key('cnt', key);
    this.deadline(windowMs);
    const reply = await this.script('count', INCREMENT, counter, [String(this.clock()), String(windowMs), operationId, this.px(windowMs)]);
    const [count, resetAt] = reply as [unknown, unknown];
    return { count: Number(count), resetAt: Number(resetAt) };
  }

  async count(key: string): Promise<CounterResult> {
    const counter = this.key('cnt', key);
    const reply = (await this.command('read a counter', counter, ['HMGET', counter, 'c', 'r'])) as [unknown, unknown];
    const now = this.clock();
    const resetAt = Number(reply[1] ?? 0);
    if (!(resetAt > now)) return { count: 0, resetAt: now };
    return { count: Number(reply[0] ?? 0), resetAt };
  }

  async claim(key: string, ttlMs: number, owner: string): Promise<boolean> {
    const claim = this.key('clm', key);
    const won = await this.script('claim', CLAIM, claim, [String(this.clock()), owner, String(this.deadline(ttlMs)), this.px(ttlMs)]);
    return Number(won) === 1;
  }

  async release(key: string, owner: string): Promise<void> {
    const claim = this.key('clm', key);
    await this.script('release a claim', RELEASE, claim, [owner]);
  }

  subscribe(challengeSid: string, listener: ChallengeListener): Promise<() => void> {
    return this.bounded('subscribe', async () => this.feed.add(challengeSid, listener));
  }

  /** Closes the connection the store made (its subscriber); the app's client stays open. */
  async close(): Promise<void> {
    await this.feed.close();
  }

  /** Challenges watched in this process and their listeners: for leak tests and benchmarks. */
  stats(): { watchedChallenges: number; listeners: number } {
    return this.feed.stats();
  }

  private key(kind: string, name: string): string {
    return `${this.prefix}${kind}:${name}`;
  }

  private deadline(ttlMs: number): number {
    if (!(Number.isFinite(ttlMs) && ttlMs > 0)) throw storeError('A store TTL must be a positive number of ms.');
    return this.clock() + Math.ceil(ttlMs);
  }

  private px(ttlMs: number): string {
    const ttl = Math.ceil(ttlMs);
    return String(ttl + Math.min(MAX_GARBAGE_SLACK_MS, ttl));
  }

  private command(what: string, key: string, args: string[]): Promise<unknown> {
    return this.bounded(what, () => this.connection.send(key, args));
  }

  private script(what: string, script: Script, key: string, args: string[]): Promise<unknown> {
    return this.bounded(what, async () => {
      try {
        return await this.connection.send(key, ['EVALSHA', script.sha, '1', key, ...args]);
      } catch (error) {
        // The server does not know the script yet (a restart, a new node): send it once in full.
        if (!String((error as { message?: unknown } | null)?.message ?? '').startsWith('NOSCRIPT')) throw error;
        return this.connection.send(key, ['EVAL', script.source, '1', key, ...args]);
      }
    });
  }

  /**
   * One operation within `operationTimeoutMs`, retried after a connection error while time is left. A reply
   * lost on the wire (the command ran, the answer never came) is what a retry is for: every script here is
   * safe to repeat (see the ChallengeStore contract). An answer from Redis that is an error is not retried.
   */
  private async bounded<T>(what: string, operation: () => Promise<T>): Promise<T> {
    const giveUpAt = Date.now() + this.operationTimeoutMs;
    for (let attempt = 1; ; attempt += 1) {
      const limit = timeout(giveUpAt - Date.now());
      const running = operation();
      // An operation abandoned at its deadline may still settle later: nothing must be left unhandled.
      running.catch(() => undefined);
      try {
        return await Promise.race([running, limit.promise]);
      } catch (error) {
        if (isVerifyPushError(error)) throw error;
        if (isReplyError(error) || attempt >= MAX_ATTEMPTS || Date.now() + RETRY_PAUSE_MS >= giveUpAt) {
          throw storeError(`Redis failed to ${what}.`, error);
        }
      } finally {
        limit.cancel();
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
    }
  }
}
