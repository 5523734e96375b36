/**
 * Child process: a second instance of the push app (instance B), sharing everything instances behind a load
 * balancer share: the challenge store (RedisChallengeStore) and the sessions (connect-redis) on one Redis, the
 * session and identity secrets, the Verify service. It does not mount the webhook (Twilio calls the other
 * instance) but expects webhooks, as the README tells every instance of such a deployment to. It serves the
 * live-waiting endpoint, so a page waiting here is woken by a webhook received in another process.
 */
import { RedisStore } from 'connect-redis';
import { RedisChallengeStore } from '../../src/stores/redis/index.js';
// The emulator lives in the parent process; this builds a twilio client aimed at its URL.
import { emulatorClient } from '../../src/testing/sdk-client.js';
import { serveParent } from './child.js';
import { startPushApp, type PushApp } from './push-app.js';
import { closeAppClient, connectAppClient, type AppRedisClient } from './redis-client.js';

export interface RedisInstanceConfig {
  emulatorUrl: string;
  accountSid: string;
  authToken: string;
  serviceSid: string;
  redisUrl: string;
  sessionSecret: string;
  identitySecret: string;
  userIds: string[];
  eventsPath: string;
}

export interface RedisInstanceReady {
  port: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as RedisInstanceConfig;
let client: AppRedisClient | undefined;
let store: RedisChallengeStore | undefined;
let app: PushApp | undefined;

async function setup(): Promise<RedisInstanceReady> {
  client = await connectAppClient(config.redisUrl);
  store = await RedisChallengeStore.create({ client });
  app = await startPushApp({
    client: emulatorClient({ url: config.emulatorUrl, accountSid: config.accountSid, authToken: config.authToken }),
    authToken: config.authToken,
    serviceSid: config.serviceSid,
    users: config.userIds.map((id) => ({ id })),
    webhook: false,
    expectWebhooks: true,
    store,
    sessionStore: new RedisStore({ client }),
    sessionSecret: config.sessionSecret,
    identitySecret: config.identitySecret,
    eventsPath: config.eventsPath,
  });
  return { port: app.port };
}

async function teardown(): Promise<void> {
  await app?.close();
  await store?.close();
  if (client) closeAppClient(client);
}

await serveParent(setup, teardown, {
  /** Challenges this instance is watching for its waiting pages (none should be left after a run). */
  watched: async () => store?.stats(),
});
