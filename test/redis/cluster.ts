/**
 * A deployment of three app instances behind a load balancer without sticky sessions: A and C run in the test
 * process, B in a child process of its own. They share one redis-server (sessions through connect-redis,
 * challenges in RedisChallengeStore, under one key prefix per deployment) and one Verify Push emulator. The
 * Verify service's webhook goes to A only; B and C are web nodes that expect webhooks to arrive elsewhere.
 * With `asksAgainRoutes` every instance also serves the routes that ask the phone again after the login (step-up,
 * payments, remembered browsers; asks-again-routes.ts), whose revocation counters live in the same Redis.
 *
 * Each deployment has its own emulator, service, phones and key prefix, so tests never see each other's state.
 */
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';

function adminClient(url: string) {
  return createClient({ url, socket: { reconnectStrategy: () => 100 } });
}
export type AdminClient = ReturnType<typeof adminClient>;
import { VerifyPushEmulator, type RunningEmulator, type SimulatedDevice } from '../../src/testing/index.js';
import { VerifyPushStrategy } from '../../src/passport/strategy.js';
import type { ChallengeJson } from '../../src/testing/types.js';
import type { RunningRedis } from '../helpers/redis-server.js';
import type { PaidEvent } from './asks-again-routes.js';
import { startChildInstance, type ChildInstance } from './instance-child.js';
import {
  CLUSTER_USERS,
  startInstance,
  type ClusterUser,
  type DeniedReport,
  type DeploymentOptions,
  type InstanceConfig,
  type LoginEvent,
  type RunningInstance,
} from './instance-app.js';
import { startRedisProxy, type RedisProxy } from './redis-proxy.js';

export type InstanceName = 'A' | 'B' | 'C';
export const INSTANCE_NAMES: readonly InstanceName[] = ['A', 'B', 'C'];
/** The instance that runs in a child process. */
export const CHILD_INSTANCE: InstanceName = 'B';

const IDENTITY_SECRET = 'cluster-identity-secret-0123456789abcdef';

export interface ClusterOptions extends DeploymentOptions {
  redis: RunningRedis;
  /** Instances whose Redis client reaches the server through a proxy that can break the wire. */
  proxied?: InstanceName[];
}

export interface Cluster {
  A: RunningInstance;
  B: ChildInstance;
  C: RunningInstance;
  instances: RunningInstance[];
  emulator: RunningEmulator;
  serviceSid: string;
  prefix: string;
  /** The proxy in front of an instance's Redis client, when the options asked for one. */
  proxies: Partial<Record<InstanceName, RedisProxy>>;
  /** A connection of the test's own to the deployment's Redis (to inspect keys, kill clients). */
  admin: AdminClient;
  /** Every login (verify callback) of every instance, the child's included once `sync()` resolved. */
  logins: LoginEvent[];
  /** Every `onDenied` of every instance, the child's included once `sync()` resolved. */
  denials: DeniedReport[];
  /** Every payment made on any instance (with `asksAgainRoutes`), the child's included once `sync()` resolved. */
  payments: PaidEvent[];
  sync(): Promise<void>;
  now(): number;
  /** Lets time pass on the emulator and every instance (the child process included). */
  advance(ms: number): Promise<void>;
  /** Runs `action` once, in the next request instance `name` serves, after its session was loaded. */
  afterNextSession(name: 'A' | 'C', action: () => void): void;
  identity(username: string): string;
  phone: Phone;
  /** Twilio calls the app made (not the phone's), optionally one operation only. */
  apiCalls(operation?: string): number;
  /** Store subscribers listening on the deployment's channel, as Redis counts them (one per instance when all is well). */
  subscribers(): Promise<number>;
  /** Whether an instance reaches Redis, and how many pages wait on it (its store's listeners). */
  health(instance: RunningInstance): Promise<{ redis: string; pid: number; waiting: { watchedChallenges: number; listeners: number } }>;
  close(): Promise<void>;
}

export interface Phone {
  /** The user's pending challenges as the phone lists them, newest first. */
  pending(username: string): Promise<ChallengeJson[]>;
  /** Answers the user's newest pending challenge (or `challengeSid`); resolves once webhooks were delivered. */
  approve(username: string, challengeSid?: string): Promise<string>;
  deny(username: string, challengeSid?: string): Promise<string>;
}

