/**
 * Runs one `authenticate()` the way Passport does (a fresh `Object.create(strategy)` with the five action
 * functions attached), in the spirit of chai-passport-strategy, and resolves with the first thing the
 * strategy did: a Passport action, or an answer it wrote itself on `req.res` (pending). Every action is
 * recorded so a test can also check that exactly one happened.
 */
import type { VerifyPushStrategy } from '../../src/passport/strategy.js';
import type { FakeRequest, FakeResponse } from './fakes.js';

export type ActionName = 'success' | 'fail' | 'redirect' | 'pass' | 'error' | 'respond';

export interface Action {
  action: ActionName;
  user?: unknown;
  info?: unknown;
  /** fail's challenge argument (our failure info / pending body) */
  challenge?: unknown;
  status?: number;
  url?: string;
  error?: unknown;
  /** what the strategy wrote itself on req.res */
  response?: { status: number; headers: Record<string, string>; body: string };
}

export interface Run extends Action {
  /** Every action taken during this run (checked after the event loop had a chance to run). */
  all: Action[];
}

export function runStrategy<User>(
  strategy: VerifyPushStrategy<User>,
  req: FakeRequest,
  options: Record<string, unknown> = {},
): Promise<Run> {
  const all: Action[] = [];
  return new Promise<Run>((resolve) => {
    const record = (action: Action): void => {
      all.push(action);
      if (all.length === 1) {
        // Give a wrongly-implemented strategy the chance to act twice before the test inspects `all`.
        setImmediate(() => resolve({ ...action, all }));
      }
    };
    const instance = Object.create(strategy) as VerifyPushStrategy<User> & Record<string, unknown>;
    instance.success = (user: unknown, info?: unknown) => record({ action: 'success', user, info });
    instance.fail = (challenge?: unknown, status?: number) => record({ action: 'fail', challenge, status });
    instance.redirect = (url: string, status?: number) => record({ action: 'redirect', url, status });
    instance.pass = () => record({ action: 'pass' });
    instance.error = (error: unknown) => record({ action: 'error', error });
    const res = req.res as FakeResponse;
    res.onEnd = () =>
      record({ action: 'respond', response: { status: res.statusCode, headers: { ...res.headers }, body: res.body } });
    instance.authenticate(req as never, options);
  });
}
