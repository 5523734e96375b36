/**
 * The run's script, drawn from the seed before anything starts: the users (each with an office address shared
 * with one colleague and a home address of their own), and for every login who logs in, from where, how the
 * browser starts, waits and completes (sometimes from two tabs at once), what the phone does and after how
 * long, and how often the user presses "send it again".
 */
import type { SoakOptions } from './options.js';
import { Prng } from './prng.js';

export interface SoakUser {
  id: string;
  name: string;
  /** Shared with one other user: the per-address limit sees two users. */
  office: string;
  home: string;
}

export type PhoneAction = 'approve' | 'silent' | 'deny' | 'ignore';

/** How the browser learns the outcome while the phone decides. */
export type WaitMode = 'sse' | 'long-poll' | 'poll';

/** Which middleware answers a request: the login route (custom callback) or the gate in front of /app. */
export type Door = 'route' | 'gate';

export interface LoginPlan {
  index: number;
  /** Sent as X-Soak-Attempt on every request of this login, so the instances' reports name it. */
  id: string;
  user: SoakUser;
  address: string;
  startVia: Door;
  completeVia: Door;
  wait: WaitMode;
  phone: PhoneAction;
  /** How long after the push the phone answers. */
  phoneDelayMs: number;
  /** "Send it again" presses, 0 to 4 (the allowance is 2). */
  resends: number;
  /** The completion is asked twice at once (two tabs, or a double click), each on its own instance. */
  twoTabs: boolean;
  /** The user's pause before this login (after the previous one ended). */
  idleMs: number;
}

export interface SoakPlan {
  users: SoakUser[];
  logins: LoginPlan[];
}

function makeUsers(count: number): SoakUser[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `soak-${String(i).padStart(4, '0')}`,
    name: `user${i}`,
    office: `10.1.${Math.floor(i / 2) % 250}.${1 + Math.floor(i / 500)}`,
    home: `10.2.${i % 250}.${1 + Math.floor(i / 250)}`,
  }));
}

export function makePlan(options: SoakOptions): SoakPlan {
  const root = new Prng(options.seed);
  const users = makeUsers(options.users);
  // Some users log in far more often than others, so the start limits meet both light and heavy users.
  const weightRandom = root.fork('user-weights');
  const weights = users.map(() => 1 + 2 * weightRandom.next());
  const totalWeight = weights.reduce((sum, weight) => sum + weight, 0);
  const who = root.fork('who');
  const how = root.fork('how');
  const phone = root.fork('phone');
  const tabs = root.fork('tabs');
  const mix: Record<PhoneAction, number> = { ...options.phone };
  const logins: LoginPlan[] = [];
  for (let index = 0; index < options.logins; index += 1) {
    let roll = who.next() * totalWeight;
    let userIndex = 0;
    while (userIndex < users.length - 1 && roll >= weights[userIndex]!) {
      roll -= weights[userIndex]!;
      userIndex += 1;
    }
    const user = users[userIndex]!;
    logins.push({
      index,
      id: `a${index}`,
      user,
      address: how.chance(0.7) ? user.office : user.home,
      startVia: how.chance(0.5) ? 'route' : 'gate',
      completeVia: how.chance(0.5) ? 'route' : 'gate',
      wait: how.weighted<WaitMode>({ sse: 0.45, 'long-poll': 0.3, poll: 0.25 }),
      phone: phone.weighted(mix),
      phoneDelayMs: phone.int(150, 2500),
      resends: how.chance(options.resendRate) ? how.int(1, 4) : 0,
      twoTabs: tabs.chance(options.twoTabsRate),
      idleMs: how.int(50, 800),
    });
  }
  return { users, logins };
}
