/**
 * "Change e-mail address": a page behind step-up by age. `passport.authenticate('verify-push', { gate: true,
 * maxAge, message, fields })` lets the request through only if this session's last push is recent enough;
 * otherwise the phone is asked again with a message saying what for, and the waiting page comes back here
 * (the push's `returnTo`) once it is approved. Saving needs the same: the page's script sends the form as JSON
 * and, if the approval grew too old while the person typed, repeats it while the phone is asked (202).
 */
import { Router, type Request, type Response } from 'express';
import { currentEmail } from '../accounts.js';
import { PAGES, type ExampleContext } from '../context.js';
import { tellUser } from '../notices.js';
import { addNotice, asyncRoute, chrome, currentUser, wantsJson } from '../http-helpers.js';
import { requireRecentPush } from '../recent-push.js';
import type { PublicUser } from '../users.js';
import { emailPage, type EmailView } from '../views/email.js';

const MAX_EMAIL = 254;

/** A plausible address: something@domain.tld, no spaces. (A real app sends a confirmation link as well.) */
function emailOf(value: unknown): string | undefined {
  const text = typeof value === 'string' ? value.trim() : '';
  return text.length <= MAX_EMAIL && /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/.test(text) ? text : undefined;
}

export function emailRoutes(ctx: ExampleContext): Router {
  const router = Router();
  const { accounts, policy } = ctx;
  const recentPush = requireRecentPush(ctx, {
    maxAgeSeconds: policy.stepUpMaxAgeSeconds,
    message: 'Approve changing your e-mail address?',
    fields: [{ label: 'Action', value: 'Change e-mail address' }],
  });
  // The page states the same age limit the gate in front of it applies.
  const page = async (req: Request, res: Response, view: Omit<EmailView, 'maxAgeSeconds'>): Promise<string> =>
    String(emailPage(await chrome(req, res, ctx), { ...view, maxAgeSeconds: policy.stepUpMaxAgeSeconds }));

  router.get(
    PAGES.email,
    recentPush,
    asyncRoute(async (req, res) => {
      const email = await currentEmail(accounts, currentUser(req) as PublicUser);
      res.type('html').send(await page(req, res, { email }));
    }),
  );

  router.post(
    PAGES.email,
    recentPush,
    asyncRoute(async (req, res) => {
      const user = currentUser(req) as PublicUser;
      const before = await currentEmail(accounts, user);
      const typed = (req.body as { email?: unknown } | undefined)?.email;
      const email = emailOf(typed);
      if (!email) {
        const problem = 'Enter an e-mail address such as name@example.com.';
        if (wantsJson(req)) {
          res.status(400).json({ code: 'INVALID_EMAIL', message: problem });
          return;
        }
        const view = { email: before, typed: typeof typed === 'string' ? typed.slice(0, MAX_EMAIL) : '', problem };
        res.status(400).type('html').send(await page(req, res, view));
        return;
      }
      // Told at the old address, as a real app would, before the change takes effect.
      await tellUser(ctx, user, `Your e-mail address was changed from ${before} to ${email}. If this was not you, sign out everywhere and change your password.`);
      await accounts.setEmail(user.id, email);
      addNotice(req, `Your e-mail address is now ${email}.`);
      if (wantsJson(req)) res.json({ saved: true, email });
      else res.redirect(303, PAGES.account);
    }),
  );

  return router;
}
