import type { Payment } from '../accounts.js';
import { CURRENCY } from '../payment-form.js';
import { html, type SafeHtml } from './html.js';
import { layout, type PageChrome } from './layout.js';
import { SEND_MONEY_SCRIPT } from './scripts/send-money.js';

export function sendMoneyPage(chrome: PageChrome, view: { payments: Payment[] }): SafeHtml {
  return layout(
    'Send money',
    chrome,
    html`<div class="card">
  <h1>Send money</h1>
  <p>Every payment is approved on your phone, which shows its amount and payee. The approval counts for exactly
  that payment, once: another amount or payee needs a new approval.</p>
  <form id="payment" method="post" action="/send-money">
    <fieldset id="payment-fields">
      <label for="amount">Amount (${CURRENCY})</label>
      <input id="amount" name="amount" inputmode="decimal" autocomplete="off" placeholder="120.00" required>
      <label for="payee">Payee</label>
      <input id="payee" name="payee" type="text" autocomplete="off" maxlength="64" placeholder="ACME Ltd" required>
    </fieldset>
    <div class="actions"><button id="send" type="submit">Send</button></div>
  </form>
</div>
<div class="card" id="waiting" hidden>
  <h2>Check your phone</h2>
  <p id="why"></p>
  <p class="muted">Your phone shows:</p>
  <div class="push" id="phone-shows"></div>
  <p class="muted small"><span class="spinner" aria-hidden="true"></span>This page sends the same payment again every
  few seconds; it goes through once your phone approves it.</p>
  <div class="actions"><button id="stop" class="secondary" type="button">Stop waiting</button></div>
</div>
<div id="result" role="status" hidden></div>
<div class="card">
  <h2>Recent payments</h2>
  <p class="muted" id="no-payments"${view.payments.length > 0 ? html` hidden` : ''}>None yet.</p>
  <ul class="plain" id="payments">${view.payments.map(
    (p) => html`<li><span>${p.amount} ${p.currency} to ${p.payee}</span><span class="muted small">approved ${p.approvedAt.slice(11, 19)} UTC</span></li>`,
  )}</ul>
</div>`,
    SEND_MONEY_SCRIPT,
  );
}
