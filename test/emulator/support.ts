import { VerifyPushEmulator, type RunningEmulator, type SimulatedDevice } from '../../src/testing/index.js';

/** A running emulator on a test clock that only moves when the test says so. */
export interface ClockedEmulator {
  emulator: RunningEmulator;
  now(): number;
  advance(ms: number): void;
}

export async function startClocked(start = Date.parse('2030-01-01T00:00:00Z')): Promise<ClockedEmulator> {
  let now = start;
  const emulator = await VerifyPushEmulator.start({ clock: () => now });
  return {
    emulator,
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
  };
}

export interface Enrolment {
  serviceSid: string;
  identity: string;
  factorSid: string;
  device: SimulatedDevice;
}

/** A service with one user whose device has registered a verified push factor. */
export async function enrol(emulator: RunningEmulator, identity = 'user-0001-abcdef'): Promise<Enrolment> {
  const serviceSid = await emulator.createService('Emulator tests');
  const device = emulator.device();
  const { factorSid } = await device.register({ serviceSid, identity });
  return { serviceSid, identity, factorSid, device };
}

export function challengesOf(emulator: RunningEmulator, e: Pick<Enrolment, 'serviceSid' | 'identity'>) {
  return emulator.client().verify.v2.services(e.serviceSid).entities(e.identity).challenges;
}
