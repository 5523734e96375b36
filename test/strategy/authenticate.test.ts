import { describe, expect, it, vi } from 'vitest';
import { runStrategy } from './run-strategy.js';
import { FakeResponse, fakeRequest, makeStrategy, nextRequest, sid, verifiedFactor, type FakeRequest, type FakeSession, type TestUser } from './fakes.js';
import { VerifyPushError } from '../../src/errors.js';
import type { PendingBody } from '../../src/types.js';
import type { VerifyFunction } from '../../src/types.js';

function pendingOf(req: FakeRequest): Record<string, unknown> | undefined {
  return ((req.session as FakeSession).verifyPush as { pending?: Record<string, unknown> } | undefined)?.pending;
}

function bodyOf(run: { response?: { body: string } }): PendingBody {
  return JSON.parse(run.response?.body ?? 'null') as PendingBody;
}

async function startPending(h: ReturnType<typeof makeStrategy>, req = fakeRequest({ user: h.user })) {
  const run = await runStrategy(h.strategy, req);
  expect(run.action).toBe('respond');
  return { req, run, challengeSid: h.api.lastChallengeSid() };
}

describe('authenticate: sessions and first factor', () => {
  it('errors with SESSION_REQUIRED without a session', async () => {
    const h = makeStrategy();
    const req = fakeRequest({ user: h.user });
    delete req.session;
    const run = await runStrategy(h.strategy, req);
    expect(run.action).toBe('error');
    expect((run.error as VerifyPushError).code).toBe('SESSION_REQUIRED');
  });

  it('errors with SESSION_UNSUPPORTED for a session that cannot regenerate (cookie-session)', async () => {
    const h = makeStrategy();
    const req = fakeRequest({ user: h.user });
    req.session = { cookie: { maxAge: 1 } };
    const run = await runStrategy(h.strategy, req);
    expect(run.action).toBe('error');
    expect((run.error as VerifyPushError).code).toBe('SESSION_UNSUPPORTED');
    expect(h.api.created).toHaveLength(0);
  });

  it('fails with FIRST_FACTOR_REQUIRED (401) when nobody passed the first factor', async () => {
    const h = makeStrategy();
    const run = await runStrategy(h.strategy, fakeRequest());
    expect(run.action).toBe('fail');
    expect(run.status).toBe(401);
    expect((run.challenge as { code: string }).code).toBe('FIRST_FACTOR_REQUIRED');
    expect(typeof (run.challenge as { message: string }).message).toBe('string');
  });

  it('passes in gate mode when nobody passed the first factor', async () => {
    const h = makeStrategy();
    const run = await runStrategy(h.strategy, fakeRequest(), { gate: true });
    expect(run.action).toBe('pass');
    expect(run.all).toHaveLength(1);
  });

  it('uses getUser instead of req.user', async () => {
    const h = makeStrategy({ getUser: (req) => (req as unknown as { account?: TestUser }).account });
    const req = fakeRequest();
    (req as unknown as { account: TestUser }).account = h.user;
    const run = await runStrategy(h.strategy, req);
    expect(run.action).toBe('respond');
  });
});

