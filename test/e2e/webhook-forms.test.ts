/**
 * The strategy's webhook against the emulator's deliveries in every form Twilio may send them: form-encoded or
 * JSON signed through `bodySHA256`, and retried after a lost answer with the same `uuid` or a new one.
 * A real Express app with express-session and Passport, the strategy from the package entry, its webhook
 * mounted before any body parser; the emulator's simulated phone answers. Whatever the form, each challenge
 * ends in exactly one recorded outcome.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import passportModule from 'passport';
import supertest from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VerifyPushStrategy, type DeniedEvent, type VerifyFunction, type VerifyPushAuthenticateOptions } from '../../src/index.js';
import { VerifyPushEmulator, type RunningEmulator, type SimulatedDevice, type WebhookBodyFormat } from '../../src/testing/index.js';

const CALLBACK_OPTIONS: VerifyPushAuthenticateOptions = { pending: 'callback' };

interface User {
  id: string;
  name: string;
}

const ALICE: User = { id: 'u-2001', name: 'alice' };

interface Setup {
  emulator: RunningEmulator;
  phone: SimulatedDevice;
  ref: { serviceSid: string; identity: string; factorSid: string };
  webhookSid: string;
  agent: ReturnType<typeof supertest.agent>;
  /** Logins the verify callback let through. */
  logins: string[];
  denials: Array<DeniedEvent<User>>;
  close(): Promise<void>;
}

let setup: Setup;

async function start(format: WebhookBodyFormat): Promise<Setup> {
  const emulator = await VerifyPushEmulator.start();
  const serviceSid = await emulator.createService('Webhook forms');
  const logins: string[] = [];
  const denials: Array<DeniedEvent<User>> = [];
  const verify: VerifyFunction<User> = (user, challenge, done) => {
    logins.push(challenge.challengeSid);
    done(null, user);
  };
  const strategy = new VerifyPushStrategy<User>(
    {
      client: emulator.client({ timeout: 5000 }),
      authToken: emulator.authToken,
      serviceSid,
      identitySecret: 'webhook-forms-identity-secret-0123456789',
      appName: 'Forms App',
      onDenied: (event) => void denials.push(event),
    },
    verify,
  );
  const identity = await strategy.identityOf(ALICE);
  const phone = emulator.device();
  const { factorSid } = await phone.register({ serviceSid, identity });

  const passport = new passportModule.Passport();
  passport.use(strategy);
  passport.serializeUser((user, done) => done(null, (user as User).id));
  passport.deserializeUser((id: string, done) => done(null, id === ALICE.id ? ALICE : false));

  const app = express();
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const webhookUrl = `${url}/twilio/verify`;
  // Before any body parser: the handler reads the raw body, which a JSON signature covers byte for byte.
  app.post('/twilio/verify', strategy.webhook({ url: webhookUrl }));
  app.use(session({ secret: 'webhook-forms-session', resave: false, saveUninitialized: false }));
  app.use(passport.initialize());
  app.use(passport.session());
  app.use(express.json());
  app.post('/login', (req, res, next) => req.logIn(ALICE, (err) => (err ? next(err) : res.json({ ok: true }))));
  app.post('/login/push', passport.authenticate('verify-push', { failureRedirect: '/login/failed' }), (req, res) =>
    res.json({ loggedIn: (req.user as User).name }),
  );
  app.post('/login/push/cb', (req, res, next) => {
    passport.authenticate('verify-push', CALLBACK_OPTIONS, (err: unknown, user: User | false, info: object | undefined, status: number | undefined) => {
      if (err) return next(err);
      if (!user) return res.status(status ?? 401).json(info ?? {});
      return req.logIn(user, (loginErr) => (loginErr ? next(loginErr) : res.json({ loggedIn: user.name })));
    })(req, res, next);
  });
  app.use((err: Error & { status?: number; code?: string }, _req: Request, res: Response, _next: NextFunction) => {
    res.status(err.status ?? 500).json({ code: err.code ?? 'INTERNAL' });
  });

  const webhook = await emulator.client().verify.v2.services(serviceSid).webhooks.create({
    friendlyName: 'app',
    eventTypes: ['challenge.approved', 'challenge.denied'],
    webhookUrl,
  });
  emulator.setWebhookBody(webhook.sid, format);
  const agent = supertest.agent(url).set('Accept', 'application/json');
  return {
    emulator,
    phone,
    ref: { serviceSid, identity, factorSid },
    webhookSid: webhook.sid,
    agent,
    logins,
    denials,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await emulator.close();
    },
  };
}

