import { createHmac } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { VerifyPushEmulator, type RunningEmulator } from '../../src/testing/index.js';
import { MY_APP, readmeBlock, replaceExactly, writeGenerated } from './readme-blocks.js';

const IDENTITY_SECRET = 'readme-quick-start-identity-secret-0123456789';

let emulator: RunningEmulator;
let server: Server;
let app: RequestListener | undefined;

beforeAll(async () => {
  emulator = await VerifyPushEmulator.start();
  // Listen first: the quick start reads PUBLIC_URL when it is imported.
  server = createServer((req, res) => (app ? app(req, res) : res.writeHead(503).end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const serviceSid = await emulator.createService('README quick start');
  await emulator
    .client()
    .verify.v2.services(serviceSid)
    .webhooks.create({
      friendlyName: 'quick start',
      eventTypes: ['challenge.approved', 'challenge.denied'],
      webhookUrl: `${publicUrl}/twilio/verify-webhook`,
    });
  Object.assign(process.env, {
    TWILIO_ACCOUNT_SID: emulator.accountSid,
    TWILIO_AUTH_TOKEN: emulator.authToken,
    TWILIO_VERIFY_SERVICE_SID: serviceSid,
    VERIFY_IDENTITY_SECRET: IDENTITY_SECRET,
    SESSION_SECRET: 'readme-session-secret',
    PUBLIC_URL: publicUrl,
  });
  (globalThis as { readmeTwilioClient?: unknown }).readmeTwilioClient = emulator.client();
  writeGenerated('readme/quick-start/my-app.ts', MY_APP);
  const source = replaceExactly(
    readmeBlock('quick-start'),
    'twilio(process.env.TWILIO_ACCOUNT_SID, process.env.TWILIO_AUTH_TOKEN)',
    // The one change: the real twilio client, pointed at the emulator instead of Twilio's host.
    '(globalThis as { readmeTwilioClient?: any }).readmeTwilioClient',
  );
  const file = writeGenerated('readme/quick-start/app.ts', source);
  const module = (await import(pathToFileURL(file).href)) as { app: RequestListener };
  app = module.app;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await emulator.close();
});

it('runs the README quick start: password, push approved on the phone, account page', async () => {
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
