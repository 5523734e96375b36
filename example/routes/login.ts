/**
 * First factor (password, with passport-local) chained into the second (Verify Push), logout, and "sign out
 * everywhere". One POST /login does both steps: the password check logs the user in as "first factor passed",
 * then the push strategy starts a challenge and sends the browser to the waiting page (or answers 202 JSON to
 * an app). A browser remembered after an earlier approval (the "Remember this browser" box) skips the push.
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { VerifyPushAuthenticateOptions } from 'passport-twilio-verify-push';
import type { ExampleContext } from '../context.js';
import { addMessage, addNotice, asyncRoute, chrome, currentUser, takeMessages, takeNotices, wantsJson } from '../http-helpers.js';
import { tellUser } from '../notices.js';
import { boxTicked, keepRememberBox, rememberBox } from '../remember-box.js';
import type { PublicUser } from '../users.js';
import { loginPage } from '../views/pages.js';

interface PushFailure {
  code?: string;
  message?: string;
}

/** Outcomes after which a fresh challenge is the right next step ("try again"). */
const RESTARTABLE = new Set(['CHALLENGE_DENIED', 'CHALLENGE_EXPIRED', 'CHALLENGE_SUPERSEDED', 'CHALLENGE_MISMATCH', 'CHALLENGE_ALREADY_USED']);

/** The push step; `remember` reads the login form's box if the push is approved on this route. */
const PUSH_STEP: VerifyPushAuthenticateOptions = { remember: rememberBox };
const ASK_AGAIN: VerifyPushAuthenticateOptions = { ...PUSH_STEP, askAgain: true };

export function loginRoutes(ctx: ExampleContext): Router {
  const router = Router();
  const { passport } = ctx;

  router.get(
    '/login',
    asyncRoute(async (req, res) => {
      const view = { messages: takeMessages(req), notices: takeNotices(req), rememberDays: ctx.policy.rememberDays };
      res.type('html').send(String(loginPage(await chrome(req, res, ctx), view)));
    }),
  );

  /** The password step. A custom callback so an app (JSON) and a browser each get the answer they expect. */
  function passwordStep(req: Request, res: Response, next: NextFunction): void {
    passport.authenticate('local', (err: unknown, user: PublicUser | false) => {
      if (err) return next(err);
      if (!user) {
        if (wantsJson(req)) return res.status(401).json({ code: 'INVALID_CREDENTIALS', message: 'Wrong username or password.' });
        addMessage(req, 'Wrong username or password.');
        return res.redirect(303, '/login');
      }
      // Passport regenerates the session here (session fixation defence) and records the first factor.
      req.logIn(user, (loginError) => {
        if (loginError) return next(loginError);
        // The box goes into the new session (logIn started one), for when the push is approved.
        keepRememberBox(req, boxTicked(req.body));
        if (!ctx.seedPhone) return next();
        ctx.seedPhone(req, user).then(() => next(), next);
      });
    })(req, res, next);
  }

  /**
   * The push step. While the challenge is pending the strategy answers by itself (303 to the waiting page,
   * or 202 JSON with the transaction id); this callback sees only the end results.
   */
  function pushStep(req: Request, res: Response, next: NextFunction, retried = false, step = PUSH_STEP): void {
    passport.authenticate('verify-push', step, (err: unknown, user: PublicUser | false, info: PushFailure | undefined, status?: number) => {
      if (err) return next(err);
      if (user) {
        // Approved already (e.g. the login route was hit again after finishing): log in and go on.
        return req.logIn(user, (loginError) => (loginError ? next(loginError) : res.redirect(303, '/account')));
      }
      const code = info?.code ?? 'NOT_AUTHENTICATED';
      if (!retried && req.path === '/login/push/retry' && RESTARTABLE.has(code)) {
        // The old challenge is used up (and cleared from the session): start a new one right away.
        return pushStep(req, res, next, true, step);
      }
      if (code === 'NO_PUSH_FACTOR') {
        if (wantsJson(req)) return res.status(403).json({ code, message: 'Enrol a phone first.' });
        return res.redirect(303, '/enrol');
      }
      if (wantsJson(req)) return res.status(status ?? 401).json({ code, message: info?.message ?? 'Sign-in failed.' });
      if (code === 'FIRST_FACTOR_REQUIRED') return res.redirect(303, '/login');
      addMessage(req, info?.message ?? 'Sign-in failed.');
      return res.redirect(303, '/login');
    })(req, res, next);
  }

  router.post('/login', passwordStep, (req, res, next) => pushStep(req, res, next));
  /**
   * "Send a new request" on the waiting page after a denial or expiry: the person asks, so `askAgain` (a click
   * that comes quickly after the answer is still a new request, not a parallel request of the old one).
   */
  router.post('/login/push/retry', (req, res, next) => pushStep(req, res, next, false, ASK_AGAIN));

  router.post(
    '/logout',
    asyncRoute(async (req, res) => {
      // Passport regenerates the session: the second-factor mark is bound to the old session id, so it is void.
      await new Promise<void>((resolve, reject) => req.logout((err) => (err ? reject(err) : resolve())));
      res.redirect(303, '/');
    }),
  );

  /**
   * "Sign out everywhere": every browser remembered for this user is forgotten at once (the strategy bumps the
   * user's revocation counter in the shared store, so every instance sees it), then this browser logs out.
   */
  router.post(
    '/sign-out-everywhere',
    asyncRoute(async (req, res) => {
      const user = currentUser(req);
      if (user) {
        await ctx.push.forgetBrowsers(user);
        await tellUser(ctx, user, 'You signed out everywhere: every browser remembered for you asks your phone at its next sign-in.');
      }
      await new Promise<void>((resolve, reject) => req.logout((err) => (err ? reject(err) : resolve())));
      addNotice(req, 'Signed out everywhere: every browser remembered for you asks your phone at its next sign-in.');
      res.redirect(303, '/login');
    }),
  );

  return router;
}
