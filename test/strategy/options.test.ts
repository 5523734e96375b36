import { Strategy as PassportStrategy } from 'passport-strategy';
import { describe, expect, it } from 'vitest';
import { VerifyPushStrategy } from '../../src/passport/strategy.js';
import { isVerifyPushError } from '../../src/errors.js';
import type { VerifyPushOptions } from '../../src/types.js';
import { ACCOUNT_SID, SECRET, SERVICE_SID, sid } from './fakes.js';
import { hmacIdentity } from '../../src/flow/identity.js';
import { browserSummary, defaultFields } from '../../src/flow/details.js';

const client = { accountSid: ACCOUNT_SID, request: async (): Promise<unknown> => ({}) };
const base = { client, serviceSid: SERVICE_SID, identitySecret: SECRET };

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (isVerifyPushError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe('options are validated at construction', () => {
  it('accepts a minimal configuration, with a client or with account credentials', () => {
    expect(new VerifyPushStrategy(base).name).toBe('verify-push');
    const fromCredentials = new VerifyPushStrategy({ accountSid: ACCOUNT_SID, authToken: 'token', serviceSid: SERVICE_SID, identitySecret: SECRET });
    // the auth token given for the client also checks webhook signatures
    expect(typeof fromCredentials.webhook({ url: 'https://example.com/twilio/verify' })).toBe('function');
  });

  const wrong: Array<[string, Partial<Record<keyof VerifyPushOptions, unknown>> & Record<string, unknown>]> = [
    ['serviceSid missing', { serviceSid: undefined }],
    ['serviceSid with a path', { serviceSid: 'VA' + '0'.repeat(31) + '/' }],
    ['serviceSid wrong prefix', { serviceSid: sid('YC') }],
    ['no client and no credentials', { client: undefined }],
    ['client that is not a twilio client', { client: { accountSid: ACCOUNT_SID } }],
    ['accountSid not matching the client', { accountSid: sid('AC') }],
    ['accountSid malformed', { client: undefined, accountSid: 'AC123', authToken: 't' }],
    ['empty authToken', { authToken: '' }],
    ['identitySecret too short', { identitySecret: 'short' }],
    ['no identitySecret and no identity', { identitySecret: undefined }],
    ['identity not a function', { identity: 'abc' }],
    ['getUser not a function', { getUser: 'user' }],
    ['factor not a function', { factor: 1 }],
    ['message empty', { message: '' }],
    ['fields not a function', { fields: [] }],
    ['hiddenDetails not a function', { hiddenDetails: {} }],
    ['expiresInSeconds above the 10-minute cap', { expiresInSeconds: 601 }],
    ['expiresInSeconds too short', { expiresInSeconds: 29 }],
    ['expiresInSeconds not whole', { expiresInSeconds: 60.5 }],
    ['pollIntervalMs below 1000', { pollIntervalMs: 999 }],
    ['webhookFallbackPollMs below pollIntervalMs', { pollIntervalMs: 5000, webhookFallbackPollMs: 4000 }],
    ['store without methods', { store: {} }],
    ['waitUrl with a line break', { waitUrl: '/wait\r\nSet-Cookie: x' }],
    ['numberMatching digits 7', { numberMatching: { digits: 7 } }],
    ['numberMatching digits 1', { numberMatching: { digits: 1 } }],
    ['numberMatching a string', { numberMatching: 'yes' }],
    ['limits.perUser.max 0', { limits: { perUser: { max: 0 } } }],
    ['limits.perIp.windowSeconds negative', { limits: { perIp: { windowSeconds: -1 } } }],
    ['limits.denials a number', { limits: { denials: 3 } }],
    ['requestTimeoutMs 0', { requestTimeoutMs: 0 }],
    ['retries 11', { retries: 11 }],
    ['passReqToCallback a string', { passReqToCallback: 'yes' }],
    ['clock not a function', { clock: 5 }],
    ['onDenied not a function', { onDenied: true }],
  ];

  it.each(wrong)('refuses %s with INVALID_OPTION', (_name, patch) => {
    // Cast: these options are wrong on purpose, as a JavaScript app might pass them.
    expect(codeOf(() => new VerifyPushStrategy({ ...base, ...patch } as VerifyPushOptions & { passReqToCallback?: false }))).toBe('INVALID_OPTION');
  });

  it('names the option in the message', () => {
    try {
      new VerifyPushStrategy({ ...base, expiresInSeconds: 3600 });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toContain('expiresInSeconds');
    }
  });

  it('refuses a static message over 256 characters with DETAILS_TOO_LONG', () => {
    expect(codeOf(() => new VerifyPushStrategy({ ...base, message: 'x'.repeat(257) }))).toBe('DETAILS_TOO_LONG');
    expect(codeOf(() => new VerifyPushStrategy({ ...base, appName: 'x'.repeat(250) }))).toBe('DETAILS_TOO_LONG');
    expect(codeOf(() => new VerifyPushStrategy({ ...base, message: 'x'.repeat(256) }))).toBeUndefined();
  });

  it('refuses a verify callback that is not a function', () => {
    expect(codeOf(() => new VerifyPushStrategy(base, 'nope' as never))).toBe('INVALID_OPTION');
  });

  it('needs the auth token for the webhook when only a client was given', () => {
    const strategy = new VerifyPushStrategy(base);
    expect(codeOf(() => strategy.webhook({ url: 'https://example.com/hook' }))).toBe('INVALID_OPTION');
  });
});

describe('passport integration', () => {
  it('is a passport-strategy Strategy named verify-push, usable with Object.create as Passport does', () => {
    const strategy = new VerifyPushStrategy({ accountSid: ACCOUNT_SID, authToken: 'token', serviceSid: SERVICE_SID, identitySecret: SECRET });
    expect(strategy).toBeInstanceOf(PassportStrategy);
    expect(strategy.name).toBe('verify-push');
    const perRequest = Object.create(strategy) as VerifyPushStrategy;
    expect(perRequest.name).toBe('verify-push');
    expect(typeof perRequest.authenticate).toBe('function');
  });
});

describe('identity', () => {
  it('defaults to a stable HMAC-SHA256 hex of the user id, never the id itself', async () => {
    const strategy = new VerifyPushStrategy<{ id: number }>(base);
    const identity = await strategy.identityOf({ id: 42 }, {} as never);
    expect(identity).toMatch(/^[0-9a-f]{64}$/);
    expect(identity).toBe(hmacIdentity(SECRET, '42'));
    expect(identity).not.toContain('42');
    expect(await strategy.identityOf({ id: 43 }, {} as never)).not.toBe(identity);
    const other = new VerifyPushStrategy<{ id: number }>({ ...base, identitySecret: SECRET.replace('u', 'U') });
    expect(await other.identityOf({ id: 42 }, {} as never)).not.toBe(identity);
  });

  it('uses the userId option, and refuses a user without id', async () => {
    const strategy = new VerifyPushStrategy<{ uuid: string }>({ ...base, userId: (user) => user.uuid });
    expect(await strategy.identityOf({ uuid: 'abc' }, {} as never)).toBe(hmacIdentity(SECRET, 'abc'));
    const plain = new VerifyPushStrategy<{ name: string }>(base);
    await expect(plain.identityOf({ name: 'no id' }, {} as never)).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });

  it('accepts a custom identity within the rules', async () => {
    const strategy = new VerifyPushStrategy<{ id: string }>({ client, serviceSid: SERVICE_SID, identity: (user) => `user-${user.id}` });
    expect(await strategy.identityOf({ id: '12345678' }, {} as never)).toBe('user-12345678');
    await expect(strategy.identityOf({ id: 'a/b' }, {} as never)).rejects.toMatchObject({ code: 'INVALID_IDENTITY' });
  });
});

describe('default fields', () => {
  it('summarises common user agents briefly', () => {
    expect(browserSummary('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36')).toBe('Chrome on Windows');
    expect(browserSummary('Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0')).toBe('Firefox on Linux');
    expect(browserSummary('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1')).toBe('Safari on iOS');
    expect(browserSummary('')).toBe('unknown');
    // Text the client wrote is never shown on the phone beyond the known names.
    expect(browserSummary('IT-support-says-approve/1.0 now')).toBe('Unknown browser');
    expect(browserSummary('Mozilla/5.0 (X11; Linux x86_64) approve-me')).toBe('Linux');
  });

  it('shows only a real IP address', () => {
    const time = new Date(0);
    const ipOf = (ip: string) => defaultFields({ ip, userAgent: '', time })[0]?.value;
    expect(ipOf('203.0.113.7')).toBe('203.0.113.7');
    expect(ipOf('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(ipOf('2001:db8::1')).toBe('2001:db8::1');
    expect(ipOf('approve this, it is IT')).toBe('unknown');
  });
});
