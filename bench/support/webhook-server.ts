/**
 * Child process of bench/webhook-throughput.ts: one Express app with `strategy.webhook()` and a bare
 * route that parses the same form body and answers 200. The strategy's store is a MemoryChallengeStore
 * the parent seeds over IPC; its Twilio client points at the parent's emulator (for confirming fetches).
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { MemoryChallengeStore, VerifyPushStrategy, type ChallengeRecord } from '../../src/index.js';
// The emulator lives in the parent process; this builds a twilio client aimed at its URL.
import { emulatorClient } from '../../src/testing/sdk-client.js';
import { serveParent } from './child.js';

export interface WebhookServerConfig {
  emulatorUrl: string;
  accountSid: string;
  authToken: string;
  serviceSid: string;
  /** The public URL Twilio is configured to call (signatures are made for it). */
  publicUrl: string;
}

export interface WebhookServerReady {
  port: number;
  ourPath: string;
  barePath: string;
}

const config = JSON.parse(process.argv[2] ?? '{}') as WebhookServerConfig;
const server = createServer();
server.keepAliveTimeout = 30_000;
const store = new MemoryChallengeStore();

async function setup(): Promise<WebhookServerReady> {
  const strategy = new VerifyPushStrategy({
    client: emulatorClient({ url: config.emulatorUrl, accountSid: config.accountSid, authToken: config.authToken }),
    authToken: config.authToken,
    serviceSid: config.serviceSid,
    identitySecret: randomBytes(32).toString('hex'),
    store,
  });
  const ourPath = new URL(config.publicUrl).pathname;
  const barePath = '/bare';
  const app = express();
  app.post(ourPath, strategy.webhook({ url: config.publicUrl }));
  app.post(barePath, express.urlencoded({ extended: false }), (_req, res) => {
    res.json({ result: 'ok' });
  });
  server.on('request', app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, ourPath, barePath };
}

async function teardown(): Promise<void> {
  await store.close();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

await serveParent(setup, teardown, {
  /** Records as the strategy writes them when it starts a challenge (or after it settled one). */
  seed: async (message) => {
    const records = message.records as ChallengeRecord[];
    for (const record of records) await store.set(record, 20 * 60_000);
    return records.length;
  },
  /** CPU time of this process (user + system, µs). */
  cpu: async () => {
    const { user, system } = process.cpuUsage();
    return user + system;
  },
});