describe('authenticate: starting a challenge', () => {
  it('answers a JSON client 202 with the pending body and regenerates the session', async () => {
    const h = makeStrategy({ appName: 'Acme' });
    const req = fakeRequest({ user: h.user });
    req.session!.returnTo = '/account';
    const before = req.sessionID;
    const run = await runStrategy(h.strategy, req);
    expect(run.action).toBe('respond');
    expect(run.all).toHaveLength(1);
    expect(run.response?.status).toBe(202);
    expect(run.response?.headers['retry-after']).toBe('2');
    expect(run.response?.headers['cache-control']).toBe('no-store');
    const body = bodyOf(run);
    expect(body).toMatchObject({ status: 'pending', code: 'CHALLENGE_PENDING', pollAfterMs: 2000, message: 'Approve sign-in to Acme?' });
    expect(Date.parse(body.expiresAt)).toBe(h.clock.now + 300_000);
    expect(body.transactionId).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    expect(JSON.stringify(body)).not.toContain(h.api.lastChallengeSid());
    // the fixated id is gone; the data (first-factor login, returnTo) survived
    expect(req.sessionID).not.toBe(before);
    expect(req.destroyed).toContain(before);
    expect(req.session!.returnTo).toBe('/account');
    const pending = pendingOf(req);
    expect(pending).toMatchObject({ challengeSid: h.api.lastChallengeSid(), transactionId: body.transactionId });
    // Twilio received the same transaction id, hidden, and the request context in the fields
    const created = h.api.created[0]!;
    expect(created.hiddenDetails).toEqual({ transaction_id: body.transactionId });
    expect(created.fields.map((f) => f.label)).toEqual(['IP address', 'Browser', 'Time']);
    expect(created.fields[0]!.value).toBe('203.0.113.7');
    expect(created.fields[1]!.value).toBe('Safari on macOS');
    expect(created.fields[2]!.value).toBe('2030-01-01 12:00 UTC');
    expect(created.expiresAt.getTime()).toBe(h.clock.now + 300_000);
  });

  it('redirects a browser (303) to waitUrl', async () => {
    const h = makeStrategy({ waitUrl: '/login/push/wait' });
    const run = await runStrategy(h.strategy, fakeRequest({ user: h.user, json: false }));
    expect(run.action).toBe('respond');
    expect(run.response?.status).toBe(303);
    expect(run.response?.headers.location).toBe('/login/push/wait');
  });

  it('answers 202 JSON to a browser when there is no waitUrl, and to X-Requested-With clients', async () => {
    const h = makeStrategy({ waitUrl: '/wait' });
    const xhr = await runStrategy(h.strategy, fakeRequest({ user: h.user, json: false, headers: { 'x-requested-with': 'XMLHttpRequest' } }));
    expect(xhr.response?.status).toBe(202);
    const h2 = makeStrategy();
    const browser = await runStrategy(h2.strategy, fakeRequest({ user: h2.user, json: false }));
    expect(browser.response?.status).toBe(202);
  });

  it("reports pending through fail(info, 202) with { pending: 'callback' }", async () => {
    const h = makeStrategy();
    const run = await runStrategy(h.strategy, fakeRequest({ user: h.user }), { pending: 'callback' });
    expect(run.action).toBe('fail');
    expect(run.status).toBe(202);
    expect(run.challenge).toMatchObject({ code: 'CHALLENGE_PENDING', status: 'pending' });
  });

  it('never lets a pending request through in gate mode', async () => {
    const h = makeStrategy();
    const req = fakeRequest({ user: h.user });
    const first = await runStrategy(h.strategy, req, { gate: true });
    expect(first.action).toBe('respond');
    h.clock.advance(2_000);
    const again = await runStrategy(h.strategy, nextRequest(req), { gate: true });
    expect(again.action).toBe('respond');
    expect(again.response?.status).toBe(202);
    expect(again.all).toHaveLength(1);
  });

  it('fails with NO_PUSH_FACTOR (403) when the user has no verified push factor', async () => {
    const h = makeStrategy();
    h.api.factors = [{ ...verifiedFactor(), status: 'unverified' }];
    const run = await runStrategy(h.strategy, fakeRequest({ user: h.user }));
    expect(run.action).toBe('fail');
    expect(run.status).toBe(403);
    expect((run.challenge as { code: string }).code).toBe('NO_PUSH_FACTOR');
    expect(h.api.created).toHaveLength(0);
  });

  it('challenges the newest verified factor by default, or the one the factor option picks', async () => {
    const h = makeStrategy();
    const older = verifiedFactor(Date.UTC(2028, 0, 1));
    const newer = verifiedFactor(Date.UTC(2029, 5, 1));
    h.api.factors = [newer, older];
    await runStrategy(h.strategy, fakeRequest({ user: h.user }));
    expect(h.api.created[0]!.factorSid).toBe(newer.sid);

    const picked = makeStrategy({ factor: (factors) => factors.at(-1)?.sid });
    picked.api.factors = [newer, older];
    await runStrategy(picked.strategy, fakeRequest({ user: picked.user }));
    expect(picked.api.created[0]!.factorSid).toBe(older.sid);
  });

  it("refuses a factor option that names a factor outside the user's list", async () => {
    const h = makeStrategy({ factor: () => sid('YF') });
    const run = await runStrategy(h.strategy, fakeRequest({ user: h.user }));
    expect((run.challenge as { code: string }).code).toBe('NO_PUSH_FACTOR');
    expect(h.api.created).toHaveLength(0);
  });

  it('puts the number-matching code in hidden details and the pending body, never in details', async () => {
    const h = makeStrategy({ numberMatching: { digits: 4 } });
    const run = await runStrategy(h.strategy, fakeRequest({ user: h.user }));
    const body = bodyOf(run);
    expect(body.matchCode).toMatch(/^\d{4}$/);
    const created = h.api.created[0]!;
    expect(created.hiddenDetails.match_code).toBe(body.matchCode);
    expect(created.message).not.toContain(body.matchCode);
    expect(JSON.stringify(created.fields)).not.toContain(body.matchCode);
  });

  it('errors (no Twilio call) when the message or fields break Twilio limits at start', async () => {
    const long = makeStrategy({ message: () => 'x'.repeat(257) });
    const r1 = await runStrategy(long.strategy, fakeRequest({ user: long.user }));
    expect((r1.error as VerifyPushError).code).toBe('DETAILS_TOO_LONG');
    const many = makeStrategy({ fields: () => Array.from({ length: 21 }, (_, i) => ({ label: `L${i}`, value: 'v' })) });
    const r2 = await runStrategy(many.strategy, fakeRequest({ user: many.user }));
    expect((r2.error as VerifyPushError).code).toBe('DETAILS_TOO_LONG');
    const hidden = makeStrategy({ hiddenDetails: () => ({ note: 'x'.repeat(1000) }) });
    const r3 = await runStrategy(hidden.strategy, fakeRequest({ user: hidden.user }));
    expect((r3.error as VerifyPushError).code).toBe('DETAILS_TOO_LONG');
    const reserved = makeStrategy({ hiddenDetails: () => ({ transaction_id: 'mine' }) });
    const r4 = await runStrategy(reserved.strategy, fakeRequest({ user: reserved.user }));
    expect((r4.error as VerifyPushError).code).toBe('INVALID_OPTION');
    for (const h of [long, many, hidden, reserved]) expect(h.api.listCalls + h.api.created.length).toBe(0);
  });

  it('errors with INVALID_IDENTITY when the identity option gives something outside 8–64 [A-Za-z0-9-]', async () => {
    for (const bad of ['short', 'x'.repeat(65), 'has space-1234', 'slash/1234567', '-leading-dash', 'double--dash']) {
      const h = makeStrategy({ identity: () => bad });
      const run = await runStrategy(h.strategy, fakeRequest({ user: h.user }));
      expect(run.action).toBe('error');
      expect((run.error as VerifyPushError).code).toBe('INVALID_IDENTITY');
      expect(h.api.listCalls).toBe(0);
    }
  });

  it('passes the app hidden details alongside the transaction id', async () => {
    const h = makeStrategy({ hiddenDetails: (ctx) => ({ login_ip: ctx.ip }) });
    await runStrategy(h.strategy, fakeRequest({ user: h.user }));
    expect(h.api.created[0]!.hiddenDetails).toMatchObject({ login_ip: '203.0.113.7' });
    expect(h.api.created[0]!.hiddenDetails.transaction_id).toBeDefined();
  });

  it('errors with the Twilio error when creation fails, and leaves no pending state', async () => {
    const h = makeStrategy();
    h.api.failCreate = new VerifyPushError('TWILIO_UNAVAILABLE', 'down');
    const req = fakeRequest({ user: h.user });
    const run = await runStrategy(h.strategy, req);
    expect(run.action).toBe('error');
    expect((run.error as VerifyPushError).code).toBe('TWILIO_UNAVAILABLE');
    expect(pendingOf(req)).toBeUndefined();
  });
});

