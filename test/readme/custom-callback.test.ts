import { createHmac } from 'node:crypto';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import request from 'supertest';
import { expect, it } from 'vitest';
import { VerifyPushStrategy } from 'passport-twilio-verify-push';
import { useEmulatorOnMovableClock } from './emulator-on-movable-clock.js';
import { mountSamples } from './readme-blocks.js';

const SECRET = 'readme-custom-callback-identity-secret-0123';
const readme = useEmulatorOnMovableClock();

it('runs the README custom callback: 202 while pending, then a JSON login', async () => {
  const { emulator, clock, untilAnswered } = readme;
  const serviceSid = await emulator.createService('README custom callback');
  const identity = createHmac('sha256', SECRET).update('42').digest('hex');
  const phone = emulator.device();
  const { factorSid } = await phone.register({ serviceSid, identity });

  const instance = new passport.Passport() as unknown as passport.PassportStatic;
  instance.use(
    new VerifyPushStrategy({ client: emulator.client(), serviceSid, identitySecret: SECRET, pollIntervalMs: 1000, clock }),
  );
  instance.serializeUser((user, done) => done(null, user));
  instance.deserializeUser((user: Express.User, done) => done(null, user));
  const app = express();
  app.use(express.json());
  app.use(session({ secret: 'readme', resave: false, saveUninitialized: false }));
  app.use(instance.session());
  // Stand-in for the password step: logs the user in with their first factor.
  app.post('/password', (req, res, next) => req.logIn({ id: '42' }, (err) => (err ? next(err) : res.sendStatus(204))));
  // The sample uses `app` and `passport` from the surrounding app.
  await mountSamples(['custom-callback'], 'custom-callback', { app, passport: instance });
  const agent = request.agent(app);

  await agent.post('/password').expect(204);
  const pending = await agent.post('/api/login/push').set('Accept', 'application/json').expect(202);
  expect(pending.body).toMatchObject({ status: 'pending', code: 'CHALLENGE_PENDING' });
  expect(typeof pending.body.transactionId).toBe('string');

  await phone.approveTransaction({ serviceSid, identity, factorSid, transactionId: pending.body.transactionId });
  // A JSON client waits the poll hint between checks (here on the shared clock); the approval is seen on the
  // first fetch after it.
  const answer = await untilAnswered(() => agent.post('/api/login/push').set('Accept', 'application/json'));
  expect(answer.status).toBe(200);
  expect(answer.body).toEqual({ ok: true });
});
