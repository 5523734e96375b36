/**
 * Real Twilio mode: when these environment variables are set, the example talks to Twilio and a real
 * phone instead of the embedded emulator.
 *
 *   TWILIO_ACCOUNT_SID         AC…  (Twilio console, Account info)
 *   TWILIO_AUTH_TOKEN          the account's auth token (also what Twilio signs webhooks with)
 *   TWILIO_VERIFY_SERVICE_SID  VA…  (a Verify service with Push enabled)
 *   PUBLIC_URL                 https://… where Twilio can reach this app (e.g. a tunnel to localhost:3000)
 *   IDENTITY_SECRET            ≥ 32 characters; keeps Verify identities stable across restarts
 */
import type { TwilioClientLike } from 'passport-twilio-verify-push';

export interface TwilioModeConfig {
  accountSid: string;
  authToken: string;
  serviceSid: string;
  /** Public base URL, without a trailing slash. */
  publicUrl: string;
  identitySecret: string;
  /** Testing aid: the twilio client to use instead of one for Twilio's servers; tests point it at the emulator. */
  client?: TwilioClientLike;
}

/** Path of the webhook route; `npm run setup:twilio` points the Verify service at PUBLIC_URL + this. */
export const WEBHOOK_PATH = '/twilio/verify-webhook';

/**
 * What the example's webhook is told of: a push approved or denied (Twilio sends nothing at expiry; the strategy
 * reads it from the clock), and a device verified or deleted, which the strategy confirms with Twilio before the
 * app hears of it (`onDeviceChange`: the notifications on the account page).
 */
export const WEBHOOK_EVENTS = ['challenge.approved', 'challenge.denied', 'factor.verified', 'factor.deleted'];

const REQUIRED = ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_VERIFY_SERVICE_SID', 'PUBLIC_URL'] as const;

/**
 * The real-Twilio configuration, or undefined when none of its variables is set (emulator mode).
 * Setting only some of them is a mistake worth stopping for, not a reason to fall back silently.
 */
export function twilioModeFromEnv(env: NodeJS.ProcessEnv = process.env): TwilioModeConfig | undefined {
  const present = REQUIRED.filter((name) => (env[name] ?? '') !== '');
  if (present.length === 0) return undefined;
  const missing = REQUIRED.filter((name) => (env[name] ?? '') === '');
  if (missing.length > 0) {
    throw new Error(`Real Twilio mode needs ${REQUIRED.join(', ')}; missing: ${missing.join(', ')}.`);
  }
  const identitySecret = env.IDENTITY_SECRET ?? '';
  if (identitySecret.length < 32) {
    throw new Error(
      'Real Twilio mode needs IDENTITY_SECRET (32+ characters, e.g. `openssl rand -hex 32`): it keeps each ' +
        "user's Verify identity, and so their enrolled phone, the same across restarts.",
    );
  }
  const publicUrl = new URL(env.PUBLIC_URL as string);
  if (publicUrl.protocol !== 'https:' && publicUrl.hostname !== 'localhost') {
    throw new Error('PUBLIC_URL must be https:// (Twilio calls the webhook over the internet).');
  }
  return {
    accountSid: env.TWILIO_ACCOUNT_SID as string,
    authToken: env.TWILIO_AUTH_TOKEN as string,
    serviceSid: env.TWILIO_VERIFY_SERVICE_SID as string,
    publicUrl: publicUrl.href.replace(/\/+$/, ''),
    identitySecret,
  };
}

/** The full webhook URL Twilio calls, and that signatures are checked against. */
export function webhookUrl(publicUrl: string): string {
  return publicUrl.replace(/\/+$/, '') + WEBHOOK_PATH;
}
