import { describe, expect, it } from 'vitest';
import { RememberedBrowsers } from '../../src/flow/remembered-browsers.js';
import { MemoryChallengeStore } from '../../src/stores/memory.js';
import type { VerifyPushRequest } from '../../src/types.js';
import { FakeResponse, TestClock } from './fakes.js';

const SECRET = 'remembered-browser-test-secret-0123456789';
const IDENTITY = 'a'.repeat(64);

function setup(secret = SECRET) {
  const clock = new TestClock();
  const store = new MemoryChallengeStore({ clock: clock.read, sweepIntervalMs: 0 });
  const browsers = new RememberedBrowsers({
    store,
    clock: clock.read,
    options: { days: 30, secret, cookieName: 'verify_push_browser', secure: true },
  });
  return { clock, store, browsers };
}

async function issued(browsers: RememberedBrowsers, identity = IDENTITY): Promise<string> {
  const res = new FakeResponse();
  await browsers.remember(res as never, identity);
  // The fake response keeps a header as one string; a single cookie was set.
  return res.headers['set-cookie']!;
}

function requestWith(cookie: string | undefined): VerifyPushRequest {
  return { headers: cookie === undefined ? {} : { cookie: `other=1; ${cookie.split(';')[0]}; more=2` } } as unknown as VerifyPushRequest;
}

describe('remembered browsers', () => {
  it('issue a Secure HttpOnly SameSite=Lax cookie that is recognised for its identity only', async () => {
    const { browsers } = setup();
    const cookie = await issued(browsers);
    expect(cookie).toMatch(/^verify_push_browser=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+; Max-Age=2592000; Path=\/; HttpOnly; SameSite=Lax; Secure$/);
    expect(await browsers.recognises(requestWith(cookie), IDENTITY)).toBe(true);
    expect(await browsers.recognises(requestWith(cookie), 'b'.repeat(64))).toBe(false);
    expect(await browsers.recognises(requestWith(undefined), IDENTITY)).toBe(false);
  });

  it('ignore a cookie that was edited, signed with another key, or has expired', async () => {
    const { browsers, clock } = setup();
    const cookie = await issued(browsers);
    const [pair] = cookie.split(';') as [string];
    const [name, value] = pair.split('=') as [string, string];
    const [body, signature] = value.split('.') as [string, string];
    const edited = JSON.parse(Buffer.from(body, 'base64url').toString()) as { e: number };
    edited.e += 365 * 86_400_000;
    const extended = `${name}=${Buffer.from(JSON.stringify(edited)).toString('base64url')}.${signature}`;
    expect(await browsers.recognises(requestWith(extended), IDENTITY)).toBe(false);
    const otherKey = setup('another-secret-for-remembered-browsers-012345').browsers;
    expect(await otherKey.recognises(requestWith(cookie), IDENTITY)).toBe(false);
    clock.advance(31 * 86_400_000);
    expect(await browsers.recognises(requestWith(cookie), IDENTITY)).toBe(false);
  });

  it('are forgotten all at once, and a browser remembered afterwards counts again', async () => {
    const { browsers } = setup();
    const before = [await issued(browsers), await issued(browsers)];
    await browsers.forget(IDENTITY);
    for (const cookie of before) expect(await browsers.recognises(requestWith(cookie), IDENTITY)).toBe(false);
    const after = await issued(browsers);
    expect(await browsers.recognises(requestWith(after), IDENTITY)).toBe(true);
  });
});
