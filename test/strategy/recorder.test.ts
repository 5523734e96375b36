import { describe, expect, it } from 'vitest';
import { OutcomeRecorder } from '../../src/flow/recorder.js';
import { MemoryChallengeStore } from '../../src/stores/memory.js';
import type { ChallengeRecord } from '../../src/stores/types.js';
import type { TwilioChallenge } from '../../src/twilio/resources.js';
import { ACCOUNT_SID, SERVICE_SID, TestClock, sid } from './fakes.js';

function setup() {
  const clock = new TestClock();
  const store = new MemoryChallengeStore({ clock: clock.read, sweepIntervalMs: 0 });
  const recorder = new OutcomeRecorder({ store, clock: clock.read, denials: { max: 3, windowSeconds: 3600 }, onDenied: undefined });
  const record: ChallengeRecord = {
    challengeSid: sid('YC'),
    serviceSid: SERVICE_SID,
    identity: 'a'.repeat(64),
    factorSid: sid('YF'),
    transactionId: 'tx-aaaaaaaaaaaaaaaaaaaaaa',
    status: 'pending',
    createdAt: clock.now,
    expiresAt: clock.now + 300_000,
  };
  const challenge = (patch: Partial<TwilioChallenge> = {}): TwilioChallenge => ({
    sid: record.challengeSid,
    accountSid: ACCOUNT_SID,
    serviceSid: record.serviceSid,
    identity: record.identity,
    factorSid: record.factorSid,
    status: 'approved',
    expirationDate: new Date(record.expiresAt),
    dateResponded: new Date(clock.now),
    hiddenDetails: { transaction_id: record.transactionId },
    details: { message: 'Approve?', fields: [] },
    ...patch,
  });
  return { clock, store, recorder, record, challenge };
}

describe('OutcomeRecorder.record (settling what Twilio says)', () => {
  it('records an approval that matches the record in every bound field', async () => {
    const { store, recorder, record, challenge } = setup();
    await store.set(record, 600_000);
    const result = await recorder.record(record, challenge());
    expect(result.status).toBe('approved');
    expect((await store.get(record.challengeSid))?.status).toBe('approved');
  });

  it.each([
    ['another transaction id', { hiddenDetails: { transaction_id: 'other' } }],
    ['no transaction id', { hiddenDetails: {} }],
    ['another identity', { identity: 'b'.repeat(64) }],
    ['another factor', { factorSid: sid('YF') }],
    ['another service', { serviceSid: sid('VA') }],
    ['another challenge sid', { sid: sid('YC') }],
  ])('never approves a challenge with %s', async (_name, patch) => {
    const { store, recorder, record, challenge } = setup();
    await store.set(record, 600_000);
    const result = await recorder.record(record, challenge(patch as Partial<TwilioChallenge>));
    expect(result.status).toBe('pending');
    expect((await store.get(record.challengeSid))?.status).toBe('pending');
  });

  it('requires the match code when the record has one', async () => {
    const { store, recorder, record, challenge } = setup();
    const withCode = { ...record, matchCode: '42' };
    await store.set(withCode, 600_000);
    expect((await recorder.record(withCode, challenge())).status).toBe('pending');
    const ok = challenge({ hiddenDetails: { transaction_id: record.transactionId, match_code: '42' } });
    expect((await recorder.record(withCode, ok)).status).toBe('approved');
  });

  it('turns an approval after expiry into expired (late arrival or late answer)', async () => {
    const late = setup();
    await late.store.set(late.record, 600_000);
    late.clock.advance(300_001);
    expect((await late.recorder.record(late.record, late.challenge())).status).toBe('expired');

    const answeredLate = setup();
    await answeredLate.store.set(answeredLate.record, 600_000);
    const result = await answeredLate.recorder.record(answeredLate.record, answeredLate.challenge({ dateResponded: new Date(answeredLate.record.expiresAt + 1) }));
    expect(result.status).toBe('expired');
  });

  it('expires a still-pending challenge past its expiry, and leaves an unexpired one alone', async () => {
    const { store, recorder, record, challenge, clock } = setup();
    await store.set(record, 600_000);
    expect((await recorder.record(record, challenge({ status: 'pending', dateResponded: null }))).status).toBe('pending');
    clock.advance(300_001);
    expect((await recorder.record(record, challenge({ status: 'pending', dateResponded: null }))).status).toBe('expired');
  });

  it('records a denial once and counts it once, however many times it is seen', async () => {
    const { store, recorder, record, challenge } = setup();
    await store.set(record, 600_000);
    const results = await Promise.all([1, 2, 3].map(() => recorder.record(record, challenge({ status: 'denied' }))));
    expect(results.every((r) => r.status === 'denied')).toBe(true);
    expect((await store.count(`denied:${record.identity}`)).count).toBe(1);
  });

  it('never flips a denied challenge to approved', async () => {
    const { store, recorder, record, challenge } = setup();
    await store.set(record, 600_000);
    await recorder.record(record, challenge({ status: 'denied' }));
    const result = await recorder.record(record, challenge());
    expect(result.status).toBe('denied');
    expect((await store.get(record.challengeSid))?.status).toBe('denied');
  });

  it('records Twilio-side expiry', async () => {
    const { store, recorder, record, challenge } = setup();
    await store.set(record, 600_000);
    expect((await recorder.record(record, challenge({ status: 'expired' }))).status).toBe('expired');
  });
});

