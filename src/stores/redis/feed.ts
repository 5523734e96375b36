import type { ChallengeListener, ChallengeRecord } from '../types.js';
import { decodeRecord } from './record-codec.js';
import type { RedisConnection, SubscriberConnection } from './client.js';

export interface ChangeFeedOptions {
  connection: RedisConnection;
  /** The one channel every write of this store publishes on: `<challenge sid>\n<record JSON>`. */
  channel: string;
  /** Reads a challenge again (after a reconnection, when messages may have been lost). */
  reread(challengeSid: string): Promise<ChallengeRecord | undefined>;
}

/**
 * How this process hears of changes written by any instance: one dedicated subscriber connection on one
 * channel, and a local map from challenge sid to listeners, so a thousand waiting pages cost one connection
 * and one subscription. After every reconnection each watched challenge is read again, so a message that was
 * published while the subscriber was down still reaches its page.
 */
export class ChangeFeed {
  readonly channel: string;
  private readonly connection: RedisConnection;
  private readonly reread: (challengeSid: string) => Promise<ChallengeRecord | undefined>;
  private readonly listeners = new Map<string, Set<ChallengeListener>>();
  private subscriber: SubscriberConnection | undefined;
  private opening: Promise<void> | undefined;
  private readyOnce = false;
  private closed = false;

  constructor(options: ChangeFeedOptions) {
    this.connection = options.connection;
    this.channel = options.channel;
    this.reread = options.reread;
  }

  open(): Promise<void> {
    this.opening ??= this.connection
      .subscribe(this.channel, {
        message: (text) => this.deliver(text),
        ready: () => this.onReady(),
        // The subscriber reconnects by itself; meanwhile pages still re-read at their own timers.
        error: () => undefined,
      })
      .then((subscriber) => {
        this.subscriber = subscriber;
        if (this.closed) void subscriber.close();
      });
    return this.opening;
  }

  /** Starts telling `listener` of changes to one challenge; returns the function that stops it. */
  async add(challengeSid: string, listener: ChallengeListener): Promise<() => void> {
    await this.open();
    let set = this.listeners.get(challengeSid);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(challengeSid, set);
    }
    set.add(listener);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      const current = this.listeners.get(challengeSid);
      if (current === undefined) return;
      current.delete(listener);
      // Drop empty sets: thousands of short-lived waiting pages must not leave a key each behind.
      if (current.size === 0) this.listeners.delete(challengeSid);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    await this.subscriber?.close();
  }

  stats(): { watchedChallenges: number; listeners: number } {
    let listeners = 0;
    for (const set of this.listeners.values()) listeners += set.size;
    return { watchedChallenges: this.listeners.size, listeners };
  }

  private deliver(text: string): void {
    const newline = text.indexOf('\n');
    if (newline < 0) return;
    const challengeSid = text.slice(0, newline);
    const set = this.listeners.get(challengeSid);
    // Most messages concern challenges nobody waits for on this instance: parse only when someone does.
    if (set === undefined) return;
    let record: ChallengeRecord;
    try {
      record = decodeRecord(challengeSid, text.slice(newline + 1));
    } catch {
      return;
    }
    this.notify(set, record);
  }

  /** The first ready is the connection opening; any later one is a reconnection after which messages were lost. */
  private onReady(): void {
    if (!this.readyOnce) {
      this.readyOnce = true;
      return;
    }
    for (const challengeSid of [...this.listeners.keys()]) {
      this.reread(challengeSid).then(
        (record) => {
          const set = this.listeners.get(challengeSid);
          if (record !== undefined && set !== undefined) this.notify(set, record);
        },
        // Redis is still unwell: the waiting pages' own timers read again later.
        () => undefined,
      );
    }
  }

  private notify(set: Set<ChallengeListener>, record: ChallengeRecord): void {
    // A snapshot: listeners commonly unsubscribe themselves when told. Each gets its own copy.
    for (const listener of [...set]) {
      try {
        const result: unknown = listener({ ...record });
        if (typeof (result as { then?: unknown } | null)?.then === 'function') (result as Promise<unknown>).then(undefined, () => undefined);
      } catch {
        // A listener's fault must never starve the other listeners.
      }
    }
  }
}
