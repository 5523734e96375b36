import type { PendingMark, VerifyPushRequest, VerifyPushSessionData } from '../types.js';

/** The key under `req.session`. */
export const SESSION_KEY = 'verifyPush';

type SessionWithMarks = { [SESSION_KEY]?: VerifyPushSessionData };

function marksOf(req: VerifyPushRequest): VerifyPushSessionData | undefined {
  return (req.session as SessionWithMarks | undefined)?.[SESSION_KEY];
}

function isString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** The session's pending challenge, or undefined when there is none or it is malformed. */
export function readPending(req: VerifyPushRequest): PendingMark | undefined {
  const pending = marksOf(req)?.pending;
  if (typeof pending !== 'object' || pending === null) return undefined;
  const ok =
    isString(pending.challengeSid) &&
    isString(pending.serviceSid) &&
    isString(pending.identity) &&
    isString(pending.factorSid) &&
    isString(pending.transactionId) &&
    typeof pending.expiresAt === 'number' &&
    typeof pending.message === 'string' &&
    Array.isArray(pending.fields);
  return ok ? pending : undefined;
}

/** Starting a challenge replaces whatever the session held: an old verified mark is for an earlier login. */
export function writePending(req: VerifyPushRequest, pending: PendingMark): void {
  (req.session as SessionWithMarks)[SESSION_KEY] = { pending };
}

export function clearPending(req: VerifyPushRequest): void {
  const session = req.session as SessionWithMarks | undefined;
  const data = session?.[SESSION_KEY];
  if (!session || !data) return;
  delete data.pending;
  if (data.verified === undefined) delete session[SESSION_KEY];
}

/**
 * A verified mark counts only for the same user and the same session id. Passport regenerates the session at
 * every login and logout, so binding the mark to the id voids it after any of them, even when the app passes
 * `keepSessionInfo: true` and the data (mark included) is copied into the new session.
 */
export function hasVerifiedMark(req: VerifyPushRequest, identity: string): boolean {
  const verified = marksOf(req)?.verified;
  return (
    typeof verified === 'object' &&
    verified !== null &&
    verified.identity === identity &&
    isString(req.sessionID) &&
    verified.sessionId === req.sessionID
  );
}