describe('authenticate: push-fatigue limits', () => {
  it('answers 429 RATE_LIMITED with Retry-After after perUser starts, without calling Twilio', async () => {
    const h = makeStrategy({ limits: { perUser: { max: 2, windowSeconds: 60 } } });
    for (let i = 0; i < 2; i += 1) {
      const ok = await runStrategy(h.strategy, fakeRequest({ user: h.user }));
      expect(ok.action).toBe('respond');
    }
    const calls = h.api.listCalls;
    const req = fakeRequest({ user: h.user });
    const run = await runStrategy(h.strategy, req);
    expect(run.action).toBe('fail');
    expect(run.status).toBe(429);
    expect(run.challenge).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 60 });
    expect(req.res.headers['retry-after']).toBe('60');
    expect(h.api.listCalls).toBe(calls);
    h.clock.advance(61_000);
    expect((await runStrategy(h.strategy, fakeRequest({ user: h.user }))).action).toBe('respond');
  });

  it('limits starts per IP across users', async () => {
    const h = makeStrategy({ limits: { perIp: { max: 1, windowSeconds: 900 } } });
    expect((await runStrategy(h.strategy, fakeRequest({ user: h.user }))).action).toBe('respond');
    const other = await runStrategy(h.strategy, fakeRequest({ user: { id: 'user-2', name: 'Bob' } }));
    expect(other.status).toBe(429);
    const elsewhere = await runStrategy(h.strategy, fakeRequest({ user: { id: 'user-2', name: 'Bob' }, ip: '198.51.100.1' }));
    expect(elsewhere.action).toBe('respond');
  });

  it('supersedes the previous pending challenge of the same user', async () => {
    const h = makeStrategy();
    const first = await startPending(h);
    await startPending(h);
    expect((await h.store.get(first.challengeSid))?.status).toBe('superseded');
    h.api.answer(first.challengeSid, 'approved');
    h.clock.advance(2_500);
    const run = await runStrategy(h.strategy, nextRequest(first.req));
    expect(run.action).toBe('fail');
    expect((run.challenge as { code: string }).code).toBe('CHALLENGE_SUPERSEDED');
    expect(pendingOf(first.req)).toBeUndefined();
  });
});

