/** Home, and the account page behind the gate. */
import { Router, type NextFunction, type Request, type Response } from 'express';
import { isVerifyPushError, type VerifyPushAuthenticateOptions } from 'passport-twilio-verify-push';
import { currentEmail } from '../accounts.js';
import { PAGES, type ExampleContext } from '../context.js';
import { asyncRoute, chrome, currentUser, takeNotices, wantsJson } from '../http-helpers.js';
import { letInByRememberedBrowser, rememberBox } from '../remember-box.js';
import type { PublicUser } from '../users.js';
import { accountPage } from '../views/account.js';
import { homePage } from '../views/pages.js';

/** Any page behind the gate: the second factor done, however long ago (within the strategy's `maxAgeSeconds`). */
export function signedInGate(ctx: ExampleContext): Array<(req: Request, res: Response, next: NextFunction) => void> {
  // `remember`: the login form's box, read if the login push is approved through this gate.
  const gateOptions: VerifyPushAuthenticateOptions = { gate: true, failureRedirect: '/login', failureMessage: true, remember: rememberBox };
  const requirePassword = (req: Request, res: Response, next: NextFunction): void => {
    if (currentUser(req)) return next();
    if (wantsJson(req)) {
      res.status(401).json({ code: 'NOT_AUTHENTICATED' });
      return;
    }
    res.redirect(303, '/login');
  };
  /**
   * The gate: nobody gets through before the phone approved this session's sign-in. Without a first factor the
   * gate lets the request through (the next handler sends it to the login page); with one but no second, it
   * starts a push and sends the browser to the waiting page.
   */
  return [ctx.passport.authenticate('verify-push', gateOptions), requirePassword];
}

export function pageRoutes(ctx: ExampleContext): Router {
  const router = Router();
  const { push, accounts } = ctx;
  const enrolment = push.enrolment();

  router.get(
    '/',
    asyncRoute(async (req, res) => {
      const page = await chrome(req, res, ctx);
      const signedIn = page.username !== undefined;
      res.type('html').send(String(homePage(page, { signedIn, secondFactor: page.secondFactor === true })));
    }),
  );

  /** The devices, when this session may list them: that needs a recent push once the user has a device. */
  async function devicesIfAllowed(req: Request): Promise<AccountDevices | undefined> {
    try {
      return (await enrolment.factorsOf(req)).map((f) => ({ friendlyName: f.friendlyName, status: f.status, createdAt: f.dateCreated.slice(0, 10) }));
    } catch (error) {
      if (isVerifyPushError(error) && error.code === 'STEP_UP_REQUIRED') return undefined;
      throw error;
    }
  }

  router.get(
    PAGES.account,
    ...signedInGate(ctx),
    asyncRoute(async (req, res) => {
      const user = currentUser(req) as PublicUser;
      if (wantsJson(req)) {
        res.json({ username: user.username, displayName: user.displayName });
        return;
      }
      const [factors, email, notices] = await Promise.all([devicesIfAllowed(req), currentEmail(accounts, user), accounts.notices(user.id)]);
      res.type('html').send(
        String(
          accountPage(await chrome(req, res, ctx), {
            displayName: user.displayName,
            username: user.username,
            email,
            remembered: letInByRememberedBrowser(req),
            ...(factors ? { factors } : {}),
            notices,
            flash: takeNotices(req),
            policy: ctx.policy,
          }),
        ),
      );
    }),
  );

  return router;
}

type AccountDevices = Array<{ friendlyName: string; status: string; createdAt: string }>;
