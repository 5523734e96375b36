/**
 * The cluster's one emulator and its phones, run by the primary: every worker talks to the same Verify service,
 * the emulator's webhook reaches whichever worker Node hands the connection to, and the phones (which keep their
 * private keys) answer for every worker through the phone service.
 */
import type { EmulatorConnection } from 'passport-twilio-verify-push/testing';
import { prepareEmulator } from '../backend.js';
import { DeviceSimulator } from '../device-sim.js';
import { servePhones } from './phone-service.js';

/** What a worker needs to reach the shared emulator and phones (handed over in its environment). */
export interface SharedEmulatorInfo {
  /** The emulator's URL and credentials: what `emulatorClient()` takes. */
  emulator: EmulatorConnection;
  serviceSid: string;
  /** The primary's phone service. */
  phones: { url: string; token: string };
}

export interface SharedEmulator {
  info: SharedEmulatorInfo;
  close(): Promise<void>;
}

/** Starts the emulator with a webhook to `appUrl` (the port every worker shares), and the phone service. */
export async function startSharedEmulator(appUrl: string): Promise<SharedEmulator> {
  const { emulator, serviceSid } = await prepareEmulator(appUrl, Date.now);
  try {
    const service = await servePhones(new DeviceSimulator(emulator, serviceSid));
    return {
      info: {
        emulator: { url: emulator.url, accountSid: emulator.accountSid, authToken: emulator.authToken },
        serviceSid,
        phones: { url: service.url, token: service.token },
      },
      async close() {
        await service.close();
        await emulator.close();
      },
    };
  } catch (error) {
    await emulator.close();
    throw error;
  }
}
