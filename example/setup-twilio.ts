/**
 * `npm run setup:twilio`: points your Verify service's webhook at this app, so approvals and denials
 * reach it the moment they happen. Needs the same environment variables as real Twilio mode
 * (see twilio-mode.ts). Run it again after PUBLIC_URL changes: it updates the webhook it created.
 */
import twilio from 'twilio';
import { twilioModeFromEnv, webhookUrl } from './twilio-mode.js';

const FRIENDLY_NAME = 'passport-twilio-verify-push example';
/** Twilio sends no expiry event; the strategy notices expiry from the clock. */
const EVENT_TYPES = ['challenge.approved', 'challenge.denied'];

async function main(): Promise<void> {
  const config = twilioModeFromEnv();
  if (!config) {
    throw new Error('Set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_VERIFY_SERVICE_SID and PUBLIC_URL first.');
  }
  const client = twilio(config.accountSid, config.authToken);
  const webhooks = client.verify.v2.services(config.serviceSid).webhooks;
  const url = webhookUrl(config.publicUrl);
  const existing = (await webhooks.list({ limit: 50 })).find((hook) => hook.friendlyName === FRIENDLY_NAME);
  if (existing) {
    await webhooks(existing.sid).update({ webhookUrl: url, eventTypes: EVENT_TYPES, status: 'enabled' });
    console.log(`Updated webhook ${existing.sid} → ${url}`);
  } else {
    const created = await webhooks.create({ friendlyName: FRIENDLY_NAME, webhookUrl: url, eventTypes: EVENT_TYPES, status: 'enabled' });
    console.log(`Created webhook ${created.sid} → ${url}`);
  }
  console.log('Now run `npm start` with the same environment and open PUBLIC_URL.');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
