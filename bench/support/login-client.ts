/**
 * A browser stand-in for one login: first factor, start the push, then several tabs sharing one cookie
 * jar poll at a fixed rate until one of them is logged in. Used by every benchmark that needs a login.
 */
import type { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { SimulatedDevice } from '../../src/testing/index.js';
import { CookieJar, send, sleep, type Answer } from './http.js';
import { identityOf, type BenchUser } from './push-app.js';

export interface BrowserOptions {
  agent: Agent;
  port: number;
}

const JSON_HEADERS = { accept: 'application/json' };

export class Browser {
  readonly jar = new CookieJar();
  private readonly agent: Agent;
  private readonly port: number;

  constructor(options: BrowserOptions) {
    this.agent = options.agent;
    this.port = options.port;
  }

  async post(path: string): Promise<Answer> {
    const answer = await send(this.agent, this.port, { method: 'POST', path, headers: { ...JSON_HEADERS, cookie: this.jar.header() } });
    this.jar.update(answer);
    return answer;
  }

  async get(path: string): Promise<Answer> {
    const answer = await send(this.agent, this.port, { method: 'GET', path, headers: { ...JSON_HEADERS, cookie: this.jar.header() } });
    this.jar.update(answer);
    return answer;
  }

  async firstFactor(userId: string): Promise<void> {
    const answer = await this.post(`/login/password?user=${encodeURIComponent(userId)}`);
    if (answer.status !== 204) throw new Error(`first factor answered ${answer.status}`);
  }

  /** Starts the second factor; the route must answer 202 (pending). */
  async start(path: string): Promise<Answer> {
    const answer = await this.post(path);
    if (answer.status !== 202) throw new Error(`${path} answered ${answer.status} ${answer.body.slice(0, 200)} instead of 202`);
    return answer;
  }

  /**
   * `tabs` tabs poll `path` every `everyMs` (tab starts spread over one period) until one gets 200.
   * Exactly one request may complete a login: a tab whose poll raced the winner's gets a refusal (often
   * before the winner's answer, which has a session to regenerate), and stops, as a tab would show
   * "already used". Answers after the winner are ignored, as a browser would once the page navigated.
   * Fails if every tab stopped without a winner.
   */
  async pollUntilDone(path: string, tabs: number, everyMs: number, timeoutMs: number): Promise<PollOutcome> {
    let doneAt: number | undefined;
    let polls = 0;
    const refusals: number[] = [];
    const deadline = performance.now() + timeoutMs;
    const tab = async (offsetMs: number): Promise<void> => {
      await sleep(offsetMs);
      while (doneAt === undefined) {
        if (performance.now() > deadline) throw new Error(`${path} still pending after ${timeoutMs} ms`);
        await sleep(everyMs);
        if (doneAt !== undefined) return;
        polls += 1;
        const answer = await this.post(path);
        if (doneAt !== undefined) return;
        if (answer.status === 200) doneAt = performance.now();
        else if (answer.status !== 202) {
          refusals.push(answer.status);
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: tabs }, (_, i) => tab((everyMs * i) / tabs)));
    if (doneAt === undefined) throw new Error(`no tab completed ${path}; refusals: ${refusals.join(', ')}`);
    return { polls, doneAt, refusals };
  }
}

export interface PollOutcome {
  /** Poll requests sent by all tabs together. */
  polls: number;
  /** performance.now() when the winning answer arrived. */
  doneAt: number;
  /** Statuses of tabs that were refused before the winner's answer arrived (lost the race). */
  refusals: number[];
}

export interface PhoneRef {
  device: SimulatedDevice;
  serviceSid: string;
  identity: string;
  factorSid: string;
}

/** One phone per user, each enrolled with the identity the strategy derives for that user, by user id. */
export async function enrolPhones(device: SimulatedDevice, serviceSid: string, users: readonly BenchUser[]): Promise<Map<string, PhoneRef>> {
  const phones = new Map<string, PhoneRef>();
  for (const user of users) {
    const identity = identityOf(user);
    const { factorSid } = await device.register({ serviceSid, identity });
    phones.set(user.id, { device, serviceSid, identity, factorSid });
  }
  return phones;
}

/** The user taps "Approve" on the newest pending challenge. */
export async function approveNewest(phone: PhoneRef): Promise<void> {
  const { device, serviceSid, identity, factorSid } = phone;
  const [newest] = await device.challenges({ serviceSid, identity, factorSid, status: 'pending' });
  if (!newest) throw new Error('no pending challenge on the phone');
  await device.approve({ serviceSid, identity, factorSid, challengeSid: newest.sid });
}
