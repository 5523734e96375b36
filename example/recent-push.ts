/**
 * In front of a page or an action that needs a recent approval on the phone: the change-e-mail page, and device
 * management. `passport.authenticate('verify-push', { gate: true, maxAge, message, fields })` lets the request
 * through when this session's last push is recent enough, and otherwise sends a push that says what it is for
 * and answers pending (303 to the waiting page, which comes back here once approved; 202 JSON for a script,
 * which repeats its request). The custom callback here only sees what is not pending: a refusal, shown by
 * the page that asked, or a login completed on the way.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { DetailField, VerifyPushAuthenticateOptions } from 'passport-twilio-verify-push';
import type { ExampleContext } from './context.js';
import { chrome, currentUser, signedInWithPhone, wantsJson } from './http-helpers.js';
import { rememberBox } from './remember-box.js';
import type { PublicUser } from './users.js';
import { notApprovedPage } from './views/refused.js';

export interface RecentPush {
  /** Seconds: how recent this session's last push must be. */
  maxAgeSeconds: number;
  /** What the phone shows, so the person knows what they approve. */
  message: string;
  fields?: DetailField[];
}

interface PushFailure {
  code?: string;
  message?: string;
}

/** The strategy's refusals, in the words of a page that asked for an approval (not a sign-in). */
const REFUSALS: Record<string, string> = {
  CHALLENGE_DENIED: 'You denied this request on your phone.',
  CHALLENGE_EXPIRED: 'The request expired before your phone answered.',
  CHALLENGE_SUPERSEDED: 'A newer request replaced this one.',
  CHALLENGE_MISMATCH: 'This request is no longer valid.',
  CHALLENGE_ALREADY_USED: 'This request was already used.',
};

export function requireRecentPush(ctx: ExampleContext, recent: RecentPush): RequestHandler {
  const options: VerifyPushAuthenticateOptions = {
    gate: true,
    maxAge: recent.maxAgeSeconds,
    message: recent.message,
    ...(recent.fields ? { fields: recent.fields } : {}),
    // A session with the password only gets its login push here; the box decides as on the login page.
    remember: rememberBox,
  };
  // "Ask my phone again" on the not-approved page links here with `again=1`: the person asks for a new push.
  const askingAgain: VerifyPushAuthenticateOptions = { ...options, askAgain: true };
  return (req, res, next) => {
    if (!currentUser(req)) {
      if (wantsJson(req)) res.status(401).json({ code: 'NOT_AUTHENTICATED', message: 'Log in first.' });
      else res.redirect(303, '/login');
      return;
    }
    const asked = req.query.again === '1' ? askingAgain : options;
    const ask = (afterLogin: boolean): void => {
      ctx.passport.authenticate('verify-push', asked, (err: unknown, user: PublicUser | false, info: PushFailure | undefined, status?: number) => {
        if (err) return next(err);
        if (!user) return refuse(ctx, { req, res, next }, info, status);
        if (afterLogin) return next(new Error('The push step logged the user in twice in one request.'));
        // A login finished on the way: a login push approved here, or a remembered browser let in. Log in, then
        // ask again: this page wants a recent push of its own, and a remembered browser never counts as one.
        req.logIn(user, (loginError) => (loginError ? next(loginError) : ask(true)));
      })(req, res, next);
    };
    ask(false);
  };
}

/** Not approved: the page that asked says why and offers a new request (a GET of itself sends one). */
function refuse(
  ctx: ExampleContext,
  { req, res, next }: { req: Request; res: Response; next: NextFunction },
  info: PushFailure | undefined,
  status: number | undefined,
): void {
  const code = info?.code ?? 'NOT_AUTHENTICATED';
  const message = REFUSALS[code] ?? info?.message ?? 'Not approved.';
  if (wantsJson(req)) {
    res.status(status ?? 401).json({ code, message });
    return;
  }
  if (code === 'NO_PUSH_FACTOR') {
    res.redirect(303, '/enrol');
    return;
  }
  const again = req.method === 'GET' ? askAgainUrl(req.originalUrl) : undefined;
  chrome(req, res, ctx).then((page) => {
    res.status(status ?? 401).type('html').send(String(notApprovedPage(page, { message, ...(again ? { again } : {}) })));
  }, next);
}

/** The page itself, marked as the person's own request for a new push. */
function askAgainUrl(originalUrl: string): string {
  const url = new URL(originalUrl, 'http://page.invalid');
  url.searchParams.set('again', '1');
  return `${url.pathname}${url.search}`;
}

/** Only for a session signed in with its phone; a password-only session is left to the route's own rules. */
export function whenSignedIn(ctx: ExampleContext, gate: RequestHandler): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    signedInWithPhone(ctx, req).then((yes) => (yes ? gate(req, res, next) : next()), next);
  };
}
