/**
 * The waiting side of the push step: the waiting page, its live events, and the completion route the
 * page moves to once the phone approves.
 */
import { Router } from 'express';
import type { EventsOptions } from 'passport-twilio-verify-push';
import { PATHS, type ExampleContext } from '../context.js';
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
      switch (status.state) {
        case 'none':
          return res.redirect(303, '/account');
        case 'completed':
          return res.redirect(303, '/account');
        case 'approved':
          return res.redirect(303, PATHS.complete);
        default:
          break;
      }
      const failedState = status.state === 'pending' ? undefined : status.state;
      res.type('html').send(
        String(
          waitingPage(await chrome(req, res, ctx), {
            message: status.message ?? 'Approve sign-in?',
            fields: status.fields ?? [],
            expiresAt: status.expiresAt ?? options.clock(),
            serverTime: options.clock(),
            pollAfterMs: status.pollAfterMs ?? 2000,
            ...(status.matchCode === undefined ? {} : { matchCode: status.matchCode }),
            ...(failedState === undefined ? {} : { failedState }),
            eventsUrl: PATHS.events,
            completeUrl: PATHS.complete,
            doneUrl: '/account',
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
      passport.authenticate('verify-push', { successRedirect: '/account', failureRedirect: '/login', failureMessage: true })(req, res, next);
    }),
  );

  return router;
}
