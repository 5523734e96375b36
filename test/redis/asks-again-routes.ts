/**
 * The routes of an instance (instance-app.ts) that ask the phone again after the login, mounted when a
 * deployment asks for them (`asksAgainRoutes`): a page behind step-up by age, a payment behind transaction
 * approval, and "sign out everywhere" for remembered browsers. The login route's "remember this browser" box
 * and the strategy's `rememberBrowser` option belong to the same set and are chosen in instance-app.ts.
 */
import type { Express, Request } from 'express';
import type { Passport } from 'passport';
import type { VerifyPushStrategy } from '../../src/passport/strategy.js';
import type { ApprovedAction, VerifyPushAuthenticateOptions } from '../../src/types.js';
import type { ClusterUser } from './instance-app.js';

/** A payment the handler made, with the approval it rests on (its audit record). */
export interface PaidEvent {
  instance: string;
  user: string;
  amount: string;
  payee: string;
  challengeSid: string;
}

/** The step-up route: the session's last push must be at most 5 minutes old. */
export const STEP_UP: VerifyPushAuthenticateOptions = {
  gate: true,
  maxAge: 300,
  message: 'Approve changing your e-mail address?',
  fields: [{ label: 'Action', value: 'Change e-mail address' }],
};

/** The login route's "remember this browser" box: a header here. */
export const REMEMBER_IF_ASKED: VerifyPushAuthenticateOptions['remember'] = (req) => req.headers['x-remember-browser'] === 'yes';

/** The strategy's remembered-browser cookie, over plain HTTP as the tests speak it. */
export const REMEMBER_BROWSER = { days: 30, secure: false };

export function mountAsksAgainRoutes(
  app: Express,
  passport: InstanceType<typeof Passport>,
  strategy: VerifyPushStrategy<ClusterUser>,
  instance: string,
  onPaid: (event: PaidEvent) => void,
): void {
  app.get('/settings/email', passport.authenticate('verify-push', STEP_UP), (req, res) => {
    res.json({ page: 'change e-mail', instance, sessionID: req.sessionID });
  });

  app.post(
    '/payments',
    strategy.approve((req: Request) => {
      const { amount, payee } = req.body as { amount: string; payee: string };
      return { type: 'payment', data: { amount, currency: 'EUR', payee }, message: `Pay ${amount} EUR to ${payee}?` };
    }),
    (req, res) => {
      const approved = strategy.approvedAction(req) as ApprovedAction;
      const user = (req.user as ClusterUser).name;
      onPaid({ instance, user, amount: approved.data.amount ?? '', payee: approved.data.payee ?? '', challengeSid: approved.challengeSid });
      res.json({ paid: true, instance, challengeSid: approved.challengeSid });
    },
  );

  app.post('/sign-out-everywhere', (req, res, next) => {
    strategy.forgetBrowsers(req.user as ClusterUser).then(() => res.json({ forgotten: true, instance }), next);
  });
}
