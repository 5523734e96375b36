/**
 * `npm run setup:twilio`: points your Verify service's webhook at this app, so approvals and denials
 * reach it the moment they happen, and devices added or removed are reported (the account page's
 * notifications). Needs the same environment variables as real Twilio mode (see twilio-mode.ts). Run it
 * again after PUBLIC_URL changes: it updates the webhook it created.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import twilio from 'twilio';
import { WEBHOOK_EVENTS, twilioModeFromEnv, webhookUrl } from './twilio-mode.js';

const FRIENDLY_NAME = 'passport-twilio-verify-push example';

export interface EnsuredWebhook {
  action: 'created' | 'updated';
  sid: string;
  url: string;
}

/**
 * Creates the example's webhook on the Verify service, or updates the one it created before (found by
 * its friendly name), so running the setup again never leaves a second webhook calling an old URL.
 */
export async function ensureWebhook(client: twilio.Twilio, serviceSid: string, publicUrl: string): Promise<EnsuredWebhook> {
  const webhooks = client.verify.v2.services(serviceSid).webhooks;
  const url = webhookUrl(publicUrl);
  const existing = (await webhooks.list({ limit: 50 })).find((hook) => hook.friendlyName === FRIENDLY_NAME);
  if (existing) {
    await webhooks(existing.sid).update({ webhookUrl: url, eventTypes: WEBHOOK_EVENTS, status: 'enabled' });
    return { action: 'updated', sid: existing.sid, url };
  }
  const created = await webhooks.create({ friendlyName: FRIENDLY_NAME, webhookUrl: url, eventTypes: WEBHOOK_EVENTS, status: 'enabled' });
  return { action: 'created', sid: created.sid, url };
}

async function main(): Promise<void> {
  const config = twilioModeFromEnv();
  if (!config) {
    throw new Error('Set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_VERIFY_SERVICE_SID and PUBLIC_URL first.');
  }
  const result = await ensureWebhook(twilio(config.accountSid, config.authToken), config.serviceSid, config.publicUrl);
  console.log(`${result.action === 'created' ? 'Created' : 'Updated'} webhook ${result.sid} → ${result.url}`);
  console.log('Now run `npm start` with the same environment and open PUBLIC_URL.');
}

/** Run as a script only: tests import ensureWebhook without touching the environment or Twilio. */
function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    // Node resolves symlinks for the module URL but not for argv[1].
    return pathToFileURL(realpathSync(entry)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
