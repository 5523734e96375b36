import { VerifyPushError } from './errors.js';

export interface WholeNumberRule {
  min: number;
  max: number;
  /** What the number counts, for the error sentence: "milliseconds", "seconds", "bytes"… */
  unit: string;
}

/**
 * The one check for every whole-number option: the value, or `fallback` when it is absent. Anything else (a
 * string, a fraction, out of range) fails at construction with a sentence naming the option, its unit and
 * its range, so a wrong configuration never reaches the first login.
 */
export function wholeNumber(name: string, value: unknown, fallback: number, rule: WholeNumberRule): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < rule.min || value > rule.max) {
    throw new VerifyPushError(
      'INVALID_OPTION',
      `The \`${name}\` option must be a whole number of ${rule.unit} from ${rule.min} to ${rule.max}.`,
    );
  }
  return value;
}
