/**
 * Approval → waiting browser told, on loopback, when the webhook and the waiting browser are on different
 * app instances sharing Redis, with the same-instance figures beside it.
 *
 * Three set-ups, measured in one run, one login of each in turn (the order rotates every round, so drift
 * and warm caches hit them alike):
 *   memory, same instance  – the MemoryChallengeStore app of approval-latency.ts: webhook and stream on one app;
 *   Redis, same instance   – instance A: RedisChallengeStore and connect-redis sessions on one node-redis
 *                            client; the webhook and the browser's stream both on A;
 *   Redis, cross-instance  – the webhook goes to A (in this process), the browser's stream is held by
 *                            instance B, a separate process sharing the Redis, the session and identity
 *                            secrets and the Verify service: A's compare-and-set publishes from inside its
 *                            script, B's subscriber hears it, B reads the record and tells the browser.
 * Each login: first factor and push start on the start instance, the events stream opened on the watching
 * instance and its "pending" event received, then the phone approves. Timed, like approval-latency.ts, from
 * the phone's signed answer reaching "Twilio" (the emulator's call log, on this process's sub-millisecond
 * clock) to the "approved" event reaching the browser: the emulator's signed webhook, the signature check,
 * the confirming fetch, the store write and the wake-up are all inside. The time is also split at the
 * webhook's send and at the confirming fetch's arrival (both stamped by the emulator on the same clock).
 *
 * Target: cross-instance p99 ≤ 20 ms. Ratios: cross-instance against the two same-instance figures.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { RedisStore } from 'connect-redis';
import { RedisChallengeStore } from '../src/stores/redis/index.js';
import { VerifyPushEmulator, type RunningEmulator } from '../src/testing/index.js';
import { startRedis, type RunningRedis } from '../test/helpers/redis-server.js';
import { startChild, type ChildServer } from './support/child.js';
import { keepAliveAgent } from './support/http.js';
import { approveNewest, Browser, enrolPhones, type PhoneRef } from './support/login-client.js';
import { benchIdentitySecret, startPushApp, subscribeWebhook, type BenchUser, type PushApp, type PushAppOptions } from './support/push-app.js';
import { closeAppClient, connectAppClient, type AppRedisClient } from './support/redis-client.js';
import type { RedisInstanceConfig, RedisInstanceReady } from './support/redis-instance.js';
import { detail, heading, info, result } from './support/report.js';
import { openStateStream } from './support/sse-reader.js';
import { fixed, max, percentile } from './support/stats.js';

const WARMUP = 50;
const MEASURED = 200;
const TARGET_P99_MS = 20;
const EVENTS_PATH = '/login/push/events';

interface Sample {
  /** The phone's answer at "Twilio" → the browser told. */
  total: number;
  /** The phone starts answering (its own fetch and signing included) → the browser told. */
  fromTap: number;
  /** The answer → the emulator sends the webhook. */
  toWebhook: number;
  /** The webhook sent → the app's confirming fetch arrives at the emulator. */
  toFetch: number;
  /** The confirming fetch arrives → the browser told (fetch answer, store write, wake-up, read, stream write). */
  afterFetch: number;
}

interface Setup {
  name: string;
  serviceSid: string;
  users: BenchUser[];
  phones: Map<string, PhoneRef>;
  startPort: number;
  watchPort: number;
  samples: Sample[];
}

function usersFor(prefix: string): BenchUser[] {
  return Array.from({ length: WARMUP + MEASURED }, (_, i) => ({ id: `${prefix}-${i}` }));
}

