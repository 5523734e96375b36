import type { VerifyPushRequest, VerifyPushSessionData } from '../types.js';
import { SESSION_KEY } from './marks.js';

type Callback = (err?: unknown) => void;

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
 * The mark's time is now (a push was just approved) unless `flags.at` carries an earlier approval's.
 */
export function markVerifiedOnLogIn(
  req: VerifyPushRequest,
  user: unknown,
  identity: string,
  clock: () => number,
  flags: { at?: number; remembered?: boolean } = {},
): void {
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
        const session = req.session as { [SESSION_KEY]?: VerifyPushSessionData } | undefined;
        if (session && typeof req.sessionID === 'string' && req.sessionID !== '') {
          // A login again without a push keeps the time of the approval it rests on (step-up counts from it).
          const at = flags.at ?? clock();
          session[SESSION_KEY] = { verified: { identity, sessionId: req.sessionID, at, ...(flags.remembered ? { remembered: true } : {}) } };
        }
      }
      callback?.(err);
    });
  };
  holder.logIn = wrapped;
  holder.login = wrapped;
}
