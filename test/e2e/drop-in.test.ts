/**
 * The one-line drop-in as the README leads with it: `app.use(passport.authenticate('verify-push'))` in front of
 * a whole app, with no options. Anonymous visitors must still reach the app's own pages (login included), a
 * password-only session must be challenged before any protected handler runs, and a verified one passes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import express5 from 'express';
import session from 'express-session';
import passport07 from 'passport';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { VerifyPushStrategy } from '../../src/passport/strategy.js';
import { answerOnPhone, IDENTITY_SECRET, USERS, useWorld, type User, type World } from './harness.js';

const require = createRequire(import.meta.url);
const world = useWorld();

async function dropInApp(world: World, expressVersion: 4 | 5): Promise<{ url: string; close(): Promise<void> }> {
  const express = (expressVersion === 4 ? require('express4') : express5) as typeof express5;
  const passport = new passport07.Passport();
  const push = new VerifyPushStrategy<User>({
    client: world.emulator.client(),
    authToken: world.emulator.authToken,
    serviceSid: world.serviceSid,
    identitySecret: IDENTITY_SECRET,
    waitUrl: '/login/push/wait',
    clock: world.clock.now,
  });
  passport.use(push);
  passport.serializeUser((user, done) => done(null, (user as User).id));
  passport.deserializeUser((id: string, done) => done(null, Object.values(USERS).find((u) => u.id === id) ?? false));

  const app = express();
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  app.post('/twilio/verify-webhook', push.webhook({ url: `${url}/twilio/verify-webhook` }));
  const hooks = world.emulator.client().verify.v2.services(world.serviceSid).webhooks;
  for (const hook of await hooks.list()) await hooks(hook.sid).remove();
  await hooks.create({ friendlyName: 'drop-in', eventTypes: ['challenge.approved', 'challenge.denied'], webhookUrl: `${url}/twilio/verify-webhook` });
  app.use(session({ secret: 'drop-in-session-secret', resave: false, saveUninitialized: false }));
  app.use(passport.session());
  app.use(express.json());

  // The line this package exists for, in front of everything below it.
  app.use(passport.authenticate('verify-push'));

  app.get('/', (_req, res) => res.json({ page: 'home' }));
  app.get('/login', (_req, res) => res.json({ page: 'login' }));
  app.post('/login', (req, res, next) => {
    const user = USERS[String((req.body as { username?: unknown }).username)];
    if (!user) return void res.status(401).json({ code: 'BAD_PASSWORD' });
    req.logIn(user, (err) => (err ? next(err) : res.json({ passwordOk: true })));
  });
  app.get('/login/push/wait', (_req, res) => res.json({ page: 'waiting' }));
  app.get('/account', (req, res) => {
    if (!req.user) return void res.status(401).json({ code: 'LOGIN_REQUIRED' });
    res.json({ page: 'account', user: (req.user as User).name });
  });
  return {
    url,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe.each([5, 4] as const)('app.use(passport.authenticate(\'verify-push\')) on Express %s', (expressVersion) => {
  it('lets anonymous visitors reach the home and login pages and the app\'s own login check', async () => {
    const app = await dropInApp(world, expressVersion);
    const browser = supertest.agent(app.url);
    await browser.get('/').expect(200, { page: 'home' });
    await browser.get('/login').expect(200, { page: 'login' });
    await browser.get('/account').expect(401, { code: 'LOGIN_REQUIRED' });
    await app.close();
  });

  it('challenges a password-only session before any protected handler, then lets the verified session pass', async () => {
    const app = await dropInApp(world, expressVersion);
    const browser = supertest.agent(app.url).set('Accept', 'text/html');
    await browser.post('/login').set('Accept', 'application/json').send({ username: 'alice' }).expect(200, { passwordOk: true });

    const challenged = await browser.get('/account').expect(303);
    expect(challenged.headers.location).toBe('/login/push/wait');
    await browser.get('/login/push/wait').expect(200, { page: 'waiting' });
    const api = await browser.get('/account').set('Accept', 'application/json').expect(202);
    expect(api.body.code).toBe('CHALLENGE_PENDING');
    expect(api.body.page).toBeUndefined();

    await answerOnPhone(world, 'alice', 'approve');
    await browser.get('/account').expect(200, { page: 'account', user: 'alice' });
    await browser.get('/account').expect(200, { page: 'account', user: 'alice' });
    await browser.get('/').expect(200, { page: 'home' });
    await app.close();
  });
});
