/**
 * "Send money": one payment, approved on the phone as a transaction. `push.approve(describe)` pushes a request
 * that shows the amount and payee, answers 202 while the phone has not answered (the page's script sends the
 * same request again after `pollAfterMs`), and lets exactly that payment through once, and only once, when
 * the phone approved it. Another amount or payee is another action: it needs its own approval.
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import { PAGES, type ExampleContext } from '../context.js';
import { asyncRoute, chrome, currentUser } from '../http-helpers.js';
import { describePayment, readPayment } from '../payment-form.js';
import type { PublicUser } from '../users.js';
import { sendMoneyPage } from '../views/send-money.js';
import { signedInGate } from './pages.js';

export function sendMoneyRoutes(ctx: ExampleContext): Router {
  const router = Router();
  const { push, accounts } = ctx;

  router.get(
    PAGES.sendMoney,
    ...signedInGate(ctx),
    asyncRoute(async (req, res) => {
      const user = currentUser(req) as PublicUser;
      res.type('html').send(String(sendMoneyPage(await chrome(req, res, ctx), { payments: await accounts.payments(user.id) })));
    }),
  );

  // A payment that cannot be sent is refused before any push.
  const wellFormed = (req: Request, res: Response, next: NextFunction): void => {
    const payment = readPayment(req.body);
    if ('problem' in payment) {
      res.status(400).json({ code: 'INVALID_PAYMENT', message: payment.problem });
      return;
    }
    next();
  };

  const approved = push.approve((req: Request) => {
    const payment = readPayment(req.body);
    if ('problem' in payment) throw new Error(payment.problem);
    return describePayment(payment);
  });

  router.post(
    PAGES.sendMoney,
    wellFormed,
    approved,
    asyncRoute(async (req, res) => {
      const user = currentUser(req) as PublicUser;
      const action = push.approvedAction(req);
      if (!action) throw new Error('The payment handler ran without an approved action.');
      // Pay what the phone approved (the action's data), which is what this request asked for: the digest matched.
      const payment = { amount: action.data.amount ?? '', currency: action.data.currency ?? '', payee: action.data.payee ?? '', approvedAt: action.approvedAt.toISOString() };
      await accounts.addPayment(user.id, payment);
      // The audit line: who, what, and which approval (challenge and device) allowed it.
      ctx.log(`Payment: ${user.username} sent ${payment.amount} ${payment.currency} to ${payment.payee}, approved on device ${action.factorSid} (challenge ${action.challengeSid}, digest ${action.digest})`);
      res.json({ paid: true, payment });
    }),
  );

  return router;
}