describe('authenticate: checking a pending challenge', () => {
  it('completes an approved challenge once: pending removed, success, verified mark after logIn', async () => {
    const h = makeStrategy();
    const { req, challengeSid } = await startPending(h);
    h.api.answer(challengeSid, 'approved');
    h.clock.advance(2_000);
    const pendingId = req.sessionID;
    const run = await runStrategy(h.strategy, nextRequest(req));
    expect(run.action).toBe('success');
    expect(run.user).toBe(h.user);
    expect(pendingOf(req)).toBeUndefined();
    expect((await h.store.get(challengeSid))?.status).toBe('completed');
    // Passport would now call req.logIn, which regenerates; the mark names the new id.
    await new Promise<void>((resolve, reject) => req.logIn!(h.user, {}, (err) => (err ? reject(err) : resolve())));
    expect(req.sessionID).not.toBe(pendingId);
    expect((req.session as FakeSession).verifyPush).toEqual({ verified: { identity: expect.stringMatching(/^[0-9a-f]{64}$/), sessionId: req.sessionID, at: h.clock.now } });
    // the wrapper stepped aside after one use
    expect(Object.prototype.hasOwnProperty.call(req, 'logIn')).toBe(false);
  });

  it('passes a verified session in gate mode and re-logs it in on the route', async () => {
    const h = makeStrategy();
    const { req, challengeSid } = await startPending(h);
    h.api.answer(challengeSid, 'approved');
    h.clock.advance(2_000);
    await runStrategy(h.strategy, nextRequest(req));
    await new Promise<void>((resolve) => req.logIn!(h.user, {}, () => resolve()));
    const fetches = h.api.fetchCalls;
    const gate = await runStrategy(h.strategy, nextRequest(req), { gate: true });
    expect(gate.action).toBe('pass');
    const route = await runStrategy(h.strategy, nextRequest(req));
    expect(route.action).toBe('success');
    expect(h.api.fetchCalls).toBe(fetches);
    expect(h.api.created).toHaveLength(1);
  });

  it('does not count a verified mark from another session id (keepSessionInfo copy) or another user', async () => {
    const h = makeStrategy();
    const req = fakeRequest({ user: h.user });
    const identity = await h.strategy.identityOf(h.user, req as never);
    req.session!.verifyPush = { verified: { identity, sessionId: 'an-older-session-id', at: 0 } };
    const run = await runStrategy(h.strategy, req, { gate: true });
    expect(run.action).toBe('respond');
    const other = fakeRequest({ user: { id: 'someone-else', name: 'Eve' } });
    other.session!.verifyPush = { verified: { identity, sessionId: other.sessionID, at: 0 } };
    expect((await runStrategy(h.strategy, other, { gate: true })).action).toBe('respond');
  });

  it('answers pending again without a Twilio fetch inside the first poll interval', async () => {
    const h = makeStrategy();
    const { req } = await startPending(h);
    h.clock.advance(1_000);
    const run = await runStrategy(h.strategy, nextRequest(req));
    expect(run.response?.status).toBe(202);
    expect(h.api.fetchCalls).toBe(0);
  });

  it('coalesces concurrent checks into one Twilio fetch per interval', async () => {
    const h = makeStrategy();
    const { req } = await startPending(h);
    h.clock.advance(2_000);
    const runs = await Promise.all(Array.from({ length: 10 }, () => runStrategy(h.strategy, { ...req, res: new FakeResponse() })));
    expect(runs.every((r) => r.response?.status === 202)).toBe(true);
    expect(h.api.fetchCalls).toBe(1);
    await runStrategy(h.strategy, nextRequest(req));
    expect(h.api.fetchCalls).toBe(1);
    h.clock.advance(2_000);
    await runStrategy(h.strategy, nextRequest(req));
    expect(h.api.fetchCalls).toBe(2);
  });

  it('lets every concurrent check see the outcome of the one shared fetch', async () => {
    const h = makeStrategy();
    const { req, challengeSid } = await startPending(h);
    h.api.answer(challengeSid, 'approved');
    h.clock.advance(2_000);
    const runs = await Promise.all(Array.from({ length: 10 }, () => runStrategy(h.strategy, { ...req, res: new FakeResponse() })));
    expect(h.api.fetchCalls).toBe(1);
    expect(runs.filter((r) => r.action === 'success')).toHaveLength(1);
    const others = runs.filter((r) => r.action !== 'success');
    expect(others.every((r) => r.action === 'fail' && (r.challenge as { code: string }).code === 'CHALLENGE_ALREADY_USED')).toBe(true);
  });

  it('expires locally even while Twilio cannot be reached', async () => {
    const h = makeStrategy({ expiresInSeconds: 30 });
    const { req, challengeSid } = await startPending(h);
    h.api.failFetch = new VerifyPushError('TWILIO_UNAVAILABLE', 'down');
    h.clock.advance(30_001);
    const run = await runStrategy(h.strategy, nextRequest(req));
    expect((run.challenge as { code: string }).code).toBe('CHALLENGE_EXPIRED');
    expect((await h.store.get(challengeSid))?.status).toBe('expired');
  });

  it('keeps the login pending when Twilio fails during a poll', async () => {
    const h = makeStrategy();
    const { req, challengeSid } = await startPending(h);
    h.api.answer(challengeSid, 'approved');
    h.api.failFetch = new VerifyPushError('TWILIO_UNAVAILABLE', 'down');
    h.clock.advance(2_000);
    const run = await runStrategy(h.strategy, nextRequest(req));
    expect(run.response?.status).toBe(202);
    expect((await h.store.get(challengeSid))?.status).toBe('pending');
    h.api.failFetch = undefined;
    h.clock.advance(2_000);
    expect((await runStrategy(h.strategy, nextRequest(req))).action).toBe('success');
  });

  it('fails a denied challenge with CHALLENGE_DENIED, clears pending and tells onDenied the count', async () => {
    const onDenied = vi.fn();
    const h = makeStrategy({ onDenied });
    const { req, challengeSid } = await startPending(h);
    h.api.answer(challengeSid, 'denied');
    h.clock.advance(2_000);
    const run = await runStrategy(h.strategy, nextRequest(req));
    expect(run.action).toBe('fail');
    expect(run.status).toBe(401);
    expect((run.challenge as { code: string }).code).toBe('CHALLENGE_DENIED');
    expect(pendingOf(req)).toBeUndefined();
    expect(onDenied).toHaveBeenCalledTimes(1);
    expect(onDenied.mock.calls[0]![0]).toMatchObject({ user: h.user, count: 1, limit: 3 });
  });

  it('counts denials across challenges and refuses new starts at the denial limit', async () => {
    const h = makeStrategy({ limits: { denials: { max: 2, windowSeconds: 3600 } } });
    const req = fakeRequest({ user: h.user });
    for (let i = 0; i < 2; i += 1) {
      await startPending(h, nextRequest(req));
      h.api.answer(h.api.lastChallengeSid(), 'denied');
      h.clock.advance(2_000);
      expect((await runStrategy(h.strategy, nextRequest(req))).action).toBe('fail');
      h.clock.advance(2_000); // the user reads the denial before asking again
    }
    const created = h.api.created.length;
    const run = await runStrategy(h.strategy, nextRequest(req));
    expect(run.status).toBe(429);
    expect(run.challenge).toMatchObject({ code: 'RATE_LIMITED' });
    expect(h.api.created).toHaveLength(created);
  });

  it('expires a challenge locally once its expiry has passed, even if the phone approves later', async () => {
    const h = makeStrategy({ expiresInSeconds: 60 });
    const { req, challengeSid } = await startPending(h);
    h.clock.advance(61_000);
    h.api.answer(challengeSid, 'approved');
    const run = await runStrategy(h.strategy, nextRequest(req));
    expect((run.challenge as { code: string }).code).toBe('CHALLENGE_EXPIRED');
    expect((await h.store.get(challengeSid))?.status).toBe('expired');
    expect(pendingOf(req)).toBeUndefined();
  });

  it('fails with CHALLENGE_MISMATCH when the store record does not match the session', async () => {
    const h = makeStrategy();
    const { req, challengeSid } = await startPending(h);
    const record = (await h.store.get(challengeSid))!;
    await h.store.set({ ...record, transactionId: 'someone-elses-transaction' }, 60_000);
    const run = await runStrategy(h.strategy, nextRequest(req));
    expect((run.challenge as { code: string }).code).toBe('CHALLENGE_MISMATCH');
    expect(pendingOf(req)).toBeUndefined();
  });

  it('does not complete when Twilio reports an approval carrying another transaction id', async () => {
    const h = makeStrategy();
    const { req, challengeSid } = await startPending(h);
    h.api.answer(challengeSid, 'approved');
    h.api.challenges.get(challengeSid)!.hiddenDetails.transaction_id = 'forged';
    h.clock.advance(2_000);
    const run = await runStrategy(h.strategy, nextRequest(req));
    expect(run.response?.status).toBe(202);
    expect((await h.store.get(challengeSid))?.status).toBe('pending');
  });

  it('fails CHALLENGE_ALREADY_USED (409) without touching the session when the approval was used', async () => {
    const h = makeStrategy();
    const { req, challengeSid } = await startPending(h);
    const record = (await h.store.get(challengeSid))!;
    await h.store.set({ ...record, status: 'completed' }, 60_000);
    const snapshot = JSON.stringify(req.session);
    const run = await runStrategy(h.strategy, nextRequest(req));
    expect(run.status).toBe(409);
    expect((run.challenge as { code: string }).code).toBe('CHALLENGE_ALREADY_USED');
    expect(JSON.stringify(req.session)).toBe(snapshot);
  });

  it('discards a pending challenge of another user and starts a fresh one', async () => {
    const h = makeStrategy();
    const { req, challengeSid } = await startPending(h);
    req.user = { id: 'user-2', name: 'Bob' };
    const run = await runStrategy(h.strategy, nextRequest(req));
    expect(run.action).toBe('respond');
    expect(pendingOf(req)?.challengeSid).not.toBe(challengeSid);
    expect(h.api.created).toHaveLength(2);
  });

  it('ignores a challenge sid supplied by the client', async () => {
    const h = makeStrategy();
    const victim = await startPending(h);
    h.api.answer(victim.challengeSid, 'approved');
    h.clock.advance(2_000);
    const attacker = fakeRequest({ user: { id: 'attacker', name: 'Mallory' }, headers: { 'x-challenge-sid': victim.challengeSid } });
    Object.assign(attacker, { body: { challengeSid: victim.challengeSid }, query: { challengeSid: victim.challengeSid } });
    const run = await runStrategy(h.strategy, attacker);
    expect(run.action).toBe('respond');
    expect((await h.store.get(victim.challengeSid))?.status).toBe('pending');
  });
});

