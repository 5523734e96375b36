import { describe, it } from 'vitest';
import { challengeStoreContract, type StoreContractHarness } from '../../src/testing/index.js';

/**
 * The shipped ChallengeStore contract (`challengeStoreContract` from `./testing`) as a vitest suite, grouped
 * the way the contract groups its checks. Every store the package ships runs it.
 */
export function describeChallengeStoreContract(
  name: string,
  makeHarness: () => StoreContractHarness | Promise<StoreContractHarness>,
): void {
  describe(`ChallengeStore contract: ${name}`, () => {
    for (const check of challengeStoreContract(makeHarness)) {
      it(`${check.group}: ${check.name}`, check.run);
    }
  });
}
