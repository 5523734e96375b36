import { defaultStatus, type VerifyPushErrorCode } from '../errors.js';
import type { PendingMark, VerifyPushFailure } from '../types.js';
import { limitMessage, type LimitHit } from './limits.js';

/**
 * What the flow decided for one request. The Passport adapter turns it into exactly one Passport action
 * (or, for `pending`, its own 202/303 answer, since Passport has no such action).
 */
export type Outcome<User> =
  | { kind: 'pass' }
  | { kind: 'success'; user: User; info: object }
  | { kind: 'fail'; info: VerifyPushFailure; status: number }
  | { kind: 'pending'; pending: PendingMark }
  | { kind: 'error'; error: unknown };

export const PASS = { kind: 'pass' } as const;

export function failure<User>(
  code: VerifyPushErrorCode,
  message: string,
  extra: { retryAfter?: number; status?: number } = {},
): Outcome<User> {
  const status = extra.status ?? defaultStatus(code);
  const info: VerifyPushFailure = { code, message };
  if (extra.retryAfter !== undefined) info.retryAfter = extra.retryAfter;
  return { kind: 'fail', info, status };
}

export function limitFailure<User>(hit: LimitHit): Outcome<User> {
  return failure('RATE_LIMITED', limitMessage(hit), { retryAfter: hit.retryAfter });
}

export function pending<User>(mark: PendingMark): Outcome<User> {
  return { kind: 'pending', pending: mark };
}
