import type { ChallengeStore } from '../stores/types.js';
import type { DeviceChangeEvent } from '../types.js';
import { newOperationId } from './records.js';
import type { RememberedBrowsers } from './remembered-browsers.js';

export interface DevicesDeps<User> {
  store: ChallengeStore;
  remembered: RememberedBrowsers | undefined;
  onDeviceChange: ((event: DeviceChangeEvent<User>) => void | Promise<void>) | undefined;
}

/** How long a device change is remembered, so hearing of it twice tells the app once. */
const ONCE_MS = 24 * 60 * 60 * 1000;

/**
 * What follows a change to a user's devices, whoever noticed it (the enrolment routes, or Twilio's factor
 * webhooks): every remembered browser of the user is forgotten (a new phone or a lost one is a reason to ask
 * again everywhere), and the app is told once (a removal through the app is also announced by Twilio's
 * `factor.deleted` webhook; the app hears of it once).
 */
export class Devices<User> {
  constructor(private readonly deps: DevicesDeps<User>) {}

  async changed(event: DeviceChangeEvent<User>): Promise<void> {
    if (event.kind !== 'enrolment-started' && event.factorSid !== undefined) {
      const first = await this.deps.store.claim(`device:${event.kind}:${event.factorSid}`, ONCE_MS, newOperationId());
      if (!first) return;
    }
    await this.deps.remembered?.forget(event.identity);
    await this.deps.onDeviceChange?.(event);
  }
}
