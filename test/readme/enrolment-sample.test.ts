import express from 'express';
import session from 'express-session';
import passport from 'passport';
import request from 'supertest';
import { expect, it } from 'vitest';
import { VerifyPushStrategy } from 'passport-twilio-verify-push';
import { useEmulatorOnMovableClock } from './emulator-on-movable-clock.js';
import { mountSamples } from './readme-blocks.js';

const readme = useEmulatorOnMovableClock();

it('runs the README enrolment routes: signed-in user only, first phone on trust, later changes need a fresh push', async () => {
  const { emulator, clock, advance, untilAnswered } = readme;
  const serviceSid = await emulator.createService('README enrolment');
  const push = new VerifyPushStrategy({
    client: emulator.client(),
    serviceSid,
    identitySecret: 'readme-enrolment-identity-secret-0123456789',
    pollIntervalMs: 1000,
    clock,
  });
  passport.use(push);
  const app = express();
  app.use(express.json());
  app.use(session({ secret: 'readme', resave: false, saveUninitialized: false }));
  app.use(passport.session());
  app.post('/password', (req, res, next) => req.logIn({ id: '9' }, (err) => (err ? next(err) : res.sendStatus(204))));
  app.post('/login/push', passport.authenticate('verify-push'), (_req, res) => res.json({ ok: true }));
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));
  await mountSamples(['enrolment'], 'enrolment', { app, passport, push });
  const agent = request.agent(app);

  await agent.post('/account/push/token').expect(401, { error: 'NOT_AUTHENTICATED' });
  await agent.post('/password').expect(204);
  const identity = await push.identityOf({ id: '9' }, {} as never);
  // An identity in the body is ignored: the token is for the signed-in user.
  const minted = await agent.post('/account/push/token').send({ identity: 'someone-else-1234' }).expect(200);
  expect(minted.body).toMatchObject({ identity, serviceSid, factorType: 'push' });

  // Trust on first use: the first phone is enrolled with the password alone.
  const phone = emulator.device();
  const { factorSid } = await phone.register({ serviceSid, identity, accessToken: minted.body.token });
  // From now on, changing devices needs the push too.
  await agent.get('/account/push/factors').expect(403, { error: 'SECOND_FACTOR_REQUIRED' });
  await agent.post('/account/push/token').expect(403, { error: 'SECOND_FACTOR_REQUIRED' });

  const pending = await agent.post('/login/push').set('Accept', 'application/json').expect(202);
  await phone.approveTransaction({ serviceSid, identity, factorSid, transactionId: pending.body.transactionId });
  const answer = await untilAnswered(() => agent.post('/login/push').set('Accept', 'application/json'));
  expect(answer.status).toBe(200);

  const listed = await agent.get('/account/push/factors').expect(200);
  expect(listed.body.factors.map((f: { sid: string }) => f.sid)).toEqual([factorSid]);

  // Hours later the same session is signed in, but changing devices needs a fresh approval: the page asks for
  // one on the confirm route, waits for the phone, and tries again.
  advance(6 * 60 * 60_000);
  await agent.post('/account/push/token').expect(403, { error: 'STEP_UP_REQUIRED' });
  const confirm = await agent.post('/account/push/confirm').set('Accept', 'application/json').expect(202);
  expect(confirm.body).toMatchObject({ purpose: 'step-up', message: 'Approve changing your devices?' });
  await phone.approveTransaction({ serviceSid, identity, factorSid, transactionId: confirm.body.transactionId });
  const confirmed = await untilAnswered(() => agent.post('/account/push/confirm').set('Accept', 'application/json'));
  expect(confirmed.status).toBe(200);
  await agent.delete(`/account/push/factors/${factorSid}`).expect(204);
  await agent.get('/account/push/factors').expect(200, { factors: [] });
});
