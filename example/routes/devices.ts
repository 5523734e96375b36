/**
 * Device management: list, add (enrol) and remove push devices. Changing devices changes the second factor
 * itself, so once a user has a device every step needs a push approved within the last few minutes
 * (`deviceChangeMaxAgeSeconds`): the step-up gate in front of each route asks for one, and the strategy's
 * enrolment handlers check it again behind it (403 STEP_UP_REQUIRED). A user without any device enrols the
 * first one with the password alone (trust on first use).
 */
import { Router } from 'express';
import { isVerifyPushError } from 'passport-twilio-verify-push';
import { PAGES, type ExampleContext } from '../context.js';
import { asyncRoute, chrome, currentUser, signedInWithPhone, wantsJson } from '../http-helpers.js';
import { requireRecentPush, whenSignedIn } from '../recent-push.js';
import type { PublicUser } from '../users.js';
import { devicesPage } from '../views/devices.js';
import { enrolPage } from '../views/enrol.js';

export function deviceManagementRoutes(ctx: ExampleContext): Router {
  const router = Router();
  const enrolment = ctx.push.enrolment();
  const recentPush = requireRecentPush(ctx, {
    maxAgeSeconds: ctx.policy.deviceChangeMaxAgeSeconds,
    message: 'Approve changing your devices?',
    fields: [{ label: 'Action', value: 'Add or remove devices' }],
  });

  /**
   * Who may enrol a phone: a user signed in with their phone (then only after a recent push, below), or one who
   * passed the password and has no verified phone yet. The second case is trust on first use: unavoidable for a
   * user with no phone, and the reason a user who already has one must approve on it before adding another, or
   * a stolen password would be enough to enrol the thief's phone.
   */
  const mayEnrol = asyncRoute(async (req, res, next) => {
    if (!currentUser(req)) {
      if (wantsJson(req)) res.status(401).json({ code: 'NOT_AUTHENTICATED' });
      else res.redirect(303, '/login');
      return;
    }
    if (await signedInWithPhone(ctx, req)) return next();
    try {
      // With the password only, listing is refused once the user has a verified device.
      await enrolment.factorsOf(req);
      return next();
    } catch (error) {
      if (!isVerifyPushError(error) || error.code !== 'SECOND_FACTOR_REQUIRED') throw error;
    }
    if (wantsJson(req)) {
      res.status(403).json({ code: 'SECOND_FACTOR_REQUIRED' });
      return;
    }
    // Already has a phone: approve the sign-in on it first (the account page's gate starts the push).
    res.redirect(303, PAGES.account);
  });
  const enrolGate = [mayEnrol, whenSignedIn(ctx, recentPush)];

  router.get(
    PAGES.enrol,
    ...enrolGate,
    asyncRoute(async (req, res) => {
      const page = await chrome(req, res, ctx);
      res.type('html').send(String(enrolPage(page, { username: (currentUser(req) as PublicUser).username, adding: page.secondFactor === true })));
    }),
  );

  // The access token a phone app needs to create its factor, minted for the signed-in user only.
  router.post(
    '/enrol/token',
    ...enrolGate,
    enrolment.accessToken({ factorFriendlyName: (user: PublicUser) => `${user.displayName}'s phone`, ttlSeconds: 300 }),
  );

  router.get(
    PAGES.devices,
    recentPush,
    asyncRoute(async (req, res) => {
      const factors = await enrolment.factorsOf(req);
      res.type('html').send(
        String(
          devicesPage(await chrome(req, res, ctx), {
            factors: factors.map((f) => ({ sid: f.sid, friendlyName: f.friendlyName, status: f.status, createdAt: f.dateCreated.slice(0, 10) })),
            maxAgeSeconds: ctx.policy.deviceChangeMaxAgeSeconds,
          }),
        ),
      );
    }),
  );

  // Called by the devices page's script (JSON): while the approval is older than allowed the gate answers 202
  // and pushes, and the script repeats the request until the phone answers.
  router.delete(`${PAGES.devices}/:factorSid`, recentPush, enrolment.deleteFactor());

  return router;
}
