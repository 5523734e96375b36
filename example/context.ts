import type { Passport } from 'passport';
import type { VerifyPushStrategy } from 'passport-twilio-verify-push';
import type { Request } from 'express';
import type { PublicUser, UserDirectory } from './users.js';

/** What the example's routes share. */
export interface ExampleContext {
  /** A Passport instance of the example's own (several examples can run in one test process). */
  passport: InstanceType<typeof Passport>;
  push: VerifyPushStrategy<PublicUser>;
  users: UserDirectory;
  /** Emulator mode: the device simulator page exists. */
  deviceSimulator: boolean;
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
