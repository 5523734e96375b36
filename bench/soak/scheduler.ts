/**
 * Runs the planned logins with at most `concurrency` at once and at most one per user at a time (a user's
 * logins follow one another, as one person's do). A free slot goes to the free user with the most logins
 * left (then in plan order), so heavy users' chains do not all end up in a long tail. Tells `onEnded` after
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

  const left = new Map<string, number>();
  for (const plan of logins) left.set(plan.user.id, (left.get(plan.user.id) ?? 0) + 1);

  const nextFree = (): LoginPlan | undefined => {
    let best = -1;
    remaining.forEach((plan, index) => {
      if (busy.has(plan.user.id)) return;
      if (best < 0 || left.get(plan.user.id)! > left.get(remaining[best]!.user.id)!) best = index;
    });
    if (best < 0) return undefined;
    const [plan] = remaining.splice(best, 1);
    left.set(plan!.user.id, left.get(plan!.user.id)! - 1);
    return plan;
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
