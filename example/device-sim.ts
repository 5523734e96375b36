/**
 * The phone stand-in (emulator mode only): the simulated phones enrolled in this run, what they see,
 * and their answers. Everything a phone does goes through the emulator's device API, signed with the
 * phone's own key, as the Verify mobile SDK would.
 */
import type { RunningEmulator, SimulatedDevice } from 'passport-twilio-verify-push/testing';

export interface Phone {
  factorSid: string;
  identity: string;
  /** Who the phone belongs to (for the "log in on this device" flow). */
  username: string;
  friendlyName: string;
}

/** A pending challenge as the phone's screen shows it. The hidden details stay hidden. */
export interface PhoneChallenge {
  sid: string;
  message: string;
  fields: Array<{ label: string; value: string }>;
  /** ms since epoch (emulator clock) */
  expiresAt: number;
  /** Number matching is on: the user must type the code shown on the login screen. */
  needsCode: boolean;
  /**
   * A newer request exists for this phone: this one is from a sign-in that was started again (or replaced by
   * the phone's own login), and the app will not accept it. Twilio cannot withdraw it, so it stays pending
   * until it expires; the phone shows it as replaced and offers no answer.
   */
  replaced: boolean;
}

export interface PhoneView extends Phone {
  challenges: PhoneChallenge[];
}

/** The phone refuses to answer a request it shows as replaced. */
export class ReplacedRequestError extends Error {
  readonly code = 'REQUEST_REPLACED';
  readonly status = 409;
  constructor() {
    super('A newer sign-in request replaced this one: answer the newest request.');
  }
}

export class DeviceSimulator {
  private readonly device: SimulatedDevice;
  private readonly phones: Phone[] = [];

  constructor(
    emulator: RunningEmulator,
    readonly serviceSid: string,
  ) {
    this.device = emulator.device();
  }

  list(): Phone[] {
    return [...this.phones];
  }

  find(factorSid: string): Phone | undefined {
    return this.phones.find((phone) => phone.factorSid === factorSid);
  }

  hasPhoneFor(username: string): boolean {
    return this.phones.some((phone) => phone.username === username);
  }

  /** Enrols with an access token the app minted for the signed-in user (or, for demo seeding, without). */
  async enrol(input: { identity: string; username: string; friendlyName: string; accessToken?: string }): Promise<Phone> {
    const { factorSid } = await this.device.register({
      serviceSid: this.serviceSid,
      identity: input.identity,
      friendlyName: input.friendlyName,
      ...(input.accessToken === undefined ? {} : { accessToken: input.accessToken }),
    });
    const phone: Phone = { factorSid, identity: input.identity, username: input.username, friendlyName: input.friendlyName };
    this.phones.push(phone);
    return phone;
  }

  /**
   * Every phone with its pending challenges, newest first, as the Verify app shows them: the newest request
   * (Twilio's advice: newest first, page size 1) is the one to answer; older ones still pending are replaced.
   */
  async view(): Promise<PhoneView[]> {
    return Promise.all(
      this.phones.map(async (phone) => {
        const [pending, newest] = await Promise.all([
          this.device.challenges({ ...this.ref(phone), status: 'pending' }),
          this.newestRequest(phone),
        ]);
        return {
          ...phone,
          challenges: pending.map((c) => ({
            sid: c.sid,
            message: c.details.message,
            fields: c.details.fields,
            expiresAt: Date.parse(c.expiration_date),
            needsCode: c.hidden_details?.['match_code'] !== undefined,
            replaced: c.sid !== newest,
          })),
        };
      }),
    );
  }

  async approve(phone: Phone, challengeSid: string, matchCode?: string): Promise<unknown> {
    await this.requireCurrent(phone, challengeSid);
    return this.device.approve({ ...this.ref(phone), challengeSid, ...(matchCode ? { matchCode } : {}) });
  }

  async deny(phone: Phone, challengeSid: string): Promise<unknown> {
    await this.requireCurrent(phone, challengeSid);
    return this.device.deny({ ...this.ref(phone), challengeSid });
  }

  /** Silent approval: approve only the pending challenge carrying this transaction id. */
  approveTransaction(phone: Phone, transactionId: string, matchCode?: string): Promise<unknown> {
    return this.device.approveTransaction({ ...this.ref(phone), transactionId, ...(matchCode ? { matchCode } : {}) });
  }

  /** The sid of the phone's newest request, whatever its status: every older one is replaced. */
  private async newestRequest(phone: Phone): Promise<string | undefined> {
    const [newest] = await this.device.challenges({ ...this.ref(phone), limit: 1 });
    return newest?.sid;
  }

  /** A replaced request is refused here; the newest one goes on to the device (expired, answered: Twilio says). */
  private async requireCurrent(phone: Phone, challengeSid: string): Promise<void> {
    const newest = await this.newestRequest(phone);
    if (newest !== undefined && newest !== challengeSid) throw new ReplacedRequestError();
  }

  private ref(phone: Phone): { serviceSid: string; identity: string; factorSid: string } {
    return { serviceSid: this.serviceSid, identity: phone.identity, factorSid: phone.factorSid };
  }
}
