import type { Passport } from 'passport';
import type { VerifyPushStrategy } from 'passport-twilio-verify-push';
import type { Request } from 'express';
import type { Accounts } from './accounts.js';
import type { PublicUser, UserDirectory } from './users.js';

/** When the phone must have approved recently, in seconds since the session's last push. */
export interface RecentPushPolicy {
  /** The change-e-mail page (step-up by age). */
  stepUpMaxAgeSeconds: number;
  /** Listing, adding and removing devices (the strategy's `deviceChangeMaxAgeSeconds` too). */
  deviceChangeMaxAgeSeconds: number;
  /** How long a browser whose "remember this browser" box was ticked skips the login push. */
  rememberDays: number;
}

/** What the example's routes share. */
export interface ExampleContext {
  /** A Passport instance of the example's own (several examples can run in one test process). */
  passport: InstanceType<typeof Passport>;
  push: VerifyPushStrategy<PublicUser>;
  users: UserDirectory;
  /** Per-user data: e-mail address, payments, notifications. */
  accounts: Accounts;
  policy: RecentPushPolicy;
  /** Emulator mode: the device simulator page exists. */
  deviceSimulator: boolean;
  clock: () => number;
  /** A log line (prefixed with the worker's name in a cluster): what a real app sends to its logs or its mailer. */
  log(line: string): void;
  /**
   * Emulator mode: give demo users who "already own a phone" their simulated phone, the first time
   * they pass the password step (their Verify identity needs a request to be derived from).
   */
  seedPhone?(req: Request, user: PublicUser): Promise<void>;
}

/** Routes of the push step, in one place so the views and the strategy agree. */
export const PATHS = {
  wait: '/login/push/wait',
  events: '/login/push/events',
  complete: '/login/push/complete',
  retry: '/login/push/retry',
  resend: '/login/push/resend',
} as const;

/** The pages that ask the phone again, beyond the login. */
export const PAGES = {
  account: '/account',
  email: '/settings/email',
  sendMoney: '/send-money',
  devices: '/devices',
  enrol: '/enrol',
} as const;
