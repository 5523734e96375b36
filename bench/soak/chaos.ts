/**
 * The infrastructure faults of the run, each once and timed by progress so they land while logins are in full
 * flow: Redis stopped (SIGSTOP) for a few seconds, with one app instance killed (SIGKILL) a third of the way
 * into that pause and started again a little later; then, further on and not before those two are over (so
 * what Redis held before the restart can be read, and each Redis life judged on its own), Redis killed and
 * started again with every key gone. Each fault is kept as a time window, so the checks can tell which logins
 * it could touch.
 */
import type { RunningRedis } from '../../test/helpers/redis-server.js';
import type { SoakOptions } from './options.js';

export interface FaultWindow {
  kind: 'redis-pause' | 'redis-restart' | 'instance-kill';
  from: number;
  to: number;
  detail: string;
}

export interface ChaosDeps {
  redis: RunningRedis;
  options: SoakOptions;
  /** The instance killed mid-run. */
  victim: string;
  kill(name: string): Promise<void>;
  start(name: string): Promise<void>;
  /** Runs just before Redis is killed: the last look at what this Redis life holds. */
  beforeRestart(): Promise<void>;
  log(line: string): void;
}

export const PAUSE_AT = 0.3;
export const RESTART_AT = 0.6;
/** Quiet time between the end of the pause and kill and the restart: clients reconnect, waiting logins recover. */
const RESTART_GAP_MS = 5000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

export class Chaos {
  readonly windows: FaultWindow[] = [];
  private readonly running: Array<Promise<void>> = [];
  private pauseFired = false;
  private restartFired = false;

  constructor(private readonly deps: ChaosDeps) {}

  onProgress(ended: number, total: number): void {
    const { options } = this.deps;
    const progress = ended / total;
    if (!this.pauseFired && progress >= PAUSE_AT) {
      this.pauseFired = true;
      if (options.redisPauseMs > 0) this.running.push(this.pauseRedis());
      if (options.instanceKill) this.running.push(this.killInstance(options.redisPauseMs / 3));
    }
    if (!this.restartFired && options.redisRestart && progress >= RESTART_AT) {
      this.restartFired = true;
      const earlier = [...this.running];
      this.running.push(Promise.all(earlier).then(() => this.restartRedis()));
    }
  }

  /** Resolves once every fault that started has ended (Redis answering, the instance back). */
  async finished(): Promise<void> {
    await Promise.all(this.running);
  }

  private async pauseRedis(): Promise<void> {
    const { redis, options, log } = this.deps;
    const from = Date.now();
    redis.pause();
    log(`chaos: Redis stopped (SIGSTOP) for ${options.redisPauseMs} ms`);
    await sleep(options.redisPauseMs);
    redis.resume();
    this.windows.push({ kind: 'redis-pause', from, to: Date.now(), detail: `SIGSTOP ${options.redisPauseMs} ms` });
    log('chaos: Redis continued (SIGCONT)');
  }

  private async killInstance(afterMs: number): Promise<void> {
    const { victim, options, kill, start, log } = this.deps;
    await sleep(afterMs);
    const from = Date.now();
    await kill(victim);
    log(`chaos: instance ${victim} killed (SIGKILL)`);
    await sleep(options.instanceDownMs);
    await start(victim);
    this.windows.push({ kind: 'instance-kill', from, to: Date.now(), detail: `${victim} down ${Date.now() - from} ms` });
    log(`chaos: instance ${victim} started again`);
  }

  private async restartRedis(): Promise<void> {
    const { redis, log, beforeRestart } = this.deps;
    const lastFault = Math.max(0, ...this.windows.map((window) => window.to));
    await sleep(lastFault + RESTART_GAP_MS - Date.now());
    await beforeRestart();
    const from = Date.now();
    await redis.restart();
    this.windows.push({ kind: 'redis-restart', from, to: Date.now(), detail: 'SIGKILL, started empty' });
    log('chaos: Redis restarted with every key gone');
  }
}
