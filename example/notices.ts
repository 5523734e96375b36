/**
 * What a real app would e-mail the user: a device added or removed (`onDeviceChange`), the e-mail address
 * changed, every browser signed out. The example writes it to the log and keeps it as a notification the
 * account page shows.
 * The webhook's events carry only the Verify identity (Twilio's request has no cookie), so the user is found by
 * identity; a real app would keep the identity beside the user, or look it up as here.
 */
import type { DeviceChangeEvent } from 'passport-twilio-verify-push';
import { currentEmail, type Accounts } from './accounts.js';
import { publicUser, type PublicUser, type UserDirectory } from './users.js';

export interface NoticeDeps {
  users: UserDirectory;
  accounts: Accounts;
  identityOf(user: PublicUser): Promise<string>;
  clock: () => number;
  log(line: string): void;
}

const WORDING: Record<DeviceChangeEvent['kind'], string> = {
  'enrolment-started': 'Adding a new device to your account was started.',
  added: 'A new device was added to your account.',
  removed: 'A device was removed from your account.',
};

const IF_NOT_YOU = 'If this was not you, sign out everywhere and change your password.';

export function deviceNotices(deps: NoticeDeps): (event: DeviceChangeEvent<PublicUser>) => Promise<void> {
  return async (event) => {
    // A notice that cannot be written must not undo the change: the device was added or removed already.
    try {
      const user = event.user ?? (await userWithIdentity(deps, event.identity));
      if (!user) return;
      await tellUser(deps, user, `${WORDING[event.kind]} ${IF_NOT_YOU}`);
    } catch (error) {
      deps.log(`Could not record a device notice: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
}

/** What an app would e-mail; the example logs it and keeps it for the account page. */
export async function tellUser(deps: Pick<NoticeDeps, 'accounts' | 'clock' | 'log'>, user: PublicUser, text: string): Promise<void> {
  const email = await currentEmail(deps.accounts, user);
  deps.log(`E-mail to ${email}: ${text}`);
  await deps.accounts.notify(user.id, { at: deps.clock(), text });
}

async function userWithIdentity(deps: NoticeDeps, identity: string): Promise<PublicUser | undefined> {
  for (const user of deps.users.all()) {
    const candidate = publicUser(user);
    if ((await deps.identityOf(candidate)) === identity) return candidate;
  }
  return undefined;
}
