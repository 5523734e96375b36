/**
 * The README's "Step-up", "Approving a transaction" and "Remembered browsers" samples, run as a user's app
 * would run them: mounted on one Express app with the built package, against the emulator, with a phone that
 * approves silently (the transaction id from the pending answer) and a clock the test moves.
 */
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import request from 'supertest';
import { expect, it } from 'vitest';
import { VerifyPushStrategy } from 'passport-twilio-verify-push';
import { useEmulatorOnMovableClock } from './emulator-on-movable-clock.js';
import { mountSamples } from './readme-blocks.js';

const readme = useEmulatorOnMovableClock();

it('runs the README step-up, transaction and remembered-browser samples', async () => {
  const { emulator, clock, advance, untilAnswered } = readme;
  const serviceSid = await emulator.createService('README when to push');
  const push = new VerifyPushStrategy({
    client: emulator.client(),
    serviceSid,
    identitySecret: 'readme-when-to-push-identity-secret-0123456789',
    pollIntervalMs: 1000,
    rememberBrowser: { days: 30, secure: false },
    clock,
  });
  const instance = new passport.Passport();
  instance.use(push);
  instance.serializeUser((user, done) => done(null, user));
  instance.deserializeUser((user: Express.User, done) => done(null, user));
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(session({ secret: 'readme', resave: false, saveUninitialized: false }));
  app.use(instance.session());
  app.post('/password', (req, res, next) => req.logIn({ id: '9' }, (err) => (err ? next(err) : res.sendStatus(204))));
  app.post('/logout', (req, res, next) => req.logout((err) => (err ? next(err) : res.sendStatus(204))));
  await mountSamples(['step-up', 'approve-action', 'remembered'], 'when-to-push', { app, passport: instance, push });
  app.get('/account', (req, res) => res.json({ account: (req.user as { id: string }).id }));
  app.use((err: { code?: string; message?: string; status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(err.status ?? 500).json({ code: err.code ?? 'INTERNAL', message: err.message });
  });

  const identity = await push.identityOf({ id: '9' });
  const phone = emulator.device();
  const { factorSid } = await phone.register({ serviceSid, identity });
  const approveOnPhone = (transactionId: string) => phone.approveTransaction({ serviceSid, identity, factorSid, transactionId });
  const agent = request.agent(app);

  // Password, "remember this browser", then the login push, approved: the account page.
  await agent.post('/password').expect(204);
  await agent.post('/login/remember').type('form').send({ remember: 'on' }).expect(302);
  const login = await agent.get('/account').set('Accept', 'application/json').expect(202);
  await approveOnPhone(login.body.transactionId);
  const account = await untilAnswered(() => agent.get('/account').set('Accept', 'application/json'));
  expect(account.status).toBe(200);
  const cookies = account.headers['set-cookie'] as unknown as string[] | undefined;
  expect(cookies?.some((cookie) => cookie.startsWith('verify_push_browser='))).toBe(true);

  // Step-up: recent enough now; five minutes later the page asks the phone again, with its own message.
  await agent.get('/settings/email').set('Accept', 'application/json').expect(200);
  advance(301_000);
  const stepUp = await agent.get('/settings/email').set('Accept', 'application/json').expect(202);
  expect(stepUp.body).toMatchObject({ purpose: 'step-up', returnTo: '/settings/email', message: 'Approve changing your e-mail address?' });
  await approveOnPhone(stepUp.body.transactionId);
  expect((await untilAnswered(() => agent.get('/settings/email').set('Accept', 'application/json'))).status).toBe(200);

  // A payment: the phone shows it, the same request goes through once approved, and only once.
  const payment = { amount: '120.00', payee: 'ACME Ltd' };
  const asked = await agent.post('/payments').set('Accept', 'application/json').send(payment).expect(202);
  expect(asked.body).toMatchObject({ purpose: 'action', message: 'Pay 120.00 EUR to ACME Ltd?' });
  await approveOnPhone(asked.body.transactionId);
  const paid = await untilAnswered(() => agent.post('/payments').set('Accept', 'application/json').send(payment));
  expect(paid.status).toBe(200);
  expect(paid.body).toEqual({ paid: { amount: '120.00', currency: 'EUR', payee: 'ACME Ltd' } });
  await agent.post('/payments').set('Accept', 'application/json').send(payment).expect(202);

  // The remembered browser: after logout and the password, the account opens without a push...
  await agent.post('/logout').expect(204);
  await agent.post('/password').expect(204);
  emulator.clearCalls();
  await agent.get('/account').set('Accept', 'application/json').expect(200);
  expect(emulator.calls({ operation: 'createChallenge', source: 'api' })).toHaveLength(0);
  // ... until "sign out everywhere": then the next sign-in pushes again.
  await agent.post('/sign-out-everywhere').expect(302);
  await agent.post('/password').expect(204);
  await agent.get('/account').set('Accept', 'application/json').expect(202);
});
