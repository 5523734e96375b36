/**
 * What the example keeps about each user beyond the login: the e-mail address, the payments sent, and the
 * notifications an app would e-mail (a device added or removed, an e-mail address changed). In memory for one
 * process; in Redis (redis-accounts.ts) when several processes share the users, so every worker shows the same.
 */

export interface Payment {
  amount: string;
  currency: string;
  payee: string;
  /** ISO 8601: when the phone approved it. */
  approvedAt: string;
}

/** One message the app would have e-mailed the user. */
export interface Notice {
  /** ms since epoch */
  at: number;
  text: string;
}

export interface Accounts {
  /** The user's e-mail address, if they changed it (the demo users start with `username@example.com`). */
  email(userId: string): Promise<string | undefined>;
  setEmail(userId: string, email: string): Promise<void>;
  addPayment(userId: string, payment: Payment): Promise<void>;
  /** Newest first, the last few only. */
  payments(userId: string): Promise<Payment[]>;
  notify(userId: string, notice: Notice): Promise<void>;
  /** Newest first, the last few only. */
  notices(userId: string): Promise<Notice[]>;
}

/** How many payments and notices are kept per user: the pages show the recent ones only. */
export const KEPT_PER_USER = 10;

export class MemoryAccounts implements Accounts {
  private readonly emails = new Map<string, string>();
  private readonly paymentLists = new Map<string, Payment[]>();
  private readonly noticeLists = new Map<string, Notice[]>();

  async email(userId: string): Promise<string | undefined> {
    return this.emails.get(userId);
  }

  async setEmail(userId: string, email: string): Promise<void> {
    this.emails.set(userId, email);
  }

  async addPayment(userId: string, payment: Payment): Promise<void> {
    prepend(this.paymentLists, userId, payment);
  }

  async payments(userId: string): Promise<Payment[]> {
    return [...(this.paymentLists.get(userId) ?? [])];
  }

  async notify(userId: string, notice: Notice): Promise<void> {
    prepend(this.noticeLists, userId, notice);
  }

  async notices(userId: string): Promise<Notice[]> {
    return [...(this.noticeLists.get(userId) ?? [])];
  }
}

function prepend<T>(lists: Map<string, T[]>, userId: string, item: T): void {
  lists.set(userId, [item, ...(lists.get(userId) ?? [])].slice(0, KEPT_PER_USER));
}

/** The address a demo user starts with (example.com is reserved for examples: nothing is ever sent). */
export function defaultEmail(username: string): string {
  return `${username}@example.com`;
}

/** The user's address now: the one they set, else the one they started with. */
export async function currentEmail(accounts: Accounts, user: { id: string; username: string }): Promise<string> {
  return (await accounts.email(user.id)) ?? defaultEmail(user.username);
}
