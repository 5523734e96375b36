/**
 * One soak run, start to finish: the world (world.ts), a baseline of each instance, the faults switched on,
 * the planned logins with the infrastructure faults timed by their progress, a quiet moment, what Twilio and
 * Redis hold then, the checks, and everything closed again whatever happened.
 */
import type { AttemptRecord } from './attempt.js';
import { Browser } from './browser.js';
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
import { readDenialLedger, scanKeys, type DenialLedger } from './leftovers.js';
import { runLogin } from './login.js';
import type { SoakOptions } from './options.js';
import { makePlan } from './plan.js';
import { Prng } from './prng.js';
import { runPlanned } from './scheduler.js';
import { summarize, type SoakSummary } from './summary.js';
import { readTruth } from './truth.js';
import { installTwilioFaults } from './twilio-faults.js';
import { INSTANCE_NAMES, PREFIX, startWorld } from './world.js';

export interface SoakRun {
  summary: SoakSummary;
  checks: CheckResult[];
  violations: number;
  durationMs: number;
  attempts: AttemptRecord[];
}

/** The instance killed mid-run. */
const VICTIM = 'C';
/** Quiet time after the last login before the leftovers are read: idle keep-alive sockets to Twilio close after 5 s. */
const SETTLE_MS = 6500;

const CHECKS = [checkOwnApproval, checkOnePush, checkCreationRetries, checkEndings, checkApprovals, checkStartLimits, checkDenials, checkLeaks];

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function runSoak(options: SoakOptions, log: (line: string) => void = () => undefined): Promise<SoakRun> {
  const began = Date.now();
  const plan = makePlan(options);
  const deployment = soakDeployment(options);
  const world = await startWorld(options, plan, deployment, new Prng(options.seed));
  const { emulator, pool, admin, proxy } = world;
  try {
    await sleep(500);
    const baseline = await Promise.all(INSTANCE_NAMES.map((name) => pool.stats(name)));
    log(`soak: ${options.logins} logins, ${options.users} users, concurrency ${options.concurrency}, seed ${options.seed}`);

    installTwilioFaults(emulator, options.faultRate);
    emulator.faults.webhooks({ dropProbability: options.webhookDropRate, duplicateProbability: options.webhookDuplicateRate });
    const ledgers: DenialLedger[] = [];
    const chaos = new Chaos({
      redis: world.redis,
      options,
      victim: VICTIM,
      kill: (name) => pool.kill(name),
      start: (name) => world.restartInstance(name),
      beforeRestart: async () => void ledgers.push(await readDenialLedger(admin, PREFIX)),
      log,
    });
    const browsers = new Map(plan.users.map((user, index) => [user.id, new Browser(world.instances, index)]));
    let logins = 0;
    const attempts = await runPlanned(
      plan.logins,
      options.concurrency,
      async (login) => {
        const { id } = login.user;
        const record = await runLogin({ browser: browsers.get(id)!, phone: world.phones.get(id)!, identity: world.identities.get(id)!, graceMs: options.graceMs }, login);
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
    const truth = await readTruth(emulator, world.serviceSid, world.identities.values());
    const restarts = chaos.windows.filter((window) => window.kind === 'redis-restart').map((window) => window.from);

    const evidence: Evidence = {
      options,
      deployment,
      attempts,
      events: world.events,
      windows: chaos.windows,
      truth,
      leaks: { baseline, end, keys, crashes: pool.crashes.map((crash) => `${crash.name} (${crash.signal ?? crash.code}): ${crash.stderr.slice(-300)}`) },
      ledgers,
      ...matchPushes(attempts, truth),
      lives: [0, ...restarts.sort((a, b) => a - b)],
    };
    const checks = CHECKS.map((check) => check(evidence));
    return {
      summary: summarize(evidence, proxy.stats),
      checks,
      violations: checks.reduce((sum, check) => sum + check.violations.length, 0),
      durationMs: Date.now() - began,
      attempts,
    };
  } finally {
    await world.close();
  }
}
