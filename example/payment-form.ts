/**
 * The "send money" form, read and checked, and described as the action the phone approves. The description is
 * what binds the approval: the strategy puts a digest of `type` and `data` (and of what the phone shows) into
 * the challenge, so an approval for one amount and payee never lets another one through.
 */
import type { ActionDescription } from 'passport-twilio-verify-push';

export interface PaymentRequest {
  /** Two decimals, e.g. "120.00". */
  amount: string;
  payee: string;
}

export const CURRENCY = 'EUR';
const MAX_AMOUNT_DIGITS = 7;
const MAX_PAYEE = 64;

/** The amount as two decimals, or undefined unless it is a positive number with at most two decimals. */
function amountOf(value: unknown): string | undefined {
  const text = typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
  const match = new RegExp(`^(\\d{1,${MAX_AMOUNT_DIGITS}})(?:\\.(\\d{1,2}))?$`).exec(text);
  if (!match) return undefined;
  const whole = String(Number(match[1]));
  const cents = (match[2] ?? '').padEnd(2, '0');
  return whole === '0' && cents === '00' ? undefined : `${whole}.${cents}`;
}

function payeeOf(value: unknown): string | undefined {
  const text = typeof value === 'string' ? value.trim().replace(/\s+/g, ' ') : '';
  // Printable text only: it is shown on the phone as it is.
  return text.length > 0 && text.length <= MAX_PAYEE && !/[\u0000-\u001f\u007f]/.test(text) ? text : undefined;
}

/** The payment a form or a JSON body asks for, or why it cannot be sent. */
export function readPayment(body: unknown): PaymentRequest | { problem: string } {
  const fields = (body ?? {}) as { amount?: unknown; payee?: unknown };
  const amount = amountOf(fields.amount);
  if (!amount) return { problem: `The amount must be a positive number of ${CURRENCY} with at most two decimals, e.g. 120.00.` };
  const payee = payeeOf(fields.payee);
  if (!payee) return { problem: `The payee must be a name of 1 to ${MAX_PAYEE} characters.` };
  return { amount, payee };
}

/** What the phone shows and the approval is bound to. */
export function describePayment(payment: PaymentRequest): ActionDescription {
  return {
    type: 'payment',
    data: { amount: payment.amount, currency: CURRENCY, payee: payment.payee },
    message: `Send ${payment.amount} ${CURRENCY} to ${payment.payee}?`,
    fields: [
      { label: 'Amount', value: `${payment.amount} ${CURRENCY}` },
      { label: 'Payee', value: payment.payee },
    ],
  };
}
