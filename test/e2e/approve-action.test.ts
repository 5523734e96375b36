/**
 * Transaction approval with dynamic linking: an action goes through only once a push showing exactly that
 * action was approved on the device, in this session, and only once. The same request with another amount or
 * payee needs its own approval; the handler learns what was approved for its audit log.
 */
import express from 'express';
import { describe, expect, it } from 'vitest';
import { agentFor, answerOnPhone, apiCalls, passwordLogin, phonePending, READING_TIME_MS, type Agent, type TestApp, useWorld, signedIn } from './harness.js';

const world = useWorld();

interface Payment {
  amount: string;
  payee: string;
}

async function appWithPayments(): Promise<TestApp> {
  return world.startApp({
    routes: (app, { strategy }) => {
      app.post(
        '/payments',
        express.json(),
        strategy.approve((req) => {
          const { amount, payee } = (req as unknown as { body: Payment }).body;
          return {
            type: 'payment',
            data: { amount: String(amount), currency: 'EUR', payee: String(payee) },
            message: `Pay ${amount} EUR to ${payee}?`,
            fields: [
              { label: 'Amount', value: `${amount} EUR` },
              { label: 'Payee', value: String(payee) },
            ],
          };
        }),
        (req, res) => res.json({ paid: true, approved: strategy.approvedAction(req) }),
      );
    },
  });
}

const signIn = (app: TestApp, username = 'alice', ip?: string): Promise<Agent> => signedIn(world, app, username, ip);

const PAYMENT: Payment = { amount: '120.00', payee: 'ACME Ltd' };

describe('approving a transaction', () => {
  it('shows the action on the phone, answers pending until approved, then lets exactly that request through, once', async () => {
    const app = await appWithPayments();
    const browser = await signIn(app);
    world.emulator.clearCalls();
    const pending = await browser.post('/payments').send(PAYMENT).expect(202);
    expect(pending.body).toMatchObject({
      code: 'CHALLENGE_PENDING',
      purpose: 'action',
      message: 'Pay 120.00 EUR to ACME Ltd?',
      fields: [
        { label: 'Amount', value: '120.00 EUR' },
        { label: 'Payee', value: 'ACME Ltd' },
      ],
    });
    const [challenge] = await phonePending(world, 'alice');
    expect(challenge?.details.message).toBe('Pay 120.00 EUR to ACME Ltd?');
    expect(challenge?.details.fields).toEqual(pending.body.fields);
    // The action's digest travels in the hidden details, beside the transaction id.
    expect(challenge?.hidden_details).toMatchObject({ transaction_id: pending.body.transactionId, action_digest: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    // A client repeating the request is told to wait; no second push.
    await browser.post('/payments').send(PAYMENT).expect(202);
    expect(apiCalls(world, 'createChallenge')).toBe(1);

    await answerOnPhone(world, 'alice', 'approve');
    const paid = await browser.post('/payments').send(PAYMENT).expect(200);
    expect(paid.body).toMatchObject({
      paid: true,
      approved: {
        type: 'payment',
        data: { amount: '120.00', currency: 'EUR', payee: 'ACME Ltd' },
        challengeSid: challenge?.sid,
        transactionId: pending.body.transactionId,
        digest: challenge?.hidden_details?.action_digest,
      },
    });
    // Used once: the same request again needs a new approval.
    world.emulator.clearCalls();
    await browser.post('/payments').send(PAYMENT).expect(202);
    expect(apiCalls(world, 'createChallenge')).toBe(1);
    await app.close();
  });

  it('an approval for one amount never pays another: a changed amount or payee needs its own approval', async () => {
    const app = await appWithPayments();
    const browser = await signIn(app);
    await browser.post('/payments').send(PAYMENT).expect(202);
    await answerOnPhone(world, 'alice', 'approve');
    world.emulator.clearCalls();
    const changed = await browser.post('/payments').send({ ...PAYMENT, amount: '9999.00' }).expect(202);
    expect(changed.body.message).toBe('Pay 9999.00 EUR to ACME Ltd?');
    expect(apiCalls(world, 'createChallenge')).toBe(1);
    await browser.post('/payments').send({ ...PAYMENT, payee: 'Mallory' }).expect(202);
    expect(apiCalls(world, 'createChallenge')).toBe(2);
    await app.close();
  });

  it('an approval belongs to the session that asked: another session of the same user cannot use it', async () => {
    const app = await appWithPayments();
    const owner = await signIn(app, 'alice', '203.0.113.21');
    const other = await signIn(app, 'alice', '203.0.113.22');
    await owner.post('/payments').send(PAYMENT).expect(202);
    await answerOnPhone(world, 'alice', 'approve');
    // The other session asks for the same payment: it gets its own push, not the owner's approval.
    await other.post('/payments').send(PAYMENT).expect(202);
    await owner.post('/payments').send(PAYMENT).expect(200);
    await app.close();
  });

  it('refuses a password-only session without a push, and a denial with its code', async () => {
    const app = await appWithPayments();
    const passwordOnly = agentFor(app);
    await passwordLogin(passwordOnly, 'alice');
    world.emulator.clearCalls();
    const refused = await passwordOnly.post('/payments').send(PAYMENT).expect(403);
    expect(refused.body.error).toBe('SECOND_FACTOR_REQUIRED');
    expect(apiCalls(world)).toBe(0);

    const browser = await signIn(app);
    await browser.post('/payments').send(PAYMENT).expect(202);
    await answerOnPhone(world, 'alice', 'deny');
    const denied = await browser.post('/payments').send(PAYMENT).expect(401);
    expect(denied.body.error).toBe('CHALLENGE_DENIED');
    // Still signed in; the next attempt asks the phone again.
    await browser.get('/app/secret').expect(200);
    world.clock.advance(READING_TIME_MS);
    await browser.post('/payments').send(PAYMENT).expect(202);
    await app.close();
  });

  it('refuses an action the phone cannot show (over-long details) with a clear error before any push', async () => {
    const app = await appWithPayments();
    const browser = await signIn(app);
    world.emulator.clearCalls();
    const refused = await browser.post('/payments').send({ ...PAYMENT, payee: 'x'.repeat(300) }).expect(400);
    expect(refused.body.error).toBe('DETAILS_TOO_LONG');
    expect(apiCalls(world)).toBe(0);
    await app.close();
  });
});
