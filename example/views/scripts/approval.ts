/**
 * Shared by the scripts of pages that ask the phone for one action (send money, remove a device): send the
 * request as JSON, and while the answer is 202 (the push waits on the phone) show what the phone shows and send
 * the same request again after `pollAfterMs`, until the phone answers and the request goes through (2xx) or is
 * refused (its code says why). Inlined into each page's script; all text goes in through textContent.
 */
export const APPROVAL_HELPERS = String.raw`
  function withApproval(request, on) {
    var timer = null;
    var stopped = false;
    function send() {
      fetch(request.url, {
        method: request.method, credentials: 'same-origin', cache: 'no-store',
        headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
        body: request.body === undefined ? undefined : JSON.stringify(request.body)
      }).then(function (response) {
        return response.text().then(function (text) {
          var json = {};
          try { json = text ? JSON.parse(text) : {}; } catch (ignored) { json = {}; }
          return { status: response.status, json: json };
        });
      }).then(function (answer) {
        if (stopped) return;
        if (answer.status === 202) {
          on.pending(answer.json);
          timer = setTimeout(send, Math.max(500, answer.json.pollAfterMs || 2000));
        } else if (answer.status >= 200 && answer.status < 300) {
          on.done(answer.json);
        } else {
          on.refused(answer.json.code || answer.json.error || ('HTTP_' + answer.status), answer.json.message || '');
        }
      }, function () {
        if (!stopped) on.refused('NETWORK', 'The app could not be reached.');
      });
    }
    send();
    return { stop: function () { stopped = true; clearTimeout(timer); } };
  }

  // What the phone shows: the push message and its label/value fields.
  function drawPush(node, body) {
    node.textContent = '';
    var message = document.createElement('div');
    message.className = 'message';
    message.textContent = body.message || '';
    node.appendChild(message);
    var fields = document.createElement('dl');
    fields.className = 'fields';
    (body.fields || []).forEach(function (field) {
      var label = document.createElement('dt');
      label.textContent = field.label;
      var value = document.createElement('dd');
      value.textContent = field.value;
      fields.appendChild(label);
      fields.appendChild(value);
    });
    node.appendChild(fields);
  }

  var REFUSED = {
    CHALLENGE_DENIED: 'You denied this on your phone. Nothing was done.',
    CHALLENGE_EXPIRED: 'The request expired before your phone answered. Nothing was done.',
    CHALLENGE_SUPERSEDED: 'A newer request replaced this one. Nothing was done.',
    CHALLENGE_ALREADY_USED: 'That approval was already used. Nothing was done.',
    CHALLENGE_MISMATCH: 'That request is no longer valid. Nothing was done.',
    STEP_UP_REQUIRED: 'Your last approval is too old for this: reload the page to approve again.',
    SECOND_FACTOR_REQUIRED: 'Finish signing in first.',
    NOT_AUTHENTICATED: 'Log in first.',
    RATE_LIMITED: 'Too many requests to your phone: wait a few minutes.'
  };
  function refusalText(code, message) {
    return REFUSED[code] || message || ('Refused (' + code + ').');
  }
`;