describe('authenticate: the verify callback', () => {
  it('is called with the user and the approved challenge, and can refuse', async () => {
    const verify = vi.fn((_user: TestUser, _challenge: unknown, done: (e: unknown, u?: TestUser | false, i?: object) => void) =>
      done(null, false, { code: 'ACCOUNT_LOCKED', message: 'Locked.' }),
    );
    const h = makeStrategy({}, verify);
    const { req, challengeSid } = await startPending(h);
    h.api.answer(challengeSid, 'approved');
    h.clock.advance(2_000);
    const run = await runStrategy(h.strategy, nextRequest(req));
    expect(verify).toHaveBeenCalledTimes(1);
    expect(verify.mock.calls[0]![1]).toMatchObject({ challengeSid, identity: expect.any(String), transactionId: expect.any(String) });
    expect(run.action).toBe('fail');
    expect((run.challenge as { code: string }).code).toBe('ACCOUNT_LOCKED');
    expect((await h.store.get(challengeSid))?.status).toBe('completed');
  });

  it('receives req first with passReqToCallback and can replace the user', async () => {
    const replacement = { id: 'user-1', name: 'Ada (reloaded)' };
    const h = makeStrategy({ passReqToCallback: true }, ((req: unknown, _user: TestUser, _c: unknown, done: (e: unknown, u?: TestUser) => void) => {
      expect((req as FakeRequest).headers).toBeDefined();
      done(null, replacement);
    }) as never);
    const { req, challengeSid } = await startPending(h);
    h.api.answer(challengeSid, 'approved');
    h.clock.advance(2_000);
    const run = await runStrategy(h.strategy, nextRequest(req));
    expect(run.action).toBe('success');
    expect(run.user).toBe(replacement);
  });

  it('turns a verify error into error()', async () => {
    const failing: VerifyFunction<TestUser> = (_user, _challenge, done) => done(new Error('db down'));
    const h = makeStrategy({}, failing);
    const { req, challengeSid } = await startPending(h);
    h.api.answer(challengeSid, 'approved');
    h.clock.advance(2_000);
    const run = await runStrategy(h.strategy, nextRequest(req));
    expect(run.action).toBe('error');
    // the approval is used up; the session can start a new challenge instead of being stuck
    expect(pendingOf(req)).toBeUndefined();
    expect((await runStrategy(h.strategy, nextRequest(req))).action).toBe('respond');
  });
});

