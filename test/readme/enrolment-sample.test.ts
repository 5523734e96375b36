import { pathToFileURL } from 'node:url';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { VerifyPushStrategy } from 'passport-twilio-verify-push';
import { VerifyPushEmulator, type RunningEmulator } from '../../src/testing/index.js';
import { readmeBlock, writeGenerated } from './readme-blocks.js';

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await VerifyPushEmulator.start();
});
afterAll(() => emulator.close());

it('runs the README enrolment routes: only for the signed-in user, and the token really enrols a phone', async () => {
  const serviceSid = await emulator.createService('README enrolment');
  const push = new VerifyPushStrategy({
    client: emulator.client(),
    serviceSid,
    identitySecret: 'readme-enrolment-identity-secret-0123456789',
  });
  const app = express();
  app.use(express.json());
  app.use(session({ secret: 'readme', resave: false, saveUninitialized: false }));
  app.use(passport.session());
  app.post('/password', (req, res, next) => req.logIn({ id: '9' }, (err) => (err ? next(err) : res.sendStatus(204))));
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));
  const source = `export function mount(app: any, push: any) {\n${readmeBlock('enrolment')}\n}\n`;
  const file = writeGenerated('readme/enrolment/routes.ts', source);
  const { mount } = (await import(pathToFileURL(file).href)) as { mount(app: unknown, push: unknown): void };
  mount(app, push);
  const agent = request.agent(app);

  await agent.post('/account/push/token').expect(401, { error: 'NOT_AUTHENTICATED' });
  await agent.post('/password').expect(204);
  const identity = await push.identityOf({ id: '9' }, {} as never);
  // An identity in the body is ignored: the token is for the signed-in user.
  const minted = await agent.post('/account/push/token').send({ identity: 'someone-else-1234' }).expect(200);
  expect(minted.body).toMatchObject({ identity, serviceSid, factorType: 'push' });

  const { factorSid } = await emulator.device().register({ serviceSid, identity, accessToken: minted.body.token });
  const listed = await agent.get('/account/push/factors').expect(200);
  expect(listed.body.factors.map((f: { sid: string }) => f.sid)).toEqual([factorSid]);
  await agent.delete(`/account/push/factors/${factorSid}`).expect(204);
  await agent.get('/account/push/factors').expect(200, { factors: [] });
});
