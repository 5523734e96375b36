import { describe, expect, it } from 'vitest';
import { VerifyPushStrategy } from '../../src/passport/strategy.js';
import { MemoryChallengeStore } from '../../src/stores/memory.js';

const base = {
  client: { accountSid: `AC${'0'.repeat(32)}`, request: () => Promise.reject(new Error('not called at construction')) },
  serviceSid: `VA${'0'.repeat(32)}`,
  identitySecret: 'webhook-options-identity-secret-0123456789',
  store: new MemoryChallengeStore({ sweepIntervalMs: 0 }),
};

/** strategy.webhook(options), as an app creates it. */
function creation(options: unknown, override: { authToken?: string } = {}): () => unknown {
  return () => new VerifyPushStrategy({ ...base, authToken: 'a'.repeat(32), ...override }).webhook(options as { url: string });
}

describe('webhook options are checked when the handler is created', () => {
  it.each([
    ['missing options', undefined],
    ['missing url', {}],
    ['a relative url', { url: '/hooks/verify-push' }],
    ['another scheme', { url: 'ftp://example.com/hook' }],
    ['a fragment', { url: 'https://example.com/hook#x' }],
    ['not a string', { url: 42 }],
    ['junk', { url: 'https//example.com' }],
  ])('refuses %s with INVALID_OPTION', (_what, options) => {
    expect(creation(options)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });

  it.each([0, 100, 1.5, 10 * 1024 * 1024, '16k'])('refuses maxBodyBytes %s', (maxBodyBytes) => {
    expect(creation({ url: 'https://example.com/hook', maxBodyBytes })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });

  it('refuses an empty auth token, with which anyone could sign', () => {
    expect(creation({ url: 'https://example.com/hook' }, { authToken: '' })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });

  it('accepts an https or http URL, with a port and a query', () => {
    expect(typeof creation({ url: 'https://example.com:8443/hook?tenant=1' })()).toBe('function');
    expect(typeof creation({ url: 'http://127.0.0.1:3000/hook', maxBodyBytes: 4096 })()).toBe('function');
  });
});
