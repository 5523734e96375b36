/**
 * One soak run, start to finish: a redis-server, the emulator (its fault draws seeded) with a Verify service
 * whose webhook points at the load balancer, one phone per user, three app instances in child processes;
 * then the planned logins under overlapping faults, a quiet moment, what Twilio and Redis hold, the checks,
 * and everything closed again whatever happened.
 */
import { createClient, type RedisClientType } from 'redis';
import { VerifyPushStrategy } from '../../src/passport/strategy.js';
import { VerifyPushEmulator } from '../../src/testing/index.js';
import type { AttemptRecord } from './attempt.js';
import { Browser, type Instance } from './browser.js';
import { Chaos } from './chaos.js';
import { checkApprovals } from './checks/approvals.js';
import { checkCreationRetries } from './checks/creation-retries.js';
import { checkDenials } from './checks/denials.js';
import { checkEndings } from './checks/endings.js';
import { matchPushes, type CheckResult, type Evidence } from './checks/evidence.js';
import { checkLeaks } from './checks/leaks.js';
import { checkOnePush } from './checks/one-push.js';
import { checkOwnApproval } from './checks/own-approval.js';
import { checkStartLimits } from './checks/start-limits.js';
import { soakDeployment } from './deployment.js';
import type { InstanceConfig, InstanceEvent, InstanceStats } from './instance-config.js';
import { InstancePool } from './instances.js';
import { readDenialLedger, scanKeys, type DenialLedger } from './leftovers.js';
import { runLogin } from './login.js';
import type { SoakOptions } from './options.js';
import { Phone } from './phone.js';
import { makePlan } from './plan.js';
import { freePort } from './ports.js';
import { Prng } from './prng.js';
import { startSoakRedis } from './redis-server.js';
import { runPlanned } from './scheduler.js';
import { summarize, type SoakSummary } from './summary.js';
import { readTruth } from './truth.js';
import { installTwilioFaults } from './twilio-faults.js';
import { WebhookProxy } from './webhook-proxy.js';

export interface SoakRun {
  summary: SoakSummary;
  checks: CheckResult[];
  violations: number;
  durationMs: number;
  attempts: AttemptRecord[];
}

const PREFIX = 'soak:';
const INSTANCE_NAMES = ['A', 'B', 'C'] as const;
/** The instance killed mid-run. */
const VICTIM = 'C';
/** Quiet time after the last login before the leftovers are read: idle keep-alive sockets to Twilio close after 5 s. */
const SETTLE_MS = 6500;
const IDENTITY_SECRET = 'soak-identity-secret-0123456789abcdef0123';
const SESSION_SECRET = 'soak-session-secret-shared-by-every-instance';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function runSoak(options: SoakOptions, log: (line: string) => void = () => undefined): Promise<SoakRun> {
  const began = Date.now();
  const plan = makePlan(options);
  const deployment = soakDeployment(options);
  const root = new Prng(options.seed);
  const faultDraws = root.fork('twilio-faults');
  const closers: Array<() => Promise<void>> = [];
  try {
    const redis = await startSoakRedis();
    closers.push(() => redis.stop());
    const emulator = await VerifyPushEmulator.start({ random: () => faultDraws.next() });
    closers.push(() => emulator.close());
    const serviceSid = await emulator.createService('Soak');

    const instances: Instance[] = [];
    const proxy = new WebhookProxy({
      instances: () => instances.map((instance) => instance.url),
      random: root.fork('webhook-late'),
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
    for (const url of await Promise.all(INSTANCE_NAMES.map((name) => pool.start(configs.get(name)!)))) {
      instances.push({ name: INSTANCE_NAMES[instances.length]!, url });
    }
    const admin = createClient({ url: redis.url, socket: { reconnectStrategy: () => 200 } }) as RedisClientType;
    admin.on('error', () => undefined);
    await admin.connect();
    closers.push(async () => admin.destroy());
    await sleep(500);
    const baseline: InstanceStats[] = await Promise.all(INSTANCE_NAMES.map((name) => pool.stats(name)));
    log(`soak: ${options.logins} logins, ${options.users} users, concurrency ${options.concurrency}, seed ${options.seed}; instances ${instances.map((i) => `${i.name} ${i.url}`).join(', ')}`);

    installTwilioFaults(emulator, options.faultRate);
    emulator.faults.webhooks({ dropProbability: options.webhookDropRate, duplicateProbability: options.webhookDuplicateRate });
    const ledgers: DenialLedger[] = [];
    const chaos = new Chaos({
      redis,
      options,
      victim: VICTIM,
      kill: (name) => pool.kill(name),
      start: async (name) => void (await pool.start(configs.get(name)!)),
      beforeRestart: async () => void ledgers.push(await readDenialLedger(admin, PREFIX)),
      log,
    });
    const browsers = new Map(plan.users.map((user, index) => [user.id, new Browser(instances, index)]));
    let logins = 0;
    const attempts = await runPlanned(
      plan.logins,
      options.concurrency,
      async (login) => {
        const record = await runLogin(
          { browser: browsers.get(login.user.id)!, phone: phones.get(login.user.id)!, identity: identities.get(login.user.id)!, graceMs: options.graceMs },
          login,
        );
        if (record.outcome === 'login') logins += 1;
        return record;
      },
      (ended, total) => {
        chaos.onProgress(ended, total);
        // Webhook posts that never connect, and posts whose answer is lost (both retried by Twilio), now and then.
        if (ended % 25 === 0) emulator.faults.webhooks({ connectionFailures: 1, lostAnswers: 1 });
        if (ended % Math.max(1, Math.round(total / 10)) === 0) log(`progress: ${ended}/${total} ended, ${logins} logged in, ${((Date.now() - began) / 1000).toFixed(0)} s`);
      },
    );
    await chaos.finished();

    // Quiet: no more faults, every webhook delivered, idle connections closed.
    emulator.faults.clear();
    await emulator.webhooksSettled();
    await proxy.settled();
    await emulator.webhooksSettled();
    await sleep(SETTLE_MS);
    const end = await Promise.all(INSTANCE_NAMES.map((name) => pool.stats(name)));
    const keys = await scanKeys(admin, PREFIX);
    ledgers.push(await readDenialLedger(admin, PREFIX));
    const truth = await readTruth(emulator, serviceSid, identities.values());
    const restarts = chaos.windows.filter((window) => window.kind === 'redis-restart').map((window) => window.from);

    const evidence: Evidence = {
      options,
      deployment,
      attempts,
      events,
      windows: chaos.windows,
      truth,
      leaks: { baseline, end, keys, crashes: pool.crashes.map((crash) => `${crash.name} (${crash.signal ?? crash.code}): ${crash.stderr.slice(-300)}`) },
      ledgers,
      ...matchPushes(attempts, truth),
      lives: [0, ...restarts.sort((a, b) => a - b)],
    };
    const checks = [checkOwnApproval, checkOnePush, checkCreationRetries, checkEndings, checkApprovals, checkStartLimits, checkDenials, checkLeaks].map((check) => check(evidence));
    return {
      summary: summarize(evidence, proxy.stats),
      checks,
      violations: checks.reduce((sum, check) => sum + check.violations.length, 0),
      durationMs: Date.now() - began,
      attempts,
    };
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
}
