/**
 * Builds a strategy from options and a verify callback whose shapes are only known at run time (test harnesses
 * take either kind). Apps write one of the two constructor forms directly, and the types check the pairing.
 */
import { VerifyPushStrategy } from '../../src/passport/strategy.js';
import type { VerifyFunction, VerifyFunctionWithRequest, VerifyPushOptions } from '../../src/types.js';

export function newStrategy<User>(
  options: VerifyPushOptions<User>,
  verify?: VerifyFunction<User> | VerifyFunctionWithRequest<User>,
): VerifyPushStrategy<User> {
  if (options.passReqToCallback === true) {
    return new VerifyPushStrategy<User>({ ...options, passReqToCallback: true }, verify as VerifyFunctionWithRequest<User>);
  }
  return new VerifyPushStrategy<User>({ ...options, passReqToCallback: false }, verify as VerifyFunction<User> | undefined);
}
