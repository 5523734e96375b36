/**
 * Runs the planned logins with at most `concurrency` at once and at most one per user at a time (a user's
 * logins follow one another, as one person's do), in plan order as far as that allows. Tells `onEnded` after
 * each login, so faults can be timed by the run's progress rather than by the clock.
 */
import type { LoginPlan } from './plan.js';

export async function runPlanned<Result>(
  logins: readonly LoginPlan[],
  concurrency: number,
  run: (plan: LoginPlan) => Promise<Result>,
  onEnded: (ended: number, total: number) => void,
): Promise<Result[]> {
  const remaining = [...logins];
  const busy = new Set<string>();
  const results: Result[] = [];
  let ended = 0;
  let wake: () => void = () => undefined;

  const nextFree = (): LoginPlan | undefined => {
    const index = remaining.findIndex((plan) => !busy.has(plan.user.id));
    return index < 0 ? undefined : remaining.splice(index, 1)[0];
  };

  const worker = async (): Promise<void> => {
    while (remaining.length > 0) {
      const plan = nextFree();
      if (plan === undefined) {
        // Every remaining login belongs to a user who is logging in right now: wait for one to finish.
        await new Promise<void>((resolve) => {
          const previous = wake;
          wake = () => {
            previous();
            resolve();
          };
        });
        continue;
      }
      busy.add(plan.user.id);
      try {
        results[plan.index] = await run(plan);
      } finally {
        busy.delete(plan.user.id);
        ended += 1;
        onEnded(ended, logins.length);
        const waiting = wake;
        wake = () => undefined;
        waiting();
      }
    }
  };

  await Promise.all(Array.from({ length: Math.min(concurrency, logins.length) }, () => worker()));
  return results.filter((result) => result !== undefined);
}
