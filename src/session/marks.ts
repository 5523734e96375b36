import type { EndedMark, PendingMark, PushPurpose, VerifiedMark, VerifyPushRequest, VerifyPushSessionData } from '../types.js';

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

/**
 * Starting a login challenge replaces whatever the session held: an old verified mark is for an earlier login.
 * A step-up or an action is asked of a session that stays verified meanwhile, so its mark is kept.
 */
export function writePending(req: VerifyPushRequest, pending: PendingMark): void {
  const session = req.session as SessionWithMarks;
  const verified = session[SESSION_KEY]?.verified;
  const keep = pending.purpose !== undefined && pending.purpose !== 'login' && verified !== undefined;
  session[SESSION_KEY] = keep ? { pending, verified } : { pending };
}

/** The second factor was (again) approved in this session: the mark names its current id and the time. */
export function writeVerified(req: VerifyPushRequest, verified: VerifiedMark): void {
  const session = req.session as SessionWithMarks;
  session[SESSION_KEY] = { verified };
}

/**
 * The session's push ended (denied, expired, superseded): the pending mark goes, and the end is kept for a
 * moment, so a request of the same session already on its way answers the same end instead of starting a new
 * push the user never asked for (one attempt, one push).
 */
export function endPending(req: VerifyPushRequest, ended: EndedMark): void {
  const session = req.session as SessionWithMarks | undefined;
  const data = session?.[SESSION_KEY];
  if (!session || !data) return;
  delete data.pending;
  data.ended = ended;
}

/** The session's last push's end, when it belongs to this identity and push kind. */
export function readEnded(req: VerifyPushRequest, identity: string, purpose: PushPurpose): EndedMark | undefined {
  const ended = marksOf(req)?.ended;
  if (typeof ended !== 'object' || ended === null || ended.identity !== identity || ended.purpose !== purpose) return undefined;
  return typeof ended.at === 'number' && typeof ended.code === 'string' && typeof ended.message === 'string' ? ended : undefined;
}

/** The person asked for a new push: the last one's end no longer answers the session's requests. */
export function forgetEnded(req: VerifyPushRequest): void {
  const data = marksOf(req);
  if (data) delete data.ended;
}

export function clearPending(req: VerifyPushRequest): void {
  const session = req.session as SessionWithMarks | undefined;
  const data = session?.[SESSION_KEY];
  if (!session || !data) return;
  delete data.pending;
  if (data.verified === undefined && data.ended === undefined) delete session[SESSION_KEY];
}

/**
 * The session's verified mark, when it counts: for the same user, the same session id, and no older than
 * `maxAgeMs` (the strategy's `maxAgeSeconds`). Passport regenerates the session at every login and logout, so
 * binding the mark to the id voids it after any of them, even when the app passes `keepSessionInfo: true` and
 * the data (mark included) is copied into the new session.
 */
export function verifiedMark(req: VerifyPushRequest, identity: string, now: number, maxAgeMs: number): VerifiedMark | undefined {
  const verified = marksOf(req)?.verified;
  const counts =
    typeof verified === 'object' &&
    verified !== null &&
    verified.identity === identity &&
    isString(req.sessionID) &&
    verified.sessionId === req.sessionID &&
    typeof verified.at === 'number' &&
    now - verified.at <= maxAgeMs;
  return counts ? verified : undefined;
}

/**
 * Was a push approved in this session within `maxAgeMs`? The step-up and device-change test: a browser let
 * in because it was remembered has approved nothing in this session, so it is never fresh.
 */
export function isFresh(mark: VerifiedMark | undefined, now: number, maxAgeMs: number): boolean {
  return mark !== undefined && mark.remembered !== true && now - mark.at <= maxAgeMs;
}

