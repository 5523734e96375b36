import type { EmulatorDeviceErrorCode } from './types.js';

/**
 * A refusal by the simulated device itself, before anything is sent to the emulator: the checks a
 * real app must make before approving (silent approval's transaction id, number matching).
 * Match on `code`; Twilio's own refusals reject with twilio's `RestException` instead.
 */
export class EmulatorDeviceError extends Error {
  readonly code: EmulatorDeviceErrorCode;

  constructor(code: EmulatorDeviceErrorCode, message: string) {
    super(message);
    this.name = 'EmulatorDeviceError';
    this.code = code;
  }
}
