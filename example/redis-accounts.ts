/**
 * The example's per-user data (accounts.ts) in Redis, on the client the sessions and challenges already use:
 * with several workers, a notification written by the worker that received Twilio's webhook shows on the
 * account page whichever worker serves it, and so do e-mail changes and payments.
 */
import { KEPT_PER_USER, type Accounts, type Notice, type Payment } from './accounts.js';

/** The few node-redis commands used here (a node-redis v5 or v6 client has them). */
export interface AccountsRedisClient {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
  lPush(key: string, value: string): Promise<number>;
  lTrim(key: string, start: number, stop: number): Promise<unknown>;
  lRange(key: string, start: number, stop: number): Promise<string[]>;
}

export class RedisAccounts implements Accounts {
  constructor(
    private readonly client: AccountsRedisClient,
    /** Keys of the example, apart from the sessions' and the challenges'. */
    private readonly prefix: string,
  ) {}

  async email(userId: string): Promise<string | undefined> {
    return (await this.client.get(this.key('email', userId))) ?? undefined;
  }

  async setEmail(userId: string, email: string): Promise<void> {
    await this.client.set(this.key('email', userId), email);
  }

  addPayment(userId: string, payment: Payment): Promise<void> {
    return this.prepend(this.key('payments', userId), payment);
  }

  payments(userId: string): Promise<Payment[]> {
    return this.list<Payment>(this.key('payments', userId));
  }

  notify(userId: string, notice: Notice): Promise<void> {
    return this.prepend(this.key('notices', userId), notice);
  }

  notices(userId: string): Promise<Notice[]> {
    return this.list<Notice>(this.key('notices', userId));
  }

  private key(kind: string, userId: string): string {
    return `${this.prefix}${kind}:${userId}`;
  }

  private async prepend(key: string, item: object): Promise<void> {
    await this.client.lPush(key, JSON.stringify(item));
    await this.client.lTrim(key, 0, KEPT_PER_USER - 1);
  }

  private async list<T>(key: string): Promise<T[]> {
    return (await this.client.lRange(key, 0, KEPT_PER_USER - 1)).map((item) => JSON.parse(item) as T);
  }
}
