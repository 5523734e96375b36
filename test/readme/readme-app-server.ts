/**
 * A README sample that is a whole app (the quick start, the one for several instances), run as a user runs it:
 * its settings in process.env, the './my-app.js' it imports beside it, and one change only, its Twilio client
 * being the real SDK pointed at the emulator. The server listens before the sample is imported, because the
 * sample reads PUBLIC_URL as it loads; until then it answers 503.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { VerifyPushEmulator, type RunningEmulator } from '../../src/testing/index.js';
import { MY_APP, readmeBlock, replaceExactly, writeGenerated } from './readme-blocks.js';

export interface RunningReadmeApp<Sample> {
  emulator: RunningEmulator;
  server: Server;
  /** What the sample's module exports. */
  sample: Sample;
  /** Stops the server and the emulator (what the sample itself holds open is the test's to close first). */
  close(): Promise<void>;
}

/** Starts the README block `block` (`quick-start`, ...) on a service and webhook of its own in the emulator. */
export async function startReadmeApp<Sample extends { app: RequestListener }>(block: string, identitySecret: string): Promise<RunningReadmeApp<Sample>> {
  const title = block.replaceAll('-', ' ');
  const emulator = await VerifyPushEmulator.start();
  let app: RequestListener | undefined;
  const server = createServer((req, res) => (app ? app(req, res) : res.writeHead(503).end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const serviceSid = await emulator.createService(`README ${title}`);
  await emulator
    .client()
    .verify.v2.services(serviceSid)
    .webhooks.create({ friendlyName: title, eventTypes: ['challenge.approved', 'challenge.denied'], webhookUrl: `${publicUrl}/twilio/verify-webhook` });
  Object.assign(process.env, {
    TWILIO_ACCOUNT_SID: emulator.accountSid,
    TWILIO_AUTH_TOKEN: emulator.authToken,
    TWILIO_VERIFY_SERVICE_SID: serviceSid,
    VERIFY_IDENTITY_SECRET: identitySecret,
    SESSION_SECRET: `readme-${block}-session-secret`,
    PUBLIC_URL: publicUrl,
  });
  (globalThis as { readmeTwilioClient?: unknown }).readmeTwilioClient = emulator.client();
  writeGenerated(`readme/${block}/my-app.ts`, MY_APP);
  const source = replaceExactly(
    readmeBlock(block),
    'twilio(process.env.TWILIO_ACCOUNT_SID, process.env.TWILIO_AUTH_TOKEN)',
    '(globalThis as { readmeTwilioClient?: any }).readmeTwilioClient',
  );
  const file = writeGenerated(`readme/${block}/app.ts`, source);
  const sample = (await import(pathToFileURL(file).href)) as Sample;
  app = sample.app;
  return {
    emulator,
    server,
    sample,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await emulator.close();
    },
  };
}
