import { generateKeyPairSync, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { TwilioClient } from './twilio-client.js';
import { EmulatorDeviceError } from './device-error.js';
import { DEVICE_JWT_CONTENT_TYPE } from './device-credential.js';
import { deviceRequest } from './device-http.js';
import { signFactorProof } from './factor-proof.js';
import { signEs256 } from './jwt.js';
import type {
  ChallengeJson,
  Clock,
  DeviceAnswerOptions,
  DeviceApproveOptions,
  DeviceApproveTransactionOptions,
  DeviceFactorRef,
  DeviceListOptions,
  DeviceRegisterOptions,
} from './types.js';

/** Challenges asked for per page when listing (the whole list or the newest `limit`). */
const MAX_PAGE_SIZE = 50;

/** Lifetime of the device's per-request JWT, in seconds: 10 minutes, as both SDKs (`jwtValidFor`). */
const DEVICE_JWT_TTL_SECONDS = 10 * 60;

/** What the device keeps of a factor it registered, as the SDKs store it. */
interface FactorKey {
  privateKey: KeyObject;
  /** `config.credential_sid` of the factor: the `kid` of the device's request JWTs. */
  credentialSid: string;
  /** `account_sid` of the factor: the `sub` of the device's request JWTs. */
  accountSid: string;
}

interface CreatedFactor {
  sid: string;
  account_sid: string;
  config: { credential_sid: string };
}

interface ChallengePage {
  challenges: ChallengeJson[];
  meta: { next_page_url: string | null };
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * A phone with the Verify mobile SDK: it enrols a push factor with its own ES256 key and answers
 * challenges with payloads signed by that key, over HTTP, on the wire as twilio-verify-android and
 * twilio-verify-ios do (device-credential.ts, factor-proof.ts, resources/challenge-answer.ts cite their files).
 * The checks a real app must do before approving (transaction id, number matching) happen here, on the device.
 * Unlike the SDKs, it sends an answer even to a challenge it fetched as no longer pending, so tests can see
 * Twilio's own refusal (60322, 60323).
 */
export class SimulatedDevice {
  private readonly keys = new Map<string, FactorKey>();

  /** @internal Use `emulator.device()`. */
  constructor(
    private readonly baseUrl: string,
    private readonly backend: TwilioClient,
    private readonly now: Clock,
  ) {}

  /**
   * Enrols: gets an access token (minted with the backend's credentials unless one is given, as an
   * app backend would), makes a key pair, creates the factor with the public key and verifies it.
   */
  async register(options: DeviceRegisterOptions): Promise<{ factorSid: string }> {
    const { serviceSid, identity } = options;
    const friendlyName = options.friendlyName ?? 'Emulated device';
    const token =
      options.accessToken ??
      (await this.backend.verify.v2.services(serviceSid).accessTokens.create({ identity, factorType: 'push', factorFriendlyName: friendlyName }))
        .token;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    // The fields twilio-verify-android sends (api/FactorAPIClient.kt createFactorBody, domain/factor/PushFactory.kt).
    const created = await deviceRequest<CreatedFactor>(this.factorsUrl(serviceSid, identity), token, 'POST', {
      FriendlyName: friendlyName,
      FactorType: 'push',
      'Binding.PublicKey': publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
      'Binding.Alg': 'ES256',
      'Config.SdkVersion': 'emulator',
      'Config.AppId': 'com.example.emulated',
      'Config.NotificationPlatform': 'none',
    });
    const factorSid = created.body.sid;
    this.keys.set(factorSid, { privateKey, credentialSid: created.body.config.credential_sid, accountSid: created.body.account_sid });
    await deviceRequest(`${this.factorsUrl(serviceSid, identity)}/${factorSid}`, this.credential(factorSid), 'POST', {
      AuthPayload: signFactorProof(factorSid, privateKey),
    });
    return { factorSid };
  }

  /** The factor's challenges, newest first (all pages, or the newest `limit`), optionally only one status. */
  async challenges(options: DeviceListOptions): Promise<ChallengeJson[]> {
    if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit >= 1)) {
      throw new TypeError('limit must be a whole number of at least 1');
    }
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const credential = this.credential(options.factorSid);
    const pageSize = String(Math.min(limit, MAX_PAGE_SIZE));
    const query = new URLSearchParams({ FactorSid: options.factorSid, Order: 'desc', PageSize: pageSize });
    if (options.status) query.set('Status', options.status);
    let next: string | null = `${this.challengesUrl(options)}?${query.toString()}`;
    const all: ChallengeJson[] = [];
    while (next && all.length < limit) {
      const page: ChallengePage = (await deviceRequest<ChallengePage>(next, credential, 'GET')).body;
      all.push(...page.challenges);
      next = page.meta.next_page_url;
    }
    return all.slice(0, limit);
  }

  /**
   * Approves a challenge. With `transactionId` it approves only if the challenge's hidden
   * `transaction_id` matches (silent approval); when the challenge carries a hidden `match_code`,
   * it approves only with the same `matchCode` (number matching).
   */
  async approve(options: DeviceApproveOptions): Promise<ChallengeJson> {
    const { challenge, fields } = await this.fetchChallenge(options);
    const hidden = challenge.hidden_details ?? {};
    if (options.transactionId !== undefined) {
      const carried = hidden['transaction_id'];
      if (carried === undefined || !sameText(carried, options.transactionId)) {
        throw new EmulatorDeviceError('TRANSACTION_MISMATCH', 'the challenge does not carry this transaction id');
      }
    }
    const expectedCode = hidden['match_code'];
    if (expectedCode !== undefined && options.matchCode === undefined) {
      throw new EmulatorDeviceError('MATCH_CODE_REQUIRED', 'this challenge needs the code shown on the login screen');
    }
    if (options.matchCode !== undefined && (expectedCode === undefined || !sameText(expectedCode, options.matchCode))) {
      throw new EmulatorDeviceError('MATCH_CODE_MISMATCH', 'the code does not match the challenge');
    }
    return this.answer(options, challenge, fields, 'approved');
  }

  async deny(options: DeviceAnswerOptions): Promise<ChallengeJson> {
    const { challenge, fields } = await this.fetchChallenge(options);
    return this.answer(options, challenge, fields, 'denied');
  }

  /**
   * Silent approval: finds the factor's pending challenge whose hidden `transaction_id` is the one
   * the app received with its login answer, and approves only that one.
   */
  async approveTransaction(options: DeviceApproveTransactionOptions): Promise<ChallengeJson> {
    const pending = await this.challenges({ ...options, status: 'pending' });
    const match = pending.find((c) => {
      const carried = c.hidden_details?.['transaction_id'];
      return carried !== undefined && sameText(carried, options.transactionId);
    });
    if (!match) throw new EmulatorDeviceError('NO_MATCHING_CHALLENGE', 'no pending challenge carries this transaction id');
    return this.approve({ ...options, challengeSid: match.sid });
  }

  private async fetchChallenge(options: DeviceAnswerOptions): Promise<{ challenge: ChallengeJson; fields: string[] }> {
    const response = await deviceRequest<ChallengeJson>(
      `${this.challengesUrl(options)}/${options.challengeSid}`,
      this.credential(options.factorSid),
      'GET',
    );
    const header = response.headers.get('Twilio-Verify-Signature-Fields') ?? '';
    return { challenge: response.body, fields: header.split(',').filter(Boolean) };
  }

  /** Signs the fields the server named, plus the answer, with the factor key (a JWT without `kid`), and sends it. */
  private async answer(
    options: DeviceAnswerOptions,
    challenge: ChallengeJson,
    fields: string[],
    status: 'approved' | 'denied',
  ): Promise<ChallengeJson> {
    const claims: Record<string, unknown> = { status };
    for (const field of fields) claims[field] = (challenge as unknown as Record<string, unknown>)[field];
    const form: Record<string, string> = { AuthPayload: signEs256({}, claims, this.key(options.factorSid).privateKey) };
    if (options.metadata) form['Metadata'] = JSON.stringify(options.metadata);
    const response = await deviceRequest<ChallengeJson>(
      `${this.challengesUrl(options)}/${options.challengeSid}`,
      this.credential(options.factorSid),
      'POST',
      form,
    );
    return response.body;
  }

  private key(factorSid: string): FactorKey {
    const key = this.keys.get(factorSid);
    if (!key) throw new EmulatorDeviceError('UNKNOWN_FACTOR', 'this device did not register that factor');
    return key;
  }

  /** A short-lived JWT signed with the factor key: the device's Basic-auth password after enrolment. */
  private credential(factorSid: string): string {
    const key = this.key(factorSid);
    const now = Math.floor(this.now() / 1000);
    return signEs256(
      { cty: DEVICE_JWT_CONTENT_TYPE, kid: key.credentialSid },
      { sub: key.accountSid, exp: now + DEVICE_JWT_TTL_SECONDS, nbf: now },
      key.privateKey,
    );
  }

  private factorsUrl(serviceSid: string, identity: string): string {
    return `${this.baseUrl}/v2/Services/${encodeURIComponent(serviceSid)}/Entities/${encodeURIComponent(identity)}/Factors`;
  }

  private challengesUrl(ref: DeviceFactorRef): string {
    return `${this.baseUrl}/v2/Services/${encodeURIComponent(ref.serviceSid)}/Entities/${encodeURIComponent(ref.identity)}/Challenges`;
  }
}