/** One login of `setup`; returns its sample. */
async function oneLogin(emulator: RunningEmulator, setup: Setup, user: BenchUser, agent: ReturnType<typeof keepAliveAgent>): Promise<Sample> {
  const browser = new Browser({ agent, port: setup.startPort });
  await browser.firstFactor(user.id);
  await browser.start('/login/push');
  const stream = await openStateStream(setup.watchPort, EVENTS_PATH, browser.jar.header());
  const first = await stream.event(0);
  if (first.state !== 'pending') throw new Error(`${setup.name}: stream opened with ${first.state}`);
  emulator.clearCalls();
  const tappedAt = performance.now();
  await approveNewest(setup.phones.get(user.id) as PhoneRef);
  const told = await stream.event(1);
  stream.close();
  if (told.state !== 'approved') throw new Error(`${setup.name}: stream said ${told.state}`);
  await emulator.webhooksSettled();

  const answer = emulator.calls({ operation: 'updateChallenge', source: 'device' }).at(-1);
  const fetched = emulator.calls({ operation: 'fetchChallenge', source: 'api' }).at(-1);
  if (!answer || !fetched) throw new Error(`${setup.name}: the phone's answer or the confirming fetch is not in the call log`);
  const sid = answer.path.split('/').at(-1);
  const delivery = emulator
    .deliveries()
    .reverse()
    .find((d) => d.params['challenge_sid'] === sid);
  if (!delivery || delivery.outcome !== 'sent') throw new Error(`${setup.name}: no answered webhook delivery for ${sid}`);
  // Emulator stamps are on performance.timeOrigin + performance.now(); the stream's on performance.now().
  const local = (at: number): number => at - performance.timeOrigin;
  return {
    total: told.at - local(answer.at),
    fromTap: told.at - tappedAt,
    toWebhook: delivery.at - answer.at,
    toFetch: fetched.at - delivery.at,
    afterFetch: told.at - local(fetched.at),
  };
}

function figures(values: number[]): string {
  return `p50 ${fixed(percentile(values, 50), 2)} ms, p99 ${fixed(percentile(values, 99), 2)} ms, max ${fixed(max(values), 2)} ms`;
}

