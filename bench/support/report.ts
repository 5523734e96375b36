/**
 * How every benchmark reports: one verdict line per target, comparing a ratio measured in this run
 * against the target from the design's performance table. `bench/run.ts` counts the PASS/MISS words.
 */

export type Verdict = 'PASS' | 'MISS';

export function verdict(pass: boolean): Verdict {
  return pass ? 'PASS' : 'MISS';
}

/** A titled section, so several benchmarks printed one after another stay readable. */
export function heading(title: string): void {
  console.log(`\n=== ${title} ===`);
}

/** Indented raw figure line. */
export function detail(text: string): void {
  console.log(`  ${text}`);
}

/** The one line that states a result against its target. */
export function result(text: string, pass: boolean): Verdict {
  const outcome = verdict(pass);
  console.log(`${text} ${outcome}`);
  return outcome;
}

/** A figure printed for context only, with no target attached. */
export function info(text: string): void {
  console.log(`${text} (info, no target)`);
}
