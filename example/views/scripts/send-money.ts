import { APPROVAL_HELPERS } from './approval.js';

/**
 * The send-money page's script: sends the payment as JSON and, while the phone has not answered (202), shows
 * what the phone shows and sends the same payment again. It says why a new approval is needed when one was
 * given before: an approval is used once, and only for the amount and payee the phone showed.
 */
export const SEND_MONEY_SCRIPT = String.raw`
(function () {
${APPROVAL_HELPERS}
  var byId = function (id) { return document.getElementById(id); };
  var running = null;
  // The last payment this page sent: what the phone approved last time.
  var lastPaid = null;

  function samePayment(a, b) {
    return Number(a.amount) === Number(b.amount) && a.payee.trim() === b.payee.trim();
  }
  function whyAsk(payment) {
    if (!lastPaid) return 'Approve this payment on your phone to send it.';
    if (samePayment(lastPaid, payment)) return 'Your last approval was used once, for the payment above: this one needs its own approval.';
    return 'Your phone approved ' + lastPaid.amount + ' ' + lastPaid.currency + ' to ' + lastPaid.payee +
      ', not this: another amount or payee needs a new approval.';
  }
  function say(kind, text) {
    var result = byId('result');
    result.className = kind;
    result.textContent = text;
    result.hidden = false;
  }
  function settle() {
    if (running) running.stop();
    running = null;
    byId('waiting').hidden = true;
    byId('payment-fields').disabled = false;
    byId('send').disabled = false;
  }
  function listPayment(payment) {
    var item = document.createElement('li');
    var what = document.createElement('span');
    what.textContent = payment.amount + ' ' + payment.currency + ' to ' + payment.payee;
    var when = document.createElement('span');
    when.className = 'muted small';
    when.textContent = 'approved ' + payment.approvedAt.slice(11, 19) + ' UTC';
    item.appendChild(what);
    item.appendChild(when);
    byId('payments').insertBefore(item, byId('payments').firstChild);
    byId('no-payments').hidden = true;
  }

  byId('payment').addEventListener('submit', function (event) {
    event.preventDefault();
    var payment = { amount: byId('amount').value.trim(), payee: byId('payee').value.trim() };
    var why = whyAsk(payment);
    settle();
    byId('result').hidden = true;
    // The form is locked while the phone decides: the request repeated is exactly the one the phone shows.
    byId('payment-fields').disabled = true;
    byId('send').disabled = true;
    running = withApproval({ method: 'POST', url: '/send-money', body: payment }, {
      pending: function (body) {
        byId('why').textContent = why;
        drawPush(byId('phone-shows'), body);
        byId('waiting').hidden = false;
      },
      done: function (body) {
        settle();
        var paid = body.payment;
        lastPaid = paid;
        say('success', 'Sent ' + paid.amount + ' ' + paid.currency + ' to ' + paid.payee + '. Your phone approved exactly this ' +
          'payment, and the approval is now used up: another payment, or this one with another amount or payee, asks your phone again.');
        listPayment(paid);
      },
      refused: function (code, message) {
        settle();
        say(code === 'CHALLENGE_DENIED' ? 'denied' : 'error', code === 'INVALID_PAYMENT' ? message : refusalText(code, message));
      }
    });
  });
  byId('stop').addEventListener('click', function () {
    settle();
    say('notice', 'Stopped waiting. Nothing was sent.');
  });
})();
`;