describe('authenticate: gate by default when mounted with app.use (no matched route)', () => {
  it('passes an anonymous request instead of failing it', async () => {
    const h = makeStrategy();
    const run = await runStrategy(h.strategy, fakeRequest({ mountedWithUse: true }));
    expect(run.action).toBe('pass');
    expect(run.all).toHaveLength(1);
  });

  it('challenges a password-only session and passes it once verified, without logging in again', async () => {
    const h = makeStrategy();
    const req = fakeRequest({ user: h.user, mountedWithUse: true });
    const started = await runStrategy(h.strategy, req);
    expect(started.action).toBe('respond');
    expect(started.response?.status).toBe(202);
    h.api.answer(h.api.lastChallengeSid(), 'approved');
    h.clock.advance(2_000);
    const completed = await runStrategy(h.strategy, nextRequest(req));
    expect(completed.action).toBe('success');
    await new Promise<void>((resolve) => req.logIn!(h.user, {}, () => resolve()));
    const later = await runStrategy(h.strategy, nextRequest(req));
    expect(later.action).toBe('pass');
  });

  it('keeps route behaviour inside a route, and an explicit gate option always wins', async () => {
    const h = makeStrategy();
    const inRoute = await runStrategy(h.strategy, fakeRequest());
    expect((inRoute.challenge as { code: string }).code).toBe('FIRST_FACTOR_REQUIRED');
    const forcedRoute = await runStrategy(h.strategy, fakeRequest({ mountedWithUse: true }), { gate: false });
    expect(forcedRoute.action).toBe('fail');
    expect((forcedRoute.challenge as { code: string }).code).toBe('FIRST_FACTOR_REQUIRED');
    const forcedGate = await runStrategy(h.strategy, fakeRequest(), { gate: true });
    expect(forcedGate.action).toBe('pass');
  });

  it('lets the waiting page it redirects to render instead of redirecting to itself', async () => {
    const h = makeStrategy({ waitUrl: '/login/push/wait' });
    const req = fakeRequest({ user: h.user, json: false, mountedWithUse: true });
    const started = await runStrategy(h.strategy, req);
    expect(started.response?.status).toBe(303);
    expect(started.response?.headers.location).toBe('/login/push/wait');
    const onWaitPage = nextRequest(req) as FakeRequest & { method?: string; url?: string };
    onWaitPage.method = 'GET';
    onWaitPage.url = '/login/push/wait?from=gate';
    expect((await runStrategy(h.strategy, onWaitPage)).action).toBe('pass');
    onWaitPage.method = 'POST';
    onWaitPage.res = new FakeResponse();
    expect((await runStrategy(h.strategy, onWaitPage)).response?.status).toBe(303);
    expect(h.api.created).toHaveLength(1);
  });
});
