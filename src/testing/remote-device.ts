import { SimulatedDevice } from './device.js';
import { emulatorClient } from './sdk-client.js';
import type { Clock, EmulatorConnection } from './types.js';

/**
 * A simulated phone for an emulator in another process (the emulator server, say): the same device as
 * `emulator.device()`, reaching the emulator by its URL. `clock` dates the device's short-lived credentials;
 * keep the default unless that emulator runs on a clock of its own.
 */
export function emulatorDevice(connection: EmulatorConnection, options: { clock?: Clock } = {}): SimulatedDevice {
  return new SimulatedDevice(connection.url, emulatorClient(connection), options.clock ?? Date.now);
}
