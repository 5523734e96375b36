/**
 * Where Verify lives for this run: the embedded emulator (default), or real Twilio when configured.
 * Either way the app gets a real twilio client, a service sid, and the auth token webhooks are signed with.
 */
import twilio from 'twilio';
import type { TwilioClientLike } from 'passport-twilio-verify-push';
import { VerifyPushEmulator, type RunningEmulator } from 'passport-twilio-verify-push/testing';
import { DeviceSimulator } from './device-sim.js';
import { webhookUrl, type TwilioModeConfig } from './twilio-mode.js';

export interface Backend {
  mode: 'emulator' | 'twilio';
  client: TwilioClientLike;
  authToken: string;
  serviceSid: string;
  /** The exact URL the webhook is called on: signatures are checked against it. */
  webhookUrl: string;
  identitySecret: string;
  emulator?: RunningEmulator;
  simulator?: DeviceSimulator;
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

/**
 * Starts the emulator, creates a Verify service, and registers a webhook pointing at this app, so
 * approvals travel the same signed-webhook path they would with Twilio.
 */
export async function emulatorBackend(appUrl: string, clock: () => number, identitySecret: string): Promise<Backend> {
  const emulator = await VerifyPushEmulator.start({ clock });
  try {
    const serviceSid = await emulator.createService('Verify Push example');
    const url = webhookUrl(appUrl);
    await emulator.client().verify.v2.services(serviceSid).webhooks.create({
      friendlyName: 'example app',
      webhookUrl: url,
      // Twilio sends no expiry event; the strategy detects expiry from the clock.
      eventTypes: ['challenge.approved', 'challenge.denied'],
    });
    return {
      mode: 'emulator',
      client: emulator.client() as unknown as TwilioClientLike,
      authToken: emulator.authToken,
      serviceSid,
      webhookUrl: url,
      identitySecret,
      emulator,
      simulator: new DeviceSimulator(emulator, serviceSid),
      close: () => emulator.close(),
    };
  } catch (error) {
    await emulator.close();
    throw error;
  }
}
