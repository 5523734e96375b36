/**
 * Everything the soak runs against, started in order and closed in reverse: a redis-server, the emulator (its
 * fault draws seeded) with a Verify service whose webhook points at the load-balancing proxy, one enrolled
 * phone per user, the three app instances in child processes, and an admin Redis client for the final reads.
 */
import { createClient, type RedisClientType } from 'redis';
import { VerifyPushStrategy } from '../../src/passport/strategy.js';
import { VerifyPushEmulator, type RunningEmulator } from '../../src/testing/index.js';
import { freePort } from '../../test/helpers/free-port.js';
import { startRedis, type RunningRedis } from '../../test/helpers/redis-server.js';
import type { Instance } from './browser.js';
import type { SoakDeployment } from './deployment.js';
import type { InstanceConfig, InstanceEvent } from './instance-config.js';
import { InstancePool } from './instances.js';
import type { SoakOptions } from './options.js';
import { Phone } from './phone.js';
import type { SoakPlan } from './plan.js';
import type { Prng } from './prng.js';
import { WebhookProxy } from './webhook-proxy.js';

export const PREFIX = 'soak:';
export const INSTANCE_NAMES = ['A', 'B', 'C'] as const;
const IDENTITY_SECRET = 'soak-identity-secret-0123456789abcdef0123';
const SESSION_SECRET = 'soak-session-secret-shared-by-every-instance';

export interface SoakWorld {
  redis: RunningRedis;
  emulator: RunningEmulator;
  serviceSid: string;
  proxy: WebhookProxy;
  instances: Instance[];
  pool: InstancePool;
  admin: RedisClientType;
  /** By user id. */
  identities: Map<string, string>;
  phones: Map<string, Phone>;
  /** Every event the instances reported, in arrival order. */
  events: InstanceEvent[];
  /** Starts an instance again (after it was killed) with its own config and port. */
  restartInstance(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startWorld(options: SoakOptions, plan: SoakPlan, deployment: SoakDeployment, random: Prng): Promise<SoakWorld> {
  const closers: Array<() => Promise<void>> = [];
  const close = async (): Promise<void> => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };
  try {
    const redis = await startRedis();
    closers.push(() => redis.stop());
    const faultDraws = random.fork('twilio-faults');
    const emulator = await VerifyPushEmulator.start({ random: () => faultDraws.next() });
    closers.push(() => emulator.close());
    const serviceSid = await emulator.createService('Soak');

    const instances: Instance[] = [];
    const proxy = new WebhookProxy({
      instances: () => instances.map((instance) => instance.url),
      random: random.fork('webhook-late'),
      lateRate: options.webhookLateRate,
      lateMaxMs: options.webhookLateMaxMs,
    });
    const webhookUrl = `${await proxy.listen()}/twilio/verify`;
    closers.push(() => proxy.close());
    await emulator.client().verify.v2.services(serviceSid).webhooks.create({
      friendlyName: 'soak load balancer',
      eventTypes: ['challenge.approved', 'challenge.denied'],
      webhookUrl,
    });

    // One phone per user, enrolled under the identity the strategy gives that user.
    const probe = new VerifyPushStrategy({ client: emulator.client(), serviceSid, identitySecret: IDENTITY_SECRET });
    const identities = new Map<string, string>();
    const phones = new Map<string, Phone>();
    for (const user of plan.users) {
      const identity = await probe.identityOf({ id: user.id });
      const device = emulator.device();
      const { factorSid } = await device.register({ serviceSid, identity, friendlyName: `${user.name}'s phone` });
      identities.set(user.id, identity);
      phones.set(user.id, new Phone(device, { serviceSid, identity, factorSid }));
    }

    const events: InstanceEvent[] = [];
    const pool = new InstancePool((event) => events.push(event));
    closers.push(() => pool.close());
    const configs = new Map<string, InstanceConfig>();
    for (const name of INSTANCE_NAMES) {
      configs.set(name, {
        name,
        port: await freePort(),
        redisUrl: redis.url,
        prefix: PREFIX,
        emulator: { url: emulator.url, accountSid: emulator.accountSid, authToken: emulator.authToken },
        serviceSid,
        identitySecret: IDENTITY_SECRET,
        sessionSecret: SESSION_SECRET,
        webhookUrl,
        users: plan.users.map((user) => ({ id: user.id, name: user.name })),
        deployment,
      });
    }
    const urls = await Promise.all(INSTANCE_NAMES.map((name) => pool.start(configs.get(name)!)));
    INSTANCE_NAMES.forEach((name, index) => instances.push({ name, url: urls[index]! }));

    const admin = createClient({ url: redis.url, socket: { reconnectStrategy: () => 200 } }) as RedisClientType;
    admin.on('error', () => undefined);
    await admin.connect();
    closers.push(async () => admin.destroy());

    return {
      redis,
      emulator,
      serviceSid,
      proxy,
      instances,
      pool,
      admin,
      identities,
      phones,
      events,
      restartInstance: async (name) => void (await pool.start(configs.get(name)!)),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
