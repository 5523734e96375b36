/**
 * Harness for the emulator's contract tests: a fresh emulator per test, a real twilio SDK client (v5 or v6)
 * whose RequestClient records every answer, and — after each test — a check of every recorded answer against
 * Twilio's OpenAPI description, so no answer escapes the contract. It can also act as the device through the
 * SDK (its own ES256 key pair), so factor verification and challenge answers are schema-checked too.
 */
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import twilio from 'twilio';
import twilio5 from 'twilio5';
import { afterEach, beforeEach, expect } from 'vitest';
import { VerifyPushEmulator } from '../../src/testing/index.js';
import { findOperation, specViolations } from './openapi.js';
import { createRecordingClient, type RecordedResponse } from './recording-client.js';

export type Sdk = typeof twilio;
export type Client = ReturnType<Sdk>;
export type Emulator = Awaited<ReturnType<typeof VerifyPushEmulator.start>>;

export const MINUTE = 60_000;

/** A push factor created through the SDK, with the private key the test holds as the device. */
export interface SdkFactor {
  factorSid: string;
  privateKey: KeyObject;
}

/** A fresh identity per use: 8–64 characters of dash-separated alphanumerics, no PII. */
export function newIdentity(): string {
  return `user-${randomBytes(12).toString('hex')}`;
}

/** Twilio's dates have whole seconds; a Date the SDK will send and the emulator will echo unchanged. */
export function wholeSeconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

/**
 * A compact ES256 JWT (JOSE r||s signature) with `typ` and `alg` added to `header`: the form the mobile SDKs
 * sign a challenge answer in (header `{ typ, alg }` only) and their request credentials.
 */
export function signJwt(claims: Record<string, unknown>, privateKey: KeyObject, header: Record<string, unknown> = {}): string {
  const fullHeader = { ...header, typ: 'JWT', alg: 'ES256' };
  const input = `${base64url(JSON.stringify(fullHeader))}.${base64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${base64url(signature)}`;
}

/** Factor verification's AuthPayload as the SDKs send it: base64 of the DER ECDSA-SHA256 signature of the factor SID. */
export function factorProof(factorSid: string, privateKey: KeyObject): string {
  return sign('sha256', Buffer.from(factorSid, 'utf8'), { key: privateKey, dsaEncoding: 'der' }).toString('base64');
}

