/**
 * The waiting side of a push: the waiting page, its live events, and the completion route the page moves to
 * once the phone approves a sign-in (a step-up goes back to the page that asked instead).
 */
import { Router } from 'express';
import type { EventsOptions, VerifyPushAuthenticateOptions } from 'passport-twilio-verify-push';
import { PAGES, PATHS, type ExampleContext } from '../context.js';
import { rememberBox } from '../remember-box.js';
import { asyncRoute, chrome, currentUser } from '../http-helpers.js';
import { waitingPage } from '../views/wait.js';

export interface PushRouteOptions {
  /** Timings of the live-waiting endpoint (tests shorten the heartbeat, which also re-checks expiry). */
  events?: EventsOptions;
  /** Testing aid: make the waiting page use long-poll instead of EventSource. */
  forceLongPoll?: boolean;
  /** Pause before the waiting page offers to send the push again, in ms. */
  resendPauseMs?: number;
  clock: () => number;
}

const COMPLETE: VerifyPushAuthenticateOptions = { successRedirect: '/account', failureRedirect: '/login', failureMessage: true, remember: rememberBox };

export function pushRoutes(ctx: ExampleContext, options: PushRouteOptions): Router {
  const router = Router();
  const { passport, push } = ctx;

  router.get(
    PATHS.wait,
    asyncRoute(async (req, res) => {
      if (!currentUser(req)) return res.redirect(303, '/login');
      // status() reads the session's own challenge; it never starts one and never logs anyone in.
      const status = await push.status(req);
      res.setHeader('Cache-Control', 'no-store');
      const purpose = status.purpose ?? 'login';
      // A step-up goes back to the page that asked (its `returnTo`), which lets the request through once approved
      // and says why when not; an action goes back to its form. A login goes on to the completion route.
      const back = status.returnTo ?? (purpose === 'action' ? PAGES.sendMoney : PAGES.account);
      switch (status.state) {
        case 'none':
        case 'completed':
          return res.redirect(303, PAGES.account);
        case 'approved':
          return res.redirect(303, purpose === 'login' ? PATHS.complete : back);
        default:
          break;
      }
      if (purpose !== 'login' && status.state !== 'pending') return res.redirect(303, back);
      const failedState = status.state === 'pending' ? undefined : status.state;
      res.type('html').send(
        String(
          waitingPage(await chrome(req, res, ctx), {
            purpose,
            message: status.message ?? 'Approve sign-in?',
            fields: status.fields ?? [],
            expiresAt: status.expiresAt ?? options.clock(),
            serverTime: options.clock(),
            pollAfterMs: status.pollAfterMs ?? 2000,
            ...(status.matchCode === undefined ? {} : { matchCode: status.matchCode }),
            ...(failedState === undefined ? {} : { failedState }),
            eventsUrl: PATHS.events,
            approvedUrl: purpose === 'login' ? PATHS.complete : back,
            doneUrl: purpose === 'login' ? PAGES.account : back,
            retryUrl: PATHS.retry,
            resendUrl: PATHS.resend,
            forceLongPoll: options.forceLongPoll ?? false,
            resendPauseMs: options.resendPauseMs ?? 10_000,
          }),
        ),
      );
    }),
  );

  // "Send it again": the session's own pending push, at most twice more (Twilio's limit of 3 pushes per challenge).
  router.post(PATHS.resend, push.resend());

  // Server-sent events (or long-poll) about this session's own challenge only.
  router.get(PATHS.events, push.events(options.events));

  router.get(
    PATHS.complete,
    asyncRoute(async (req, res, next) => {
      // Only finish what was started: a GET must never send a push (a link on another site could).
      const status = await push.status(req);
      if (status.state === 'none') return res.redirect(303, currentUser(req) ? '/account' : '/login');
      // `remember`: the login form's "Remember this browser" box, read once the push is approved.
      passport.authenticate('verify-push', COMPLETE)(req, res, next);
    }),
  );

  return router;
}