/** Password, then the push: resolves with the challenge the phone now shows. */
async function loginUntilPending(): Promise<string> {
  await setup.agent.post('/login').send({}).expect(200);
  await setup.agent.post('/login/push').expect(202);
  const [challenge] = await setup.phone.challenges({ ...setup.ref, status: 'pending', limit: 1 });
  if (!challenge) throw new Error('no pending challenge on the phone');
  return challenge.sid;
}

function confirmingFetches(): number {
  return setup.emulator.calls({ source: 'api', operation: 'fetchChallenge' }).length;
}

afterEach(async () => {
  await setup.close();
});

describe.each(['form', 'json'] as const)('%s webhook bodies', (format) => {
  beforeEach(async () => {
    setup = await start(format);
  });

  it('complete a login: the webhook records the approval, the next poll logs in without asking Twilio', async () => {
    const challengeSid = await loginUntilPending();
    await setup.phone.approve({ ...setup.ref, challengeSid });
    await setup.emulator.webhooksSettled();
    expect(setup.emulator.deliveries().map((d) => [d.format, d.status])).toEqual([[format, 200]]);
    // The webhook's own confirming fetch; the login below reads what it recorded.
    expect(confirmingFetches()).toBe(1);
    await setup.agent.post('/login/push').expect(200, { loggedIn: 'alice' });
    expect(confirmingFetches()).toBe(1);
    expect(setup.logins).toEqual([challengeSid]);
  });

  describe.each(['same', 'new'] as const)('a delivery retried after its answer was lost, with the %s uuid', (retryUuid) => {
    it('records one denial: onDenied fires once', async () => {
      const challengeSid = await loginUntilPending();
      setup.emulator.faults.webhooks({ lostAnswers: 1, retryUuid });
      await setup.phone.deny({ ...setup.ref, challengeSid });
      await setup.emulator.webhooksSettled();

      const attempts = setup.emulator.deliveries();
      expect(attempts.map((d) => [d.attempt, d.outcome, d.status ?? d.error])).toEqual([
        [1, 'failed', 'answer lost (injected fault)'],
        [2, 'sent', 200],
      ]);
      expect(attempts[1]?.uuid === attempts[0]?.uuid).toBe(retryUuid === 'same');
      expect(setup.denials.map((d) => [d.identity, d.count])).toEqual([[setup.ref.identity, 1]]);
      const refused = await setup.agent.post('/login/push/cb');
      expect([refused.status, refused.body]).toMatchObject([401, { code: 'CHALLENGE_DENIED' }]);
      expect(setup.denials).toHaveLength(1);
    });

    it('completes one login', async () => {
      const challengeSid = await loginUntilPending();
      setup.emulator.faults.webhooks({ lostAnswers: 1, retryUuid });
      await setup.phone.approve({ ...setup.ref, challengeSid });
      await setup.emulator.webhooksSettled();

      expect(setup.emulator.deliveries().map((d) => [d.attempt, d.status ?? d.error])).toEqual([
        [1, 'answer lost (injected fault)'],
        [2, 200],
      ]);
      await setup.agent.post('/login/push').expect(200, { loggedIn: 'alice' });
      // Polling again after the login is not a second login.
      await setup.agent.post('/login/push/cb').expect(200, { loggedIn: 'alice' });
      expect(setup.logins).toEqual([challengeSid]);
    });
  });
});
