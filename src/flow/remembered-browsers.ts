import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { ChallengeStore } from '../stores/types.js';
import type { RememberBrowserOptions, VerifyPushRequest } from '../types.js';
import { newOperationId } from './records.js';

export interface RememberedBrowsersDeps {
  store: ChallengeStore;
  options: Required<RememberBrowserOptions>;
  clock: () => number;
}

/** What the cookie carries: whose browser, which revocation epoch it was issued in, and until when. */
interface RememberedPayload {
  /** A digest of the Verify identity (the cookie never names the user). */
  i: string;
  /** The user's revocation counter when the cookie was issued. */
  v: number;
  /** ms since epoch after which the browser is not remembered. */
  e: number;
}

const DAY_MS = 86_400_000;

/**
 * "Remember this browser": after an approved login, a signed cookie lets the same browser skip the login push
 * for a number of days. The cookie is HttpOnly (no script can read it), SameSite=Lax, signed with an HMAC and
 * bound to the user's identity and to a per-user revocation counter in the store, so forgetting a user's
 * browsers (sign out everywhere, a password change, a device change) ends every one of them at once, on
 * every instance. It never stands in for a step-up or a transaction approval.
 */
export class RememberedBrowsers {
  constructor(private readonly deps: RememberedBrowsersDeps) {}

  /** Sets the cookie on the response for this identity, valid for the configured days. */
  async remember(res: ServerResponse, identity: string): Promise<void> {
    const { options, clock } = this.deps;
    const payload: RememberedPayload = { i: this.identityDigest(identity), v: await this.epoch(identity), e: clock() + options.days * DAY_MS };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    const value = `${body}.${this.sign(body)}`;
    const attributes = [`Max-Age=${options.days * 86_400}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', ...(options.secure ? ['Secure'] : [])];
    appendSetCookie(res, `${options.cookieName}=${value}; ${attributes.join('; ')}`);
  }

  /** Does this request come from a browser remembered for this identity, not since forgotten? */
  async recognises(req: VerifyPushRequest, identity: string): Promise<boolean> {
    const payload = this.verified(cookieValue(req, this.deps.options.cookieName));
    if (payload === undefined || payload.i !== this.identityDigest(identity) || payload.e <= this.deps.clock()) return false;
    return payload.v === (await this.epoch(identity));
  }

  /** Forgets every remembered browser of this identity, on every instance. */
  async forget(identity: string): Promise<void> {
    await this.deps.store.increment(this.epochKey(identity), this.deps.options.days * DAY_MS, newOperationId());
  }

  /**
   * The revocation counter. It lives as long as a cookie can (`days`): when its window ends every cookie issued
   * before the last revocation has expired too, so the counter starting again at 0 revives none of them.
   */
  private async epoch(identity: string): Promise<number> {
    return (await this.deps.store.count(this.epochKey(identity))).count;
  }

  private epochKey(identity: string): string {
    return `remember:${identity}`;
  }

  private identityDigest(identity: string): string {
    return createHmac('sha256', this.deps.options.secret).update(`identity:${identity}`).digest('base64url').slice(0, 22);
  }

  private sign(body: string): string {
    return createHmac('sha256', this.deps.options.secret).update(`remember:${body}`).digest('base64url');
  }

  private verified(value: string | undefined): RememberedPayload | undefined {
    if (value === undefined) return undefined;
    const dot = value.indexOf('.');
    if (dot <= 0) return undefined;
    const body = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1));
    const expected = Buffer.from(this.sign(body));
    // Constant time: the signature is the only thing between a forged cookie and a skipped push.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<RememberedPayload>;
      if (typeof payload.i !== 'string' || typeof payload.v !== 'number' || typeof payload.e !== 'number') return undefined;
      return payload as RememberedPayload;
    } catch {
      return undefined;
    }
  }
}

/** One cookie's value from the request's Cookie header (no cookie parser needed). */
function cookieValue(req: VerifyPushRequest, name: string): string | undefined {
  const header = req.headers?.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Adds a Set-Cookie header next to any the app or the session middleware set. */
function appendSetCookie(res: ServerResponse, cookie: string): void {
  const current = res.getHeader('Set-Cookie');
  const list = current === undefined ? [] : Array.isArray(current) ? current.map(String) : [String(current)];
  res.setHeader('Set-Cookie', [...list, cookie]);
}
