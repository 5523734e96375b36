import { createHmac } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { VerifyPushStrategy } from 'passport-twilio-verify-push';
import { VerifyPushEmulator, type RunningEmulator } from '../../src/testing/index.js';
import { readmeBlock, writeGenerated } from './readme-blocks.js';

const SECRET = 'readme-custom-callback-identity-secret-0123';
let emulator: RunningEmulator;
// The strategy's and the emulator's clock: a test moves it instead of waiting in real time.
let offset = 0;
const clock = (): number => Date.now() + offset;

beforeAll(async () => {
  emulator = await VerifyPushEmulator.start({ clock });
});
afterAll(() => emulator.close());

/** The README sample as a module: it uses `app` and `passport` from the surrounding app. */
async function mountReadmeSample(app: express.Express, instance: passport.PassportStatic): Promise<void> {
  // The sample's imports stay at the top of the module; the rest runs where `app` and `passport` exist.
  const lines = readmeBlock('custom-callback').split('\n');
  const imports = lines.filter((line) => line.startsWith('import ')).join('\n');
  const body = lines.filter((line) => !line.startsWith('import ')).join('\n');
  const source = `import type express from 'express';\n${imports}\nexport function mount(app: express.Express, passport: any) {\n${body}\n}\n`;
  const file = writeGenerated('readme/custom-callback/routes.ts', source);
  const module = (await import(pathToFileURL(file).href)) as { mount(app: express.Express, p: unknown): void };
  module.mount(app, instance);
}

it('runs the README custom callback: 202 while pending, then a JSON login', async () => {
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
  await mountReadmeSample(app, instance);
  const agent = request.agent(app);

  await agent.post('/password').expect(204);
  const pending = await agent.post('/api/login/push').set('Accept', 'application/json').expect(202);
  expect(pending.body).toMatchObject({ status: 'pending', code: 'CHALLENGE_PENDING' });
  expect(typeof pending.body.transactionId).toBe('string');

  await phone.approveTransaction({ serviceSid, identity, factorSid, transactionId: pending.body.transactionId });
  // A JSON client waits the poll hint between checks (here on the shared clock); the approval is seen on the
  // first fetch after it.
  let answer = await agent.post('/api/login/push').set('Accept', 'application/json');
  for (let polls = 0; answer.status === 202 && polls < 5; polls += 1) {
    offset += answer.body.pollAfterMs;
    answer = await agent.post('/api/login/push').set('Accept', 'application/json');
  }
  expect(answer.status).toBe(200);
  expect(answer.body).toEqual({ ok: true });
});