/** A P-256 key pair; the public half as a factor's `Binding.PublicKey` (base64 DER SubjectPublicKeyInfo). */
export function newKeyPair(): { publicKeyBase64: string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { publicKeyBase64: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'), privateKey };
}

export class VerifyContract {
  /** `METHOD template status` of every answer checked so far, for coverage tests. */
  readonly covered = new Set<string>();
  private readonly log: RecordedResponse[] = [];
  private running: { emulator: Emulator; client: Client } | undefined;
  /** Added to the wall clock the emulator reads, so a test can move time forward. */
  private clockOffsetMs = 0;

  constructor(readonly sdk: Sdk) {}

  get emulator(): Emulator {
    if (!this.running) throw new Error('the emulator runs only inside a test');
    return this.running.emulator;
  }

  get client(): Client {
    if (!this.running) throw new Error('the emulator runs only inside a test');
    return this.running.client;
  }

  async start(): Promise<void> {
    this.clockOffsetMs = 0;
    const emulator = await VerifyPushEmulator.start({ clock: () => Date.now() + this.clockOffsetMs });
    this.running = { emulator, client: this.clientFor(emulator, emulator.accountSid, emulator.authToken) };
  }

  /** Closes the emulator, then fails if any answer the SDK received breaks Twilio's contract. */
  async stopAndCheck(): Promise<void> {
    await this.running?.emulator.close();
    this.running = undefined;
    const recorded = this.log.splice(0);
    const problems: string[] = [];
    for (const response of recorded) {
      const violations = specViolations(response.method, response.uri, response.statusCode, response.body);
      if (violations.length > 0) {
        problems.push(`${response.method} ${response.uri} → ${response.statusCode}\n${violations.join('\n')}\nbody: ${JSON.stringify(response.body)}`);
      }
      const template = findOperation(response.method, response.uri)?.template;
      if (template) this.covered.add(`${response.method} ${template} ${response.statusCode}`);
    }
    // Each test talks to the emulator through the SDK; an empty log would mean the recorder was bypassed.
    expect(recorded.length, 'answers recorded by the SDK client').toBeGreaterThan(0);
    if (problems.length > 0) throw new Error(`Answers that break Twilio's contract:\n\n${problems.join('\n\n')}`);
  }

  advanceClock(ms: number): void {
    this.clockOffsetMs += ms;
  }

  /** Another recording client for the same emulator, e.g. with wrong credentials. */
  clientWith(accountSid: string, authToken: string): Client {
    return this.clientFor(this.emulator, accountSid, authToken);
  }

  private clientFor(emulator: Emulator, accountSid: string, authToken: string): Client {
    const httpClient = createRecordingClient(this.sdk.RequestClient, { baseUrl: emulator.url, log: this.log });
    return this.sdk(accountSid, authToken, { httpClient });
  }

  /** Asserts that `action` is refused the way twilio-node reports a Twilio error. */
  async expectTwilioError(action: Promise<unknown>, status: number, code: number): Promise<void> {
    const error = await action.then(
      (value) => {
        throw new Error(`expected Twilio error ${code}, got a success: ${JSON.stringify(value)}`);
      },
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(this.sdk.RestException);
    expect(error).toMatchObject({ status, code, moreInfo: `https://www.twilio.com/docs/errors/${code}` });
  }

  /** The last recorded answer to `method` whose URL path ends with `suffix`. */
  lastRecorded(method: string, suffix: string): RecordedResponse {
    const found = [...this.log].reverse().find((r) => r.method === method && new URL(r.uri).pathname.endsWith(suffix));
    if (!found) throw new Error(`no recorded ${method} …${suffix}`);
    return found;
  }

  async newService(): Promise<string> {
    const service = await this.client.verify.v2.services.create({ friendlyName: 'Contract tests' });
    return service.sid;
  }

  entity(serviceSid: string, identity: string) {
    return this.client.verify.v2.services(serviceSid).entities(identity);
  }

  /** Creates a push factor as a device would (through the SDK), optionally leaving it unverified. */
  async sdkFactor(serviceSid: string, identity: string, verify = true): Promise<SdkFactor> {
    const keys = newKeyPair();
    const created = await this.entity(serviceSid, identity).newFactors.create({
      friendlyName: 'Contract phone',
      factorType: 'push',
      'binding.alg': 'ES256',
      'binding.publicKey': keys.publicKeyBase64,
      'config.appId': 'com.example.contract',
      'config.notificationPlatform': 'none',
      'config.sdkVersion': '1.0.0',
    });
    if (verify) {
      const authPayload = factorProof(created.sid, keys.privateKey);
      await this.entity(serviceSid, identity).factors(created.sid).update({ authPayload });
    }
    return { factorSid: created.sid, privateKey: keys.privateKey };
  }

  /**
   * Answers a challenge as the device SDK does: fetch it, sign the fields the
   * `Twilio-Verify-Signature-Fields` header names plus the new status, send the JWT as AuthPayload.
   */
  async sdkAnswer(
    serviceSid: string,
    identity: string,
    factor: SdkFactor,
    challengeSid: string,
    status: 'approved' | 'denied',
    options: { signingKey?: KeyObject; metadata?: unknown } = {},
  ) {
    const challenge = this.entity(serviceSid, identity).challenges(challengeSid);
    await challenge.fetch();
    const fetched = this.lastRecorded('GET', `/Challenges/${challengeSid}`);
    const fieldsHeader = fetched.headers['twilio-verify-signature-fields'];
    expect(typeof fieldsHeader, 'Twilio-Verify-Signature-Fields header').toBe('string');
    const body = fetched.body as Record<string, unknown>;
    const claims: Record<string, unknown> = { status };
    for (const field of String(fieldsHeader).split(',')) claims[field] = body[field];
    const authPayload = signJwt(claims, options.signingKey ?? factor.privateKey);
    return challenge.update(options.metadata === undefined ? { authPayload } : { authPayload, metadata: options.metadata });
  }

  pushChallenge(serviceSid: string, identity: string, factorSid: string, extra: Record<string, unknown> = {}) {
    return this.entity(serviceSid, identity).challenges.create({ factorSid, 'details.message': 'Log in to Contract?', ...extra });
  }

  /** A service with one identity and one verified factor registered by the emulator's simulated device. */
  async enrolled() {
    const serviceSid = await this.newService();
    const identity = newIdentity();
    // The device keeps the factor's private key, so answers must come from this same device object.
    const device = this.emulator.device();
    const { factorSid } = await device.register({ serviceSid, identity, friendlyName: 'Simulated phone' });
    return { serviceSid, identity, factorSid, device };
  }

  /** A service with one identity and one verified factor whose key the test holds. */
  async enrolledWithSdk(): Promise<{ serviceSid: string; identity: string; factor: SdkFactor }> {
    const serviceSid = await this.newService();
    const identity = newIdentity();
    return { serviceSid, identity, factor: await this.sdkFactor(serviceSid, identity) };
  }
}

/** A contract harness for the enclosing `describe`: an emulator per test, answers checked after each. */
export function useVerifyContract(sdk: Sdk): VerifyContract {
  const contract = new VerifyContract(sdk);
  beforeEach(() => contract.start());
  afterEach(() => contract.stopAndCheck());
  return contract;
}

/** Both supported majors of the SDK. They expose the same Verify v2 surface used here, so v5 is typed as v6. */
export const SDKS: ReadonlyArray<{ label: string; sdk: Sdk }> = [
  { label: 'twilio 6', sdk: twilio },
  { label: 'twilio 5', sdk: twilio5 as unknown as Sdk },
];
