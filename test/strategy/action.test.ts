import { describe, expect, it } from 'vitest';
import { checkAction } from '../../src/flow/action.js';
import type { ActionDescription } from '../../src/types.js';

const payment: ActionDescription = {
  type: 'payment',
  data: { amount: '120.00', currency: 'EUR', payee: 'ACME Ltd' },
  message: 'Pay 120.00 EUR to ACME Ltd?',
  fields: [
    { label: 'Amount', value: '120.00 EUR' },
    { label: 'Payee', value: 'ACME Ltd' },
  ],
};

describe('checkAction: the digest an approval is bound to', () => {
  it('is the same for the same action, whatever the order of its values', () => {
    const reordered = { ...payment, data: { payee: 'ACME Ltd', currency: 'EUR', amount: '120.00' } };
    expect(checkAction(reordered).digest).toBe(checkAction(payment).digest);
    expect(checkAction(payment).digest).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it.each([
    ['another amount', { data: { ...payment.data, amount: '120.01' } }],
    ['another payee', { data: { ...payment.data, payee: 'Mallory' } }],
    ['another type', { type: 'refund' }],
    ['another message', { message: 'Pay 120.00 EUR to ACME Ltd now?' }],
    ['another field shown', { fields: [{ label: 'Amount', value: '120.00 EUR' }] }],
  ])('changes with %s', (_what, patch) => {
    expect(checkAction({ ...payment, ...patch }).digest).not.toBe(checkAction(payment).digest);
  });

  it('shows one field per value when the route gives none', () => {
    const { fields } = checkAction({ type: 'api-key', data: { name: 'deploy key' }, message: 'Show the API key "deploy key"?' });
    expect(fields).toEqual([{ label: 'name', value: 'deploy key' }]);
  });

  it.each([
    ['a type with spaces', { type: 'pay me' }, 'INVALID_OPTION'],
    ['a number among the values', { data: { amount: 120 } as unknown as Record<string, string> }, 'INVALID_OPTION'],
    ['no message', { message: '' }, 'INVALID_OPTION'],
    ['a message the phone cannot show', { message: 'x'.repeat(257) }, 'DETAILS_TOO_LONG'],
    ['a value the phone cannot show', { fields: [{ label: 'Payee', value: 'x'.repeat(129) }] }, 'DETAILS_TOO_LONG'],
  ])('refuses %s with %s', (_what, patch, code) => {
    expect(() => checkAction({ ...payment, ...patch })).toThrow(expect.objectContaining({ code }));
  });
});
