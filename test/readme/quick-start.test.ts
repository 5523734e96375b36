import { createHmac } from 'node:crypto';
import type { RequestListener } from 'node:http';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startReadmeApp, type RunningReadmeApp } from './readme-app-server.js';

const IDENTITY_SECRET = 'readme-quick-start-identity-secret-0123456789';

let running: RunningReadmeApp<{ app: RequestListener }>;

beforeAll(async () => {
  running = await startReadmeApp('quick-start', IDENTITY_SECRET);
});

afterAll(async () => {
  await running?.close();
});

it('runs the README quick start: password, push approved on the phone, account page', async () => {
  const { emulator, server } = running;
  const identity = createHmac('sha256', IDENTITY_SECRET).update('7').digest('hex');
  const serviceSid = process.env.TWILIO_VERIFY_SERVICE_SID!;
  const phone = emulator.device();
  const { factorSid } = await phone.register({ serviceSid, identity });
  emulator.clearCalls();
  const agent = request.agent(server);

  // Anonymous: the one-liner lets the app's own pages answer.
  await agent.get('/login').expect(200, /<form/);
  await agent.get('/account').expect(302).expect('Location', '/login');
  await agent.post('/login').type('form').send({ username: 'ada', password: 'correct horse' }).expect(302).expect('Location', '/account');
  await agent.get('/account').expect(303).expect('Location', '/login/push/wait');
  await agent.get('/login/push/wait').expect(200, /Check your phone/);

  const [challenge] = await phone.challenges({ serviceSid, identity, factorSid, status: 'pending' });
  expect(challenge?.details.message).toBe('Approve sign-in to Acme?');
  await phone.approve({ serviceSid, identity, factorSid, challengeSid: challenge!.sid });
  await emulator.webhooksSettled();

  // The waiting page goes back to /account: the gate completes the login there, then lets it through.
  await agent.get('/account').expect(200, 'Welcome!');
  await agent.get('/account').expect(200, 'Welcome!');
  // Create + the webhook's confirming fetch, after the factor lookup.
  expect(emulator.calls({ source: 'api' }).map((c) => c.operation)).toEqual([
    'listFactors',
    'createChallenge',
    'fetchChallenge',
  ]);
});
