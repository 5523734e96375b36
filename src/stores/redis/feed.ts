import type { ChallengeListener, ChallengeRecord } from '../types.js';
import { ChallengeListeners } from '../listeners.js';
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
  private readonly listeners = new ChallengeListeners();
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
    return this.listeners.add(challengeSid, listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    await this.subscriber?.close();
  }

  stats(): { watchedChallenges: number; listeners: number } {
    const { challenges, listeners } = this.listeners.stats();
    return { watchedChallenges: challenges, listeners };
  }

  private deliver(text: string): void {
    const newline = text.indexOf('\n');
    if (newline < 0) return;
    const challengeSid = text.slice(0, newline);
    // Most messages concern challenges nobody waits for on this instance: parse only when someone does.
    if (!this.listeners.has(challengeSid)) return;
    let record: ChallengeRecord;
    try {
      record = decodeRecord(challengeSid, text.slice(newline + 1));
    } catch {
      return;
    }
    this.listeners.notify(record);
  }

  /** The first ready is the connection opening; any later one is a reconnection after which messages were lost. */
  private onReady(): void {
    if (!this.readyOnce) {
      this.readyOnce = true;
      return;
    }
    for (const challengeSid of this.listeners.watched()) {
      this.reread(challengeSid).then(
        (record) => {
          if (record !== undefined) this.listeners.notify(record);
        },
        // Redis is still unwell: the waiting pages' own timers read again later.
        () => undefined,
      );
    }
  }
}
