/**
 * Redis round trips per login, counted by Redis itself: a MONITOR connection sees every command a client
 * sent (one round trip each) and every command a Lua script ran inside one (no round trip of its own). The
 * app is the push app with RedisChallengeStore and connect-redis sessions on one node-redis client (the
 * README's set-up), all start limits on, the webhook on. Logins run one after another; a control connection
 * marks each phase with ECHO, so each command is charged to the phase it happened in, and by key prefix to
 * the challenge store (`verify-push:`) or the session store (`sess:`). INFO commandstats, read before and
 * after, must agree with what MONITOR saw.
 *
 * Two waiting pages, LOGINS logins each:
 *   SSE page      – first factor; start (202); the events stream opened, the phone approves, the webhook
 *                   lands, the stream says approved; the completing POST (200).
 *   polling page  – first factor; start; one poll while pending (202); the phone approves and the webhook
 *                   lands; the completing poll (200).
 * Baseline, in the same run: the session store's own round trips per login (what the app pays for sessions
 * on Redis anyway). Target (issue: "atomic, one round trip each"): every store operation the strategy asks
 * for is exactly one round trip to Redis (counted by a wrapper around the store), after the scripts are
 * loaded: the first EVALSHA of each script on a fresh server gets NOSCRIPT and sends EVAL, once per server.
 */
import { RedisStore } from 'connect-redis';
import { RedisChallengeStore } from '../src/stores/redis/index.js';
import { CLAIM, COMPARE_AND_SET, INCREMENT, RELEASE, SET_RECORD, SWAP_ACTIVE } from '../src/stores/redis/scripts.js';
import { VerifyPushEmulator, type SimulatedDevice } from '../src/testing/index.js';
import { startRedis, type RunningRedis } from '../test/helpers/redis-server.js';
import { CountingStore } from './support/counting-store.js';
import { keepAliveAgent } from './support/http.js';
import { approveNewest, Browser, enrolPhones, type PhoneRef } from './support/login-client.js';
import { startPushApp, subscribeWebhook, type BenchUser, type PushApp } from './support/push-app.js';
import { closeAppClient, commandCalls, connectAppClient, type AppRedisClient } from './support/redis-client.js';
import { startMonitor, type RedisMonitor, type SeenCommand } from './support/redis-monitor.js';
import { detail, heading, info, result } from './support/report.js';
import { openStateStream } from './support/sse-reader.js';
import { fixed } from './support/stats.js';

const LOGINS = 20;
const WARMUP = 2;
const EVENTS_PATH = '/login/push/events';
const CHALLENGE_PREFIX = 'verify-push:';
const SESSION_PREFIX = 'sess:';
const SCRIPT_NAMES = new Map([
  [SET_RECORD.sha, 'set'],
  [COMPARE_AND_SET.sha, 'compare-and-set'],
  [SWAP_ACTIVE.sha, 'swap-active'],
  [INCREMENT.sha, 'increment'],
  [CLAIM.sha, 'claim'],
  [RELEASE.sha, 'release'],
]);

type Owner = 'challenge store' | 'session store' | 'other';

interface Classified {
  owner: Owner;
  /** e.g. `EVALSHA claim (clm)`, `GET (rec)`, `SET (sess)`. */
  label: string;
}

function classify(command: SeenCommand): Classified {
  const [name = '', ...rest] = command.args;
  const scripted = name === 'EVALSHA' || name === 'EVAL';
  // EVALSHA sha numkeys key …; PUBLISH channel …; the rest: command key ….
  const key = scripted ? (rest[2] ?? '') : (rest[0] ?? '');
  let owner: Owner = 'other';
  let kind = '';
  if (key.startsWith(CHALLENGE_PREFIX)) {
    owner = 'challenge store';
    kind = key.slice(CHALLENGE_PREFIX.length).split(':')[0] ?? '';
  } else if (key.startsWith(SESSION_PREFIX)) {
    owner = 'session store';
    kind = 'sess';
  }
  const script = name === 'EVALSHA' ? ` ${SCRIPT_NAMES.get(rest[0] ?? '') ?? 'unknown script'}` : name === 'EVAL' ? ' (script source)' : '';
  return { owner, label: `${name}${script} (${kind || key})` };
}

interface Phase {
  name: string;
  run(): Promise<void>;
}

interface Variant {
  name: string;
  phases(user: BenchUser): Phase[];
}

/** Counts per phase → owner → label, and store method calls, over the measured logins of one variant. */
interface Tally {
  byPhase: Map<string, Map<Owner, Map<string, number>>>;
  lua: Map<string, number>;
  storeCalls: Map<string, number>;
  commandstats: number;
  monitorTotal: number;
}

