/** Home, the protected account page, and device enrolment. */
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { ExampleContext } from '../context.js';
import { asyncRoute, chrome, currentUser, wantsJson } from '../http-helpers.js';
import type { PublicUser } from '../users.js';
import { enrolPage } from '../views/enrol.js';
import { accountPage, homePage } from '../views/pages.js';

export function pageRoutes(ctx: ExampleContext): Router {
  const router = Router();
  const { passport, push } = ctx;
  const enrolment = push.enrolment();

  router.get(
    '/',
    asyncRoute(async (req, res) => {
      const page = await chrome(req, res, ctx);
      const signedIn = page.username !== undefined;
      res.type('html').send(String(homePage(page, { signedIn, secondFactor: page.secondFactor === true })));
    }),
  );

  /**
   * The gate: nobody reaches /account before the phone approved this session's sign-in. Without a first
   * factor the gate lets the request through (the next handler sends it to the login page); with one but
   * no second, it starts a push and sends the browser to the waiting page.
   */
  const gateOptions = { gate: true, failureRedirect: '/login', failureMessage: true };
  const gate = passport.authenticate('verify-push', gateOptions);
  const requirePassword = (req: Request, res: Response, next: NextFunction): void => {
    if (currentUser(req)) return next();
    if (wantsJson(req)) {
      res.status(401).json({ code: 'NOT_AUTHENTICATED' });
      return;
    }
    res.redirect(303, '/login');
  };

  router.get(
    '/account',
    gate,
    requirePassword,
    asyncRoute(async (req, res) => {
      const user = currentUser(req) as PublicUser;
      if (wantsJson(req)) {
        res.json({ username: user.username, displayName: user.displayName });
        return;
      }
      const factors = await enrolment.factorsOf(req);
      res.type('html').send(
        String(
          accountPage(await chrome(req, res, ctx), {
            displayName: user.displayName,
            username: user.username,
            factors: factors.map((f) => ({ friendlyName: f.friendlyName, status: f.status, createdAt: f.dateCreated.slice(0, 10) })),
          }),
        ),
      );
    }),
  );

  /**
   * Who may enrol a phone: a user who finished both factors, or (first enrolment) one who passed the
   * password and has no verified phone yet. The second case is trust on first use: unavoidable for a user
   * with no phone, and the reason a user who already has one must approve on it before adding another,
   * or a stolen password would be enough to enrol the thief's phone.
   */
  const mayEnrol = asyncRoute(async (req, res, next) => {
    if (!currentUser(req)) {
      if (wantsJson(req)) res.status(401).json({ code: 'NOT_AUTHENTICATED' });
      else res.redirect(303, '/login');
      return;
    }
    if ((await push.status(req)).state === 'completed') return next();
    const factors = await enrolment.factorsOf(req);
    if (!factors.some((f) => f.status === 'verified')) return next();
    if (wantsJson(req)) {
      res.status(403).json({ code: 'SECOND_FACTOR_REQUIRED' });
      return;
    }
    // Already has a phone: approve on it first (the gate starts the push), then come back.
    res.redirect(303, '/account');
  });

  router.get(
    '/enrol',
    mayEnrol,
    asyncRoute(async (req, res) => {
      res.type('html').send(String(enrolPage(await chrome(req, res, ctx), { username: (currentUser(req) as PublicUser).username })));
    }),
  );

  // The access token a phone app needs to create its factor, minted for the signed-in user only.
  router.post(
    '/enrol/token',
    mayEnrol,
    enrolment.accessToken({ factorFriendlyName: (user: PublicUser) => `${user.displayName}'s phone`, ttlSeconds: 300 }),
  );

  return router;
}
