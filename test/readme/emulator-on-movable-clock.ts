/**
 * For a README sample test: the emulator, started before the file's tests and closed after them, and the clock
 * it shares with the strategy, which the test moves instead of waiting in real time.
 */
import type request from 'supertest';
import { afterAll, beforeAll } from 'vitest';
import { VerifyPushEmulator, type RunningEmulator } from '../../src/testing/index.js';

export interface EmulatorOnMovableClock {
  readonly emulator: RunningEmulator;
  /** The emulator's clock, to give the strategy too. */
  readonly clock: () => number;
  advance(ms: number): void;
  /**
   * A JSON request sent again after each poll hint (the clock moved by it) until it is no longer pending, as a
   * page would; after 5 polls the pending answer itself is returned.
   */
  untilAnswered(send: () => request.Test): Promise<request.Response>;
}

export function useEmulatorOnMovableClock(): EmulatorOnMovableClock {
  let emulator: RunningEmulator | undefined;
  let offset = 0;
  const clock = (): number => Date.now() + offset;
  const advance = (ms: number): void => {
    offset += ms;
  };
  beforeAll(async () => {
    emulator = await VerifyPushEmulator.start({ clock });
  });
  afterAll(() => emulator?.close());
  return {
    get emulator() {
      if (!emulator) throw new Error('the emulator is used before beforeAll started it');
      return emulator;
    },
    clock,
    advance,
    async untilAnswered(send) {
      let answer = await send();
      for (let polls = 0; answer.status === 202 && polls < 5; polls += 1) {
        advance(answer.body.pollAfterMs);
        answer = await send();
      }
      return answer;
    },
  };
}
