import { VerifyPushError } from '../errors.js';
import type { FlowRequest } from '../flow/login-flow.js';
import type { VerifyPushAuthenticateOptions, VerifyPushRequest } from '../types.js';
import { wholeNumber } from '../validate.js';

/**
 * What this mount of `passport.authenticate('verify-push', options)` asks of the flow. Passport hands the
 * options over on every request, so a wrong one is reported as an error (500) naming it, never ignored.
 */
export function flowRequestOf(req: VerifyPushRequest, options: VerifyPushAuthenticateOptions, gate: boolean): FlowRequest {
  const maxAge = options.maxAge === undefined ? undefined : wholeNumber('maxAge', options.maxAge, 0, { min: 0, max: 2_592_000, unit: 'seconds' });
  if (options.message !== undefined && (typeof options.message !== 'string' || options.message.trim() === '')) {
    throw new VerifyPushError('INVALID_OPTION', 'The `message` authenticate option must be a non-empty string.');
  }
  if (options.fields !== undefined && !Array.isArray(options.fields)) {
    throw new VerifyPushError('INVALID_OPTION', 'The `fields` authenticate option must be an array of { label, value }.');
  }
  if (options.askAgain !== undefined && typeof options.askAgain !== 'boolean') {
    throw new VerifyPushError('INVALID_OPTION', 'The `askAgain` authenticate option must be true or false.');
  }
  const { remember: wanted } = options;
  const remember = typeof wanted === 'function' ? () => wanted(req) === true : () => wanted === true;
  return {
    gate,
    ...(maxAge === undefined ? {} : { maxAgeMs: maxAge * 1000 }),
    ...(options.message === undefined && options.fields === undefined
      ? {}
      : { stepUp: { ...(options.message === undefined ? {} : { message: options.message }), ...(options.fields === undefined ? {} : { fields: options.fields }) } }),
    remember,
    askAgain: options.askAgain === true,
  };
}
