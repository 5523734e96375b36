import { VerifyPushError } from '../errors.js';
import type { VerifyPushRequest } from '../types.js';

type Callback = (err?: unknown) => void;

export interface SessionLike {
  regenerate?: (callback: Callback) => void;
  save?: (callback: Callback) => void;
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