function add(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

function total(map: Map<string, number> | undefined): number {
  let sum = 0;
  for (const value of map?.values() ?? []) sum += value;
  return sum;
}

function sumCommandstats(before: Map<string, number>, after: Map<string, number>): number {
  let sum = 0;
  for (const [name, calls] of after) {
    // The control connection's own commands are not the app's.
    if (name === 'info' || name === 'echo') continue;
    sum += calls - (before.get(name) ?? 0);
  }
  return sum;
}

async function main(): Promise<void> {
  const emulator = await VerifyPushEmulator.start();
  let redis: RunningRedis | undefined;
  let client: AppRedisClient | undefined;
  let monitor: RedisMonitor | undefined;
  let app: PushApp | undefined;
  let store: RedisChallengeStore | undefined;
  const agent = keepAliveAgent(8);
  try {
    redis = await startRedis();
    client = await connectAppClient(redis.url);
    const control = client;
    store = await RedisChallengeStore.create({ client });
    const counting = new CountingStore(store);
    const serviceSid = await emulator.createService('bench round trips');
    const device: SimulatedDevice = emulator.device();
    const users = Array.from({ length: 2 * (WARMUP + LOGINS) }, (_, i) => ({ id: `rt-${i}` }));
    const phones = await enrolPhones(device, serviceSid, users);
    const running = await startPushApp({
      client: emulator.client(),
      authToken: emulator.authToken,
      serviceSid,
      users,
      webhook: true,
      store: counting,
      sessionStore: new RedisStore({ client, prefix: SESSION_PREFIX }),
      // Every limit on, as shipped; the per-IP one high enough for one benchmark address.
      limits: { perIp: { max: 100_000 } },
      eventsPath: EVENTS_PATH,
    });
    app = running;
    await subscribeWebhook(emulator, serviceSid, running);
    monitor = await startMonitor(redis.url);
    const seen = monitor;

    const browsers = new Map<string, Browser>();
    const browserOf = (user: BenchUser): Browser => {
      let browser = browsers.get(user.id);
      if (!browser) {
        browser = new Browser({ agent, port: running.port });
        browsers.set(user.id, browser);
      }
      return browser;
    };
    const complete = async (user: BenchUser): Promise<void> => {
      const answer = await browserOf(user).post('/login/push');
      if (answer.status !== 200) throw new Error(`completing POST answered ${answer.status}`);
    };
    const firstFactor: (user: BenchUser) => Phase = (user) => ({ name: 'first factor', run: () => browserOf(user).firstFactor(user.id) });
    const start: (user: BenchUser) => Phase = (user) => ({ name: 'start (202)', run: async () => void (await browserOf(user).start('/login/push')) });

    const variants: Variant[] = [
      {
        name: 'SSE page',
        phases: (user) => [
          firstFactor(user),
          start(user),
          {
            name: 'stream open → approved (webhook inside)',
            async run() {
              const stream = await openStateStream(running.port, EVENTS_PATH, browserOf(user).jar.header());
              if ((await stream.event(0)).state !== 'pending') throw new Error('stream did not open pending');
              await approveNewest(phones.get(user.id) as PhoneRef);
              const told = await stream.event(1);
              stream.close();
              if (told.state !== 'approved') throw new Error(`stream said ${told.state}`);
              await emulator.webhooksSettled();
            },
          },
          { name: 'completing POST (200)', run: () => complete(user) },
        ],
      },
      {
        name: 'polling page',
        phases: (user) => [
          firstFactor(user),
          start(user),
          {
            name: 'one poll while pending (202)',
            async run() {
              const answer = await browserOf(user).post('/login/push');
              if (answer.status !== 202) throw new Error(`pending poll answered ${answer.status}`);
            },
          },
          {
            name: 'phone approves, webhook',
            async run() {
              await approveNewest(phones.get(user.id) as PhoneRef);
              await emulator.webhooksSettled();
            },
          },
          { name: 'completing poll (200)', run: () => complete(user) },
        ],
      },
    ];

    heading('Redis round trips per login (counted by Redis: MONITOR, checked against INFO commandstats)');
    detail(`${redis.version.split(' ').slice(0, 3).join(' ')}; one node-redis client for RedisChallengeStore and connect-redis; all start limits on; webhook on`);
    detail(`${LOGINS} logins per waiting page after ${WARMUP} warm-up, one after another`);

    // Warm-up: the first use of each script on this server (NOSCRIPT, then EVAL with the source).
    let nextUser = 0;
    const warmupSeen: SeenCommand[] = [];
    for (const variant of variants) {
      for (let i = 0; i < WARMUP; i += 1) {
        const user = users[nextUser++] as BenchUser;
        for (const phase of variant.phases(user)) await phase.run();
      }
    }
    await seen.mark('warm-up done');
    warmupSeen.push(...seen.seen());
    const warmupEvals = warmupSeen.filter((c) => c.source === 'client' && c.args[0] === 'EVAL').length;
    detail(`warm-up: ${warmupEvals} EVAL with the script source (one per script, after NOSCRIPT) — once per Redis server, not per login`);

    let allPassed = true;
    const perLoginFigures: string[] = [];
    for (const variant of variants) {
      seen.clear();
      counting.clear();
      const before = await commandCalls(control);
      for (let i = 0; i < LOGINS; i += 1) {
        const user = users[nextUser++] as BenchUser;
        for (const phase of variant.phases(user)) {
          await seen.mark(phase.name);
          await phase.run();
        }
        await seen.mark('between logins');
      }
      const after = await commandCalls(control);
      const tally: Tally = { byPhase: new Map(), lua: new Map(), storeCalls: new Map(counting.calls), commandstats: sumCommandstats(before, after), monitorTotal: 0 };
      for (const command of seen.seen()) {
        tally.monitorTotal += 1;
        const { owner, label } = classify(command);
        if (command.source === 'lua') {
          add(tally.lua, `${command.args[0]} (${label.split('(')[1]?.replace(')', '') ?? ''})`);
          continue;
        }
        let owners = tally.byPhase.get(command.phase);
        if (!owners) tally.byPhase.set(command.phase, (owners = new Map()));
        let labels = owners.get(owner);
        if (!labels) owners.set(owner, (labels = new Map()));
        add(labels, label);
      }

      detail('');
      detail(`${variant.name}: round trips per login by phase (client commands; mean over ${LOGINS} logins)`);
      const perOwner = new Map<Owner, Map<string, number>>();
      for (const [phaseName, owners] of tally.byPhase) {
        const describe = (owner: Owner): string => {
          const labels = owners.get(owner);
          if (!labels || labels.size === 0) return '—';
          return [...labels].map(([label, n]) => `${fixed(n / LOGINS, 2).replace(/\.00$/, '')}× ${label}`).join(', ');
        };
        detail(`  ${phaseName}`);
        detail(`      challenge store ${fixed(total(owners.get('challenge store')) / LOGINS, 2)}: ${describe('challenge store')}`);
        detail(`      session store   ${fixed(total(owners.get('session store')) / LOGINS, 2)}: ${describe('session store')}`);
        if (owners.has('other')) detail(`      other           ${fixed(total(owners.get('other')) / LOGINS, 2)}: ${describe('other')}`);
        for (const [owner, labels] of owners) {
          let merged = perOwner.get(owner);
          if (!merged) perOwner.set(owner, (merged = new Map()));
          for (const [label, n] of labels) add(merged, label, n);
        }
      }
      const challengeTrips = total(perOwner.get('challenge store')) / LOGINS;
      const sessionTrips = total(perOwner.get('session store')) / LOGINS;
      const byCommand = new Map<string, number>();
      for (const [label, n] of perOwner.get('challenge store') ?? []) add(byCommand, label.split(' (')[0] ?? label, n);
      detail(`  per login, challenge store by command: ${[...byCommand].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${fixed(n / LOGINS, 2)}`).join(', ')}`);
      const sessionByCommand = new Map<string, number>();
      for (const [label, n] of perOwner.get('session store') ?? []) add(sessionByCommand, label.split(' (')[0] ?? label, n);
      detail(`  per login, session store by command:   ${[...sessionByCommand].map(([c, n]) => `${c} ${fixed(n / LOGINS, 2)}`).join(', ')}`);
      detail(`  inside scripts per login (no round trip): ${[...tally.lua].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${fixed(n / LOGINS, 2)}`).join(', ')}`);
      const storeOps = total(tally.storeCalls) - (tally.storeCalls.get('subscribe') ?? 0);
      detail(
        `  store operations asked by the strategy per login: ${fixed(storeOps / LOGINS, 2)} ` +
          `(${[...tally.storeCalls].map(([m, n]) => `${m} ${fixed(n / LOGINS, 2)}`).join(', ')}; subscribe is local: one subscriber connection per store)`,
      );
      detail(`  Redis's own count: INFO commandstats ${tally.commandstats} commands (client + script) vs MONITOR ${tally.monitorTotal}`);
      if (tally.commandstats !== tally.monitorTotal) throw new Error('INFO commandstats and MONITOR disagree: something else talked to this Redis');

      perLoginFigures.push(
        `${variant.name}: challenge store ${fixed(challengeTrips, 2)} vs session store ${fixed(sessionTrips, 2)} round trips/login → ratio ${fixed(challengeTrips / sessionTrips, 2)}`,
      );
      const tripsPerOp = (challengeTrips * LOGINS) / storeOps;
      allPassed &&= tripsPerOp === 1;
      info(`redis round trips per login, ${perLoginFigures.at(-1)}; total ${fixed(challengeTrips + sessionTrips, 2)}`);
      result(
        `redis round trips per store operation, ${variant.name}: ${fixed(challengeTrips * LOGINS, 0)} round trips for ${storeOps} operations → ${fixed(tripsPerOp, 3)} ` +
          `(target: 1, one round trip each)`,
        tripsPerOp === 1,
      );
    }
    if (!allPassed) detail('a store operation took more than one round trip: see the per-phase lines above');
  } finally {
    agent.destroy();
    monitor?.close();
    await app?.close();
    await store?.close();
    if (client) closeAppClient(client);
    await redis?.stop();
    await emulator.close();
  }
}

await main();
