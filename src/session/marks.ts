import { VerifyPushError } from '../errors.js';
import type { VerifyPushRequest } from '../options.js';
import type { DetailField } from '../twilio/verify-api.js';

/** The challenge this session is waiting for. Everything needed to check an approval belongs to it. */
export interface PendingMark {
  challengeSid: string;
  serviceSid: string;
  identity: string;
  factorSid: string;
  transactionId: string;
  /** ms since epoch */
  expiresAt: number;
  matchCode?: string;
  message: string;
  fields: DetailField[];
}

/** "This session passed the second factor", valid only for `identity` and only in session `sessionId`. */
export interface VerifiedMark {
  identity: string;
  sessionId: string;
  /** ms since epoch */
  at: number;
}

export interface VerifyPushSessionData {
  pending?: PendingMark;
  verified?: VerifiedMark;
}

/** The key under `req.session`. */
export const SESSION_KEY = 'verifyPush';

type Callback = (err?: unknown) => void;

interface SessionLike {
  regenerate?: (callback: Callback) => void;
  save?: (callback: Callback) => void;
  [SESSION_KEY]?: VerifyPushSessionData;
}

/**
 * The request's session, provided it can be regenerated. Regeneration is how the session id changes at each
 * privilege change (pending, then logged in); a backend that cannot do it (cookie-session keeps everything in
 * the cookie, so an old cookie stays valid forever) would silently lose that protection, so it is refused.
 */
export function sessionOf(req: VerifyPushRequest): SessionLike {
  const session = req.session as SessionLike | undefined;
  if (typeof session !== 'object' || session === null) {
    throw new VerifyPushError('SESSION_REQUIRED', 'Verify Push needs a session: add express-session before passport.');
  }
  if (typeof session.regenerate !== 'function') {
    throw new VerifyPushError(
      'SESSION_UNSUPPORTED',
      'The session middleware cannot regenerate session ids (cookie-session cannot); use express-session.',
    );
  }
  return session;
}

function isString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** The session's pending challenge, or undefined when there is none or it is malformed. */
export function readPending(req: VerifyPushRequest): PendingMark | undefined {
  const pending = (req.session as SessionLike | undefined)?.[SESSION_KEY]?.pending;
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
  sessionOf(req)[SESSION_KEY] = { pending };
}

export function clearPending(req: VerifyPushRequest): void {
  const session = req.session as SessionLike | undefined;
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
  const verified = (req.session as SessionLike | undefined)?.[SESSION_KEY]?.verified;
  return (
    typeof verified === 'object' &&
    verified !== null &&
    verified.identity === identity &&
    isString(req.sessionID) &&
    verified.sessionId === req.sessionID
  );
}

function promisify(run: (callback: Callback) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    run((err) => (err ? reject(err) : resolve()));
  });
}

function storeError(error: unknown): VerifyPushError {
  return new VerifyPushError('STORE_ERROR', 'The session store failed.', { cause: error });
}

/**
 * Gives the session a new id while keeping its data (the first-factor login included). Starting a challenge is
 * a privilege change: an attacker who planted a session id before the login must not share the pending one.
 * The old id is destroyed by the session store.
 */
export async function regenerateKeepingData(req: VerifyPushRequest): Promise<void> {
  const session = sessionOf(req);
  const saved = Object.entries(session).filter(([key]) => key !== 'cookie');
  try {
    await promisify((callback) => session.regenerate?.call(session, callback));
  } catch (error) {
    throw storeError(error);
  }
  const fresh = sessionOf(req) as Record<string, unknown>;
  for (const [key, value] of saved) fresh[key] = value;
}

/** Saves explicitly, as Passport does before redirecting, so the next request sees the new state. */
export async function saveSession(req: VerifyPushRequest): Promise<void> {
  const session = sessionOf(req);
  if (typeof session.save !== 'function') return;
  try {
    await promisify((callback) => session.save?.call(session, callback));
  } catch (error) {
    throw storeError(error);
  }
}

type LogIn = (user: unknown, options?: unknown, done?: Callback) => void;
interface LogInHolder {
  logIn?: LogIn;
  login?: LogIn;
}

/**
 * Writes the verified mark once Passport's own `req.logIn` has finished. Passport ≥ 0.6 regenerates the
 * session inside logIn and drops its data (unless `keepSessionInfo`), so a mark written before would be lost,
 * and one carried over would name the old id. Wrapping `req.logIn`/`req.login` with own properties (they shadow
 * the prototype's for this request only) catches the call whether Passport makes it after `success()` or the
 * app makes it in a custom callback. The wrapper works once, only for the user we approved, then steps aside.
 */
export function markVerifiedOnLogIn(req: VerifyPushRequest, user: unknown, identity: string, clock: () => number): void {
  const holder = req as unknown as LogInHolder;
  const original = holder.logIn;
  if (typeof original !== 'function') return;
  const own = {
    logIn: Object.prototype.hasOwnProperty.call(req, 'logIn'),
    login: Object.prototype.hasOwnProperty.call(req, 'login'),
  };
  const originalLogin = holder.login;
  const restore = (): void => {
    if (own.logIn) holder.logIn = original;
    else delete holder.logIn;
    if (own.login) holder.login = originalLogin;
    else delete holder.login;
  };
  const wrapped: LogIn = (loggedIn, options, done) => {
    let callback = done;
    let opts = options;
    if (typeof opts === 'function') {
      callback = opts as Callback;
      opts = {};
    }
    restore();
    if (loggedIn !== user) {
      original.call(req, loggedIn, opts, callback);
      return;
    }
    original.call(req, loggedIn, opts, (err?: unknown) => {
      if (!err) {
        const session = req.session as SessionLike | undefined;
        if (session && isString(req.sessionID)) {
          session[SESSION_KEY] = { verified: { identity, sessionId: req.sessionID, at: clock() } };
        }
      }
      callback?.(err);
    });
  };
  holder.logIn = wrapped;
  holder.login = wrapped;
}
