/**
 * Child process of bench/gate-overhead.ts: the push app (with `/bare/protected` and, behind the gate,
 * `/gated/protected`) plus an emulator used only during setup, to log one user in through a real push.
 * Reports the port, the verified session's cookie and a first-factor-only cookie.
 */
import { VerifyPushEmulator, type RunningEmulator } from '../../src/testing/index.js';
import { serveParent } from './child.js';
import { keepAliveAgent } from './http.js';
import { approveNewest, Browser } from './login-client.js';
import { identityOf, startPushApp, subscribeWebhook, type PushApp } from './push-app.js';

export interface GateServerReady {
  port: number;
  userId: string;
  verifiedCookie: string;
  firstFactorCookie: string;
}

let emulator: RunningEmulator | undefined;
let app: PushApp | undefined;
const agent = keepAliveAgent(8);

async function setup(): Promise<GateServerReady> {
  emulator = await VerifyPushEmulator.start();
  const serviceSid = await emulator.createService('bench gate');
  const user = { id: 'gate-user' };
  const identity = identityOf(user);
  const device = emulator.device();
  const { factorSid } = await device.register({ serviceSid, identity });
  app = await startPushApp({ client: emulator.client(), authToken: emulator.authToken, serviceSid, users: [user], webhook: true });
  await subscribeWebhook(emulator, serviceSid, app);

  const verified = new Browser({ agent, port: app.port });
  await verified.firstFactor(user.id);
  await verified.start('/login/push');
  await approveNewest({ device, serviceSid, identity, factorSid });
  await emulator.webhooksSettled();
  await verified.pollUntilDone('/login/push', 1, 50, 10_000);

  const firstFactorOnly = new Browser({ agent, port: app.port });
  await firstFactorOnly.firstFactor(user.id);

  return { port: app.port, userId: user.id, verifiedCookie: verified.jar.header(), firstFactorCookie: firstFactorOnly.jar.header() };
}

async function teardown(): Promise<void> {
  agent.destroy();
  await app?.close();
  await emulator?.close();
}

// CPU time of this process (user + system, µs): less disturbed by other processes than wall-clock latency.
await serveParent(setup, teardown, {
  cpu: async () => {
    const { user, system } = process.cpuUsage();
    return user + system;
  },
});
