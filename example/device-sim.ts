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

/** A phone to enrol: with the access token the app minted for the signed-in user, or (demo seeding) without. */
export interface EnrolInput {
  identity: string;
  username: string;
  friendlyName: string;
  accessToken?: string;
}

/**
 * What the example's device routes and demo seeding need from the simulated phones. The phones live in one
 * process, because each keeps its private key: the `DeviceSimulator` itself when the example runs alone, or a
 * client of the cluster's primary (cluster/remote-phones.ts) in each worker.
 */
export interface Phones {
  find(factorSid: string): Promise<Phone | undefined>;
  /** Enrols a demo user's phone unless they already have one; concurrent first logins enrol one phone. */
  seed(input: Omit<EnrolInput, 'accessToken'>): Promise<void>;
  enrol(input: EnrolInput & { accessToken: string }): Promise<Phone>;
  view(): Promise<PhoneView[]>;
  approve(phone: Phone, challengeSid: string, matchCode?: string): Promise<void>;
  deny(phone: Phone, challengeSid: string): Promise<void>;
  /** Silent approval: approve only the pending challenge carrying this transaction id. */
  approveTransaction(phone: Phone, transactionId: string, matchCode?: string): Promise<void>;
}

export class DeviceSimulator implements Phones {
  private readonly device: SimulatedDevice;
  private readonly phones: Phone[] = [];
  /** Seeding in progress per username, so two parallel first logins share one enrolment. */
  private readonly seeding = new Map<string, Promise<void>>();
  /**
   * Phones whose factor was deleted (the user removed the device): Twilio no longer answers them, so they leave
   * the screen. They stay in `phones`, so demo seeding does not give their user a new one behind their back.
   */
  private readonly removed = new Set<string>();

  constructor(
    emulator: RunningEmulator,
    readonly serviceSid: string,
  ) {
    this.device = emulator.device();
  }

  list(): Phone[] {
    return [...this.phones];
  }

  async find(factorSid: string): Promise<Phone | undefined> {
    return this.phones.find((phone) => phone.factorSid === factorSid);
  }

  seed(input: Omit<EnrolInput, 'accessToken'>): Promise<void> {
    if (this.phones.some((phone) => phone.username === input.username)) return Promise.resolve();
    let running = this.seeding.get(input.username);
    if (!running) {
      running = this.enrol(input)
        .then(() => undefined)
        .finally(() => this.seeding.delete(input.username));
      this.seeding.set(input.username, running);
    }
    return running;
  }

  /** Enrols with an access token the app minted for the signed-in user (or, for demo seeding, without). */
  async enrol(input: EnrolInput): Promise<Phone> {
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
    const views = await Promise.all(
      this.phones.filter((phone) => !this.removed.has(phone.factorSid)).map((phone) => this.viewOf(phone)),
    );
    return views.filter((view): view is PhoneView => view !== undefined);
  }

  private async viewOf(phone: Phone): Promise<PhoneView | undefined> {
    let pending: Awaited<ReturnType<SimulatedDevice['challenges']>>;
    let newest: string | undefined;
    try {
      [pending, newest] = await Promise.all([this.device.challenges({ ...this.ref(phone), status: 'pending' }), this.newestRequest(phone)]);
    } catch (error) {
      if (!isGone(error)) throw error;
      this.removed.add(phone.factorSid);
      return undefined;
    }
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
  }

  async approve(phone: Phone, challengeSid: string, matchCode?: string): Promise<void> {
    await this.requireCurrent(phone, challengeSid);
    await this.device.approve({ ...this.ref(phone), challengeSid, ...(matchCode ? { matchCode } : {}) });
  }

  async deny(phone: Phone, challengeSid: string): Promise<void> {
    await this.requireCurrent(phone, challengeSid);
    await this.device.deny({ ...this.ref(phone), challengeSid });
  }

  async approveTransaction(phone: Phone, transactionId: string, matchCode?: string): Promise<void> {
    await this.device.approveTransaction({ ...this.ref(phone), transactionId, ...(matchCode ? { matchCode } : {}) });
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

/** Twilio's answer to a phone whose factor was deleted: its credential is refused, or the factor is unknown. */
function isGone(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return status === 401 || status === 404;
}
