/**
 * Where Verify lives for this run: the embedded emulator (default), or real Twilio when configured.
 * Either way the app gets a real twilio client, a service sid, and the auth token webhooks are signed with.
 */
import twilio from 'twilio';
import type { TwilioClientLike } from 'passport-twilio-verify-push';
import { VerifyPushEmulator, emulatorClient, type RunningEmulator } from 'passport-twilio-verify-push/testing';
import { RemotePhones } from './cluster/remote-phones.js';
import type { SharedEmulatorInfo } from './cluster/shared-emulator.js';
import { DeviceSimulator, type Phones } from './device-sim.js';
import { WEBHOOK_EVENTS, webhookUrl, type TwilioModeConfig } from './twilio-mode.js';

export interface Backend {
  mode: 'emulator' | 'twilio';
  client: TwilioClientLike;
  authToken: string;
  serviceSid: string;
  /** The exact URL the webhook is called on: signatures are checked against it. */
  webhookUrl: string;
  identitySecret: string;
  /** Emulator mode, when the emulator runs in this process. */
  emulator?: RunningEmulator;
  /** Emulator mode: the simulated phones, here or in the cluster's primary. */
  phones?: Phones;
  close(): Promise<void>;
}

export async function twilioBackend(config: TwilioModeConfig): Promise<Backend> {
  return {
    mode: 'twilio',
    client: config.client ?? (twilio(config.accountSid, config.authToken) as unknown as TwilioClientLike),
    authToken: config.authToken,
    serviceSid: config.serviceSid,
    webhookUrl: webhookUrl(config.publicUrl),
    identitySecret: config.identitySecret,
    close: async () => undefined,
  };
}

/** An emulator with a Verify service whose webhook points at the app: what `emulatorBackend` and a cluster's primary start. */
export interface PreparedEmulator {
  emulator: RunningEmulator;
  serviceSid: string;
  /** The exact URL the emulator calls: signatures are checked against it. */
  webhookUrl: string;
}

/**
 * Starts the emulator, creates a Verify service, and registers a webhook pointing at the app at `appUrl`, so
 * approvals travel the same signed-webhook path they would with Twilio.
 */
export async function prepareEmulator(appUrl: string, clock: () => number): Promise<PreparedEmulator> {
  const emulator = await VerifyPushEmulator.start({ clock });
  try {
    const serviceSid = await emulator.createService('Verify Push example');
    const url = webhookUrl(appUrl);
    await emulator.client().verify.v2.services(serviceSid).webhooks.create({
      friendlyName: 'example app',
      webhookUrl: url,
      // Outcomes of pushes, and devices added or removed (see WEBHOOK_EVENTS).
      eventTypes: WEBHOOK_EVENTS,
    });
    return { emulator, serviceSid, webhookUrl: url };
  } catch (error) {
    await emulator.close();
    throw error;
  }
}

/** The embedded emulator and the simulated phones, in this process: the example running alone. */
export async function emulatorBackend(appUrl: string, clock: () => number, identitySecret: string): Promise<Backend> {
  const { emulator, serviceSid, webhookUrl: url } = await prepareEmulator(appUrl, clock);
  return {
    mode: 'emulator',
    client: emulator.client() as unknown as TwilioClientLike,
    authToken: emulator.authToken,
    serviceSid,
    webhookUrl: url,
    identitySecret,
    emulator,
    phones: new DeviceSimulator(emulator, serviceSid),
    close: () => emulator.close(),
  };
}

/**
 * A cluster worker in emulator mode: the emulator and the phones run in the primary, reached by URL, so a
 * webhook, a phone's answer and a waiting page can each be on a different worker and still meet.
 */
export function sharedEmulatorBackend(shared: SharedEmulatorInfo, appUrl: string, identitySecret: string): Backend {
  return {
    mode: 'emulator',
    client: emulatorClient(shared.emulator) as unknown as TwilioClientLike,
    authToken: shared.emulator.authToken,
    serviceSid: shared.serviceSid,
    webhookUrl: webhookUrl(appUrl),
    identitySecret,
    phones: new RemotePhones(shared.phones),
    // The primary owns the emulator and the phones; a worker has nothing of its own to close.
    close: async () => undefined,
  };
}