describe('OutcomeRecorder.record: transaction approvals are bound to their action', () => {
  function actionSetup() {
    const base = setup();
    const record: ChallengeRecord = {
      ...base.record,
      purpose: 'action',
      actionDigest: 'd'.repeat(43),
      message: 'Pay 120.00 EUR to ACME Ltd?',
      fields: [
        { label: 'Amount', value: '120.00 EUR' },
        { label: 'Payee', value: 'ACME Ltd' },
      ],
    };
    const approved = (patch: Partial<TwilioChallenge> = {}): TwilioChallenge =>
      base.challenge({
        hiddenDetails: { transaction_id: record.transactionId, action_digest: record.actionDigest! },
        details: { message: record.message!, fields: record.fields! },
        ...patch,
      });
    return { ...base, record, approved };
  }

  it('records the approval of exactly the action it was asked for', async () => {
    const { store, recorder, record, approved } = actionSetup();
    await store.set(record, 600_000);
    expect((await recorder.record(record, approved())).status).toBe('approved');
  });

  it.each([
    ['another action digest', { hiddenDetails: { transaction_id: 'tx-aaaaaaaaaaaaaaaaaaaaaa', action_digest: 'e'.repeat(43) } }],
    ['no action digest', { hiddenDetails: { transaction_id: 'tx-aaaaaaaaaaaaaaaaaaaaaa' } }],
    ['another amount shown', { details: { message: 'Pay 120.00 EUR to ACME Ltd?', fields: [{ label: 'Amount', value: '9999.00 EUR' }, { label: 'Payee', value: 'ACME Ltd' }] } }],
    ['another message shown', { details: { message: 'Pay 9999.00 EUR to ACME Ltd?', fields: [{ label: 'Amount', value: '120.00 EUR' }, { label: 'Payee', value: 'ACME Ltd' }] } }],
    ['a field left out', { details: { message: 'Pay 120.00 EUR to ACME Ltd?', fields: [{ label: 'Amount', value: '120.00 EUR' }] } }],
  ])('never approves it when Twilio holds %s', async (_what, patch) => {
    const { store, recorder, record, approved } = actionSetup();
    await store.set(record, 600_000);
    expect((await recorder.record(record, approved(patch as Partial<TwilioChallenge>))).status).toBe('pending');
    expect((await store.get(record.challengeSid))?.status).toBe('pending');
  });
});
