/**
 * The Twilio faults of the soak, installed once on the emulator: every Twilio operation the app uses gets the
 * same share of faults (`faultRate`), split over kinds by weight: 429 with Retry-After, 500, 503, latency,
 * a hung call (the app's request times out), a dropped connection, and for challenge creation also the two
 * cases where Twilio did the work but the answer was lost (connection dropped, or a 502 after processing).
 * Rules are tried in order with one draw each, so each rule's probability is its share of what the rules
 * before it left.
 */
import type { FaultRule, OperationName, RunningEmulator } from '../../src/testing/index.js';

/** The operations the strategy calls (the phone's own calls are never faulted: the phone is not under test). */
export const APP_OPERATIONS: readonly OperationName[] = ['listFactors', 'createChallenge', 'listChallenges', 'fetchChallenge', 'createNotification'];

/** The status used only by "processed, then answered 502": how the call log tells that fault apart. */
export const PROCESSED_STATUS = 502;

type Kind = Omit<FaultRule, 'operation' | 'probability' | 'times' | 'source'>;

const EVERY_OPERATION: Array<[weight: number, kind: Kind]> = [
  [3, { kind: 'status', status: 429, retryAfterSeconds: 1 }],
  [2, { kind: 'status', status: 500 }],
  [2, { kind: 'status', status: 503 }],
  [1, { kind: 'latency', latencyMs: 300 }],
  [1, { kind: 'latency', latencyMs: 800 }],
  [1, { kind: 'latency', latencyMs: 1500 }],
  [1, { kind: 'hang' }],
  [2, { kind: 'drop' }],
];

const CREATION_ONLY: Array<[weight: number, kind: Kind]> = [
  [2, { kind: 'drop', afterProcessing: true }],
  [1, { kind: 'status', status: PROCESSED_STATUS, afterProcessing: true }],
];

/** The rules for one operation, their probabilities adding up to `rate` for a call of that operation. */
export function rulesFor(operation: OperationName, rate: number): FaultRule[] {
  const kinds = operation === 'createChallenge' ? [...CREATION_ONLY, ...EVERY_OPERATION] : EVERY_OPERATION;
  const total = kinds.reduce((sum, [weight]) => sum + weight, 0);
  const rules: FaultRule[] = [];
  let left = 1;
  for (const [weight, kind] of kinds) {
    const share = (rate * weight) / total;
    rules.push({ ...kind, operation, source: 'api', probability: Math.min(1, share / left) });
    left -= share;
  }
  return rules;
}

export function installTwilioFaults(emulator: RunningEmulator, rate: number): void {
  if (rate <= 0) return;
  for (const operation of APP_OPERATIONS) for (const rule of rulesFor(operation, rate)) emulator.faults.add(rule);
}

/** The Retry-After (seconds) a faulted call was answered with: every 429 here asks for one. */
export function retryAfterOf(call: { fault?: string; status: number }): number | undefined {
  const rule = EVERY_OPERATION.find(([, kind]) => kind.kind === 'status' && kind.status === call.status);
  return call.fault === 'status' ? rule?.[1].retryAfterSeconds : undefined;
}

/** A short name for a faulted call in the report: `429`, `hang`, `processed+drop`, … */
export function faultLabel(call: { fault?: string; status: number; operation: string }): string | undefined {
  if (call.fault === undefined) return undefined;
  if (call.fault === 'status') return call.status === PROCESSED_STATUS ? 'processed+502' : String(call.status);
  return call.fault;
}