class DeploymentClock {
  offset = 0;
  readonly now = (): number => Date.now() + this.offset;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const clock = new DeploymentClock();
  const emulator = await VerifyPushEmulator.start({ clock: clock.now });
  const serviceSid = await emulator.createService('Cluster');
  const device: SimulatedDevice = emulator.device();
  const identities = new Map<string, string>();
  const factors = new Map<string, string>();
  const probe = new VerifyPushStrategy<ClusterUser>({ client: emulator.client(), serviceSid, identitySecret: IDENTITY_SECRET });
  for (const user of Object.values(CLUSTER_USERS)) {
    const identity = await probe.identityOf(user);
    identities.set(user.name, identity);
    const { factorSid } = await device.register({ serviceSid, identity, friendlyName: `${user.name}'s phone` });
    factors.set(user.name, factorSid);
  }

  const prefix = `cluster-${randomBytes(4).toString('hex')}:`;
  const proxies: Partial<Record<InstanceName, RedisProxy>> = {};
  for (const name of options.proxied ?? []) proxies[name] = await startRedisProxy({ port: options.redis.port });
  const logins: LoginEvent[] = [];
  const denials: DeniedReport[] = [];
  const payments: PaidEvent[] = [];
  const afterSession = new Map<InstanceName, () => void>();
  const { redis, proxied: _proxied, ...deployment } = options;
  const configOf = (name: InstanceName): InstanceConfig => ({
    name,
    redisUrl: proxies[name]?.url ?? redis.url,
    prefix,
    emulator: { url: emulator.url, accountSid: emulator.accountSid, authToken: emulator.authToken },
    serviceSid,
    identitySecret: IDENTITY_SECRET,
    webhook: name === 'A',
    deployment,
  });
  const hooksOf = (name: InstanceName) => ({
    clock: clock.now,
    onLogin: (event: LoginEvent) => logins.push(event),
    onDenied: (event: DeniedReport) => denials.push(event),
    onPaid: (event: PaidEvent) => payments.push(event),
    afterSession: () => {
      const action = afterSession.get(name);
      afterSession.delete(name);
      action?.();
    },
  });
  const [A, B, C] = await Promise.all([
    startInstance(configOf('A'), hooksOf('A')),
    startChildInstance(configOf(CHILD_INSTANCE), hooksOf(CHILD_INSTANCE)),
    startInstance(configOf('C'), hooksOf('C')),
  ]);

  // Twilio calls instance A only.
  await emulator
    .client()
    .verify.v2.services(serviceSid)
    .webhooks.create({ friendlyName: 'instance A', eventTypes: ['challenge.approved', 'challenge.denied'], webhookUrl: `${A.url}/twilio/verify` });

  const admin = adminClient(redis.url);
  admin.on('error', () => undefined);
  await admin.connect();

  const answer = async (username: string, verdict: 'approve' | 'deny', challengeSid?: string): Promise<string> => {
    const ref = { serviceSid, identity: identities.get(username)!, factorSid: factors.get(username)! };
    const sid = challengeSid ?? (await device.challenges({ ...ref, status: 'pending' }))[0]?.sid;
    if (sid === undefined) throw new Error(`no pending challenge on ${username}'s phone`);
    if (verdict === 'approve') await device.approve({ ...ref, challengeSid: sid });
    else await device.deny({ ...ref, challengeSid: sid });
    await emulator.webhooksSettled();
    return sid;
  };

  return {
    A,
    B,
    C,
    instances: [A, B, C],
    emulator,
    serviceSid,
    prefix,
    proxies,
    admin,
    logins,
    denials,
    payments,
    sync: () => B.sync(),
    now: clock.now,
    async advance(ms) {
      clock.offset += ms;
      await B.setClockOffset(clock.offset);
    },
    afterNextSession(name, action) {
      afterSession.set(name, action);
    },
    identity: (username) => identities.get(username)!,
    phone: {
      pending: (username) =>
        device.challenges({ serviceSid, identity: identities.get(username)!, factorSid: factors.get(username)!, status: 'pending' }),
      approve: (username, challengeSid) => answer(username, 'approve', challengeSid),
      deny: (username, challengeSid) => answer(username, 'deny', challengeSid),
    },
    async subscribers() {
      const counts = await admin.pubSubNumSub(`${prefix}changes`);
      return Number(counts[`${prefix}changes`] ?? 0);
    },
    async health(instance) {
      const response = await fetch(`${instance.url}/health`, { signal: AbortSignal.timeout(10_000) });
      return (await response.json()) as { redis: string; pid: number; waiting: { watchedChallenges: number; listeners: number } };
    },
    apiCalls: (operation) => emulator.calls({ source: 'api', ...(operation ? { operation: operation as never } : {}) }).length,
    async close() {
      await Promise.all([A.close(), B.close(), C.close()]);
      await emulator.close();
      for (const proxy of Object.values(proxies)) await proxy.close();
      admin.destroy();
    },
  };
}
