/**
 * Three asks-again instances (asks-again-instance.ts) behind a load balancer without sticky sessions: A and C in
 * the test process, B in a child process of its own. They share one redis-server (sessions, challenges and the
 * remembered-browser revocation counters, under one key prefix per deployment) and one Verify Push emulator,
 * whose webhook goes to A only. Each deployment has its own emulator, service, phones and prefix.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { VerifyPushEmulator, type RunningEmulator } from '../../src/testing/index.js';
import { VerifyPushStrategy } from '../../src/passport/strategy.js';
import type { RunningRedis } from '../helpers/redis-server.js';
import { startAsksAgainInstance, USERS, type AsksAgainUser, type InstanceConfig, type PaidEvent, type RunningInstance } from './asks-again-instance.js';

const IDENTITY_SECRET = 'asks-again-identity-secret-0123456789abcdef';
const REPOSITORY = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = fileURLToPath(new URL('./asks-again-process.ts', import.meta.url));
/** How long the child gets to close by itself before it is killed by its pid. */
const EXIT_GRACE_MS = 5_000;

export interface ChildInstance extends RunningInstance {
  pid: number;
  setClockOffset(offset: number): Promise<void>;
  /** Resolves once every message the child sent before this call was received. */
  sync(): Promise<void>;
}

export interface Deployment {
  A: RunningInstance;
  B: ChildInstance;
  C: RunningInstance;
  emulator: RunningEmulator;
  /** Every login (verify callback) of every instance; the child's once `sync()` resolved. */
  logins: Array<{ instance: string; user: string }>;
  /** Every payment made, on any instance; the child's once `sync()` resolved. */
  payments: PaidEvent[];
  sync(): Promise<void>;
  /** Lets time pass on the emulator and every instance, the child included. */
  advance(ms: number): Promise<void>;
  /** The user's newest pending push approved (or denied) on their phone; resolves once webhooks were delivered. */
  approve(username: string): Promise<string>;
  deny(username: string): Promise<string>;
  /** The user's pending pushes as their phone lists them, newest first. */
  pending(username: string): Promise<Array<{ sid: string; details: { message: string } }>>;
  /** Twilio calls the app made (not the phone's), optionally one operation only. */
  apiCalls(operation?: string): number;
  close(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function startChild(config: InstanceConfig, report: { onLogin(event: { instance: string; user: string }): void; onPaid(event: PaidEvent): void }): Promise<ChildInstance> {
  const child = fork(ENTRY, [], {
    cwd: REPOSITORY,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ASKS_AGAIN_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const acks = new Map<number, () => void>();
  let nextId = 0;
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`instance ${config.name} exited (${code}) before it was ready:\n${stderr}`)));
    child.once('error', reject);
    child.on('message', (message: Record<string, unknown>) => {
      const { type, ...event } = message;
      if (type === 'ready') resolve(String(event.url));
      else if (type === 'login') report.onLogin(event as { instance: string; user: string });
      else if (type === 'paid') report.onPaid(event as unknown as PaidEvent);
      else if (type === 'ack') {
        acks.get(Number(event.id))?.();
        acks.delete(Number(event.id));
      }
    });
  });
  const ask = (command: Record<string, unknown>): Promise<void> => {
    const id = (nextId += 1);
    return new Promise((resolve) => {
      acks.set(id, resolve);
      child.send({ ...command, id });
    });
  };
  return {
    name: config.name,
    url,
    pid: child.pid ?? -1,
    setClockOffset: (offset) => ask({ type: 'clock', offset }),
    sync: () => ask({ type: 'sync' }),
    async close() {
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => {
        if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
      }, EXIT_GRACE_MS);
      await exited(child);
      clearTimeout(timer);
    },
  };
}

export async function startDeployment(redis: RunningRedis): Promise<Deployment> {
  let offset = 0;
  const clock = (): number => Date.now() + offset;
  const emulator = await VerifyPushEmulator.start({ clock });
  const serviceSid = await emulator.createService('Asks again');
  const device = emulator.device();
  const probe = new VerifyPushStrategy<AsksAgainUser>({ client: emulator.client(), serviceSid, identitySecret: IDENTITY_SECRET });
  const refs = new Map<string, { serviceSid: string; identity: string; factorSid: string }>();
  for (const user of Object.values(USERS)) {
    const identity = await probe.identityOf(user);
    const { factorSid } = await device.register({ serviceSid, identity, friendlyName: `${user.name}'s phone` });
    refs.set(user.name, { serviceSid, identity, factorSid });
  }

  const prefix = `asks-${randomBytes(4).toString('hex')}:`;
  const logins: Deployment['logins'] = [];
  const payments: PaidEvent[] = [];
  const configOf = (name: string): InstanceConfig => ({
    name,
    redisUrl: redis.url,
    prefix,
    emulator: { url: emulator.url, accountSid: emulator.accountSid, authToken: emulator.authToken },
    serviceSid,
    identitySecret: IDENTITY_SECRET,
    webhook: name === 'A',
  });
  const report = { onLogin: (event: { instance: string; user: string }) => logins.push(event), onPaid: (event: PaidEvent) => payments.push(event) };
  const [A, B, C] = await Promise.all([
    startAsksAgainInstance(configOf('A'), { clock, ...report }),
    startChild(configOf('B'), report),
    startAsksAgainInstance(configOf('C'), { clock, ...report }),
  ]);
  await emulator
    .client()
    .verify.v2.services(serviceSid)
    .webhooks.create({ friendlyName: 'instance A', eventTypes: ['challenge.approved', 'challenge.denied'], webhookUrl: `${A.url}/twilio/verify` });

  const pending = (username: string) => device.challenges({ ...refs.get(username)!, status: 'pending' });
  const answer = async (username: string, verdict: 'approve' | 'deny'): Promise<string> => {
    const [newest] = await pending(username);
    if (!newest) throw new Error(`no pending push on ${username}'s phone`);
    const ref = { ...refs.get(username)!, challengeSid: newest.sid };
    if (verdict === 'approve') await device.approve(ref);
    else await device.deny(ref);
    await emulator.webhooksSettled();
    return newest.sid;
  };

  return {
    A,
    B,
    C,
    emulator,
    logins,
    payments,
    sync: () => B.sync(),
    async advance(ms) {
      offset += ms;
      await B.setClockOffset(offset);
    },
    approve: (username) => answer(username, 'approve'),
    deny: (username) => answer(username, 'deny'),
    pending,
    apiCalls: (operation) => emulator.calls({ source: 'api', ...(operation ? { operation: operation as never } : {}) }).length,
    async close() {
      await Promise.all([A.close(), B.close(), C.close()]);
      await emulator.close();
    },
  };
}