async function main(): Promise<void> {
  // The emulator stamps each call with its clock: give it this process's sub-millisecond one.
  const now = (): number => performance.timeOrigin + performance.now();
  const emulator = await VerifyPushEmulator.start({ clock: now });
  let redis: RunningRedis | undefined;
  let client: AppRedisClient | undefined;
  let store: RedisChallengeStore | undefined;
  let instanceB: ChildServer<RedisInstanceReady> | undefined;
  const apps: PushApp[] = [];
  const agent = keepAliveAgent(8);
  try {
    redis = await startRedis();
    client = await connectAppClient(redis.url);
    store = await RedisChallengeStore.create({ client });
    const device = emulator.device();

    const memoryService = await emulator.createService('bench latency memory');
    const redisService = await emulator.createService('bench latency redis');
    const memoryUsers = usersFor('mem');
    const sameUsers = usersFor('same');
    const crossUsers = usersFor('cross');
    const redisUsers = [...sameUsers, ...crossUsers];

    // The two apps in this process differ only in their stores: each takes the webhook and serves the stream.
    const startHere = async (serviceSid: string, users: BenchUser[], stores: Pick<PushAppOptions, 'store' | 'sessionStore' | 'sessionSecret'>): Promise<PushApp> => {
      const app = await startPushApp({ client: emulator.client(), authToken: emulator.authToken, serviceSid, users, webhook: true, eventsPath: EVENTS_PATH, ...stores });
      apps.push(app);
      await subscribeWebhook(emulator, serviceSid, app);
      return app;
    };
    const memoryApp = await startHere(memoryService, memoryUsers, {});
    const sessionSecret = randomBytes(16).toString('hex');
    const instanceA = await startHere(redisService, redisUsers, { store, sessionStore: new RedisStore({ client }), sessionSecret });

    const config: RedisInstanceConfig = {
      emulatorUrl: emulator.url,
      accountSid: emulator.accountSid,
      authToken: emulator.authToken,
      serviceSid: redisService,
      redisUrl: redis.url,
      sessionSecret,
      identitySecret: benchIdentitySecret(),
      userIds: redisUsers.map((u) => u.id),
      eventsPath: EVENTS_PATH,
    };
    instanceB = await startChild<RedisInstanceReady>(new URL('./support/redis-instance.ts', import.meta.url), [JSON.stringify(config)]);

    const setups: Setup[] = [
      {
        name: 'memory, same instance',
        serviceSid: memoryService,
        users: memoryUsers,
        phones: await enrolPhones(device, memoryService, memoryUsers),
        startPort: memoryApp.port,
        watchPort: memoryApp.port,
        samples: [],
      },
      {
        name: 'Redis, same instance',
        serviceSid: redisService,
        users: sameUsers,
        phones: await enrolPhones(device, redisService, sameUsers),
        startPort: instanceA.port,
        watchPort: instanceA.port,
        samples: [],
      },
      {
        name: 'Redis, cross-instance',
        serviceSid: redisService,
        users: crossUsers,
        phones: await enrolPhones(device, redisService, crossUsers),
        startPort: instanceA.port,
        watchPort: instanceB.ready.port,
        samples: [],
      },
    ];

    for (let round = 0; round < WARMUP + MEASURED; round += 1) {
      for (let turn = 0; turn < setups.length; turn += 1) {
        const setup = setups[(round + turn) % setups.length] as Setup;
        const sample = await oneLogin(emulator, setup, setup.users[round] as BenchUser, agent);
        if (round >= WARMUP) setup.samples.push(sample);
      }
    }
    const leftWatching = await instanceB.ask<{ watchedChallenges: number; listeners: number }>({ type: 'watched' });

    const [memory, same, cross] = setups as [Setup, Setup, Setup];
    const p99 = (s: Setup): number => percentile(s.samples.map((x) => x.total), 99);
    const p50 = (s: Setup): number => percentile(s.samples.map((x) => x.total), 50);
    heading('approval → waiting browser told, across instances on Redis (loopback, webhook + SSE)');
    detail(`${redis.version.split(' ').slice(0, 3).join(' ')}; node-redis client shared by RedisChallengeStore and connect-redis; instance B in its own process`);
    detail(`${MEASURED} approvals per set-up after ${WARMUP} warm-up, interleaved; from the phone's answer reaching Twilio to the browser told:`);
    for (const s of setups) {
      const pick = (f: (x: Sample) => number): number[] => s.samples.map(f);
      detail(`${s.name.padEnd(22)} ${figures(pick((x) => x.total))}`);
      detail(`${''.padEnd(22)}   answer → webhook sent      ${figures(pick((x) => x.toWebhook))}`);
      detail(`${''.padEnd(22)}   webhook → confirm fetch    ${figures(pick((x) => x.toFetch))}`);
      detail(`${''.padEnd(22)}   fetch → browser told       ${figures(pick((x) => x.afterFetch))}`);
      detail(`${''.padEnd(22)}   from the tap               ${figures(pick((x) => x.fromTap))}`);
    }
    detail(`instance B still watching after the run: ${leftWatching.watchedChallenges} challenges, ${leftWatching.listeners} listeners`);
    info(`approval → told, Redis same instance vs memory same instance: p50 ratio ${fixed(p50(same) / p50(memory), 2)}, p99 ratio ${fixed(p99(same) / p99(memory), 2)}`);
    info(
      `approval → told, cross-instance vs same instance: p50 ${fixed(p50(cross), 2)} ms vs ${fixed(p50(same), 2)} ms (Redis) → ratio ${fixed(p50(cross) / p50(same), 2)}, ` +
        `vs ${fixed(p50(memory), 2)} ms (memory) → ratio ${fixed(p50(cross) / p50(memory), 2)}`,
    );
    result(
      `approval → told, cross-instance on Redis: p99 ${fixed(p99(cross), 2)} ms vs same instance ${fixed(p99(same), 2)} ms (Redis) / ` +
        `${fixed(p99(memory), 2)} ms (memory) → ratio ${fixed(p99(cross) / p99(same), 2)} / ${fixed(p99(cross) / p99(memory), 2)} (target ≤ ${TARGET_P99_MS} ms)`,
      p99(cross) <= TARGET_P99_MS,
    );
  } finally {
    agent.destroy();
    await instanceB?.stop();
    await Promise.all(apps.map((app) => app.close()));
    await store?.close();
    if (client) closeAppClient(client);
    await redis?.stop();
    await emulator.close();
  }
}

await main();
