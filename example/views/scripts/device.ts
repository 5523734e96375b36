/**
 * Device simulator script. The phone polls for pending challenges once a second (Twilio's advice for
 * apps is to poll as the baseline and treat notifications as a bonus). The newest request comes first and is
 * the only one that can be answered; older ones still pending are shown as replaced. Cards are keyed by
 * challenge, so a refresh never wipes a code being typed. All text goes in through textContent, never as markup.
 */
export const DEVICE_SCRIPT = String.raw`
(function () {
  var root = document.getElementById('phones');
  var empty = document.getElementById('no-phones');
  var offset = 0;
  var phoneNodes = {};

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function post(url, body) {
    return fetch(url, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (json) {
        if (!response.ok) { var error = new Error(json.message || json.code); error.code = json.code; throw error; }
        return json;
      });
    });
  }
  function say(phone, kind, text) {
    var line = phoneNodes[phone.factorSid].result;
    line.className = kind;
    line.textContent = text;
    line.hidden = false;
  }
  function remaining(expiresAt) {
    var seconds = Math.max(0, Math.ceil((expiresAt - (Date.now() + offset)) / 1000));
    return Math.floor(seconds / 60) + ':' + String(seconds % 60).padStart(2, '0');
  }

  function challengeCard(phone, challenge) {
    var card = el('div', challenge.replaced ? 'push replaced' : 'push current');
    card.dataset.sid = challenge.sid;
    card.replaced = challenge.replaced;
    if (challenge.replaced) card.appendChild(el('p', 'badge', 'Replaced by a newer request: it can no longer sign anyone in.'));
    card.appendChild(el('div', 'message', challenge.message));
    var fields = el('dl', 'fields');
    challenge.fields.forEach(function (field) {
      fields.appendChild(el('dt', '', field.label));
      fields.appendChild(el('dd', '', field.value));
    });
    card.appendChild(fields);
    var expiry = el('p', 'muted', '');
    card.appendChild(expiry);
    card.tick = function () { expiry.textContent = 'Expires in ' + remaining(challenge.expiresAt); };
    card.tick();
    // Like the Verify app, the phone answers only its newest request.
    if (challenge.replaced) return card;
    var code = null;
    if (challenge.needsCode) {
      var label = el('label', '', 'Enter the number shown on the sign-in screen');
      code = el('input');
      code.setAttribute('inputmode', 'numeric');
      code.setAttribute('autocomplete', 'off');
      code.id = 'code-' + challenge.sid;
      label.htmlFor = code.id;
      card.appendChild(label);
      card.appendChild(code);
    }
    var actions = el('div', 'actions');
    var approve = el('button', 'approve', 'Approve');
    var deny = el('button', 'deny', 'Deny');
    approve.type = deny.type = 'button';
    actions.appendChild(approve);
    actions.appendChild(deny);
    card.appendChild(actions);
    function answer(kind) {
      approve.disabled = deny.disabled = true;
      var body = { factorSid: phone.factorSid, challengeSid: challenge.sid };
      if (kind === 'approve' && code) body.matchCode = code.value.trim();
      post('/device/api/' + kind, body).then(function () {
        if (kind === 'approve') say(phone, 'success', 'Approved.');
        else say(phone, 'denied', 'Denied. Nothing goes through.');
        var node = phoneNodes[phone.factorSid];
        node.answered[challenge.sid] = true;
        card.remove();
        delete node.cards[challenge.sid];
      }, function (error) {
        approve.disabled = deny.disabled = false;
        var text = error.code === 'MATCH_CODE_MISMATCH' ? 'That number does not match the sign-in screen. Not approved.'
          : error.code === 'MATCH_CODE_REQUIRED' ? 'Enter the number shown on the sign-in screen first.'
          : error.code === 'REQUEST_REPLACED' ? 'A newer request replaced this one. Nothing was answered.'
          : 'Could not ' + kind + ': ' + error.message;
        say(phone, 'error', text);
      });
    }
    approve.addEventListener('click', function () { answer('approve'); });
    deny.addEventListener('click', function () { answer('deny'); });
    return card;
  }

  function phoneSection(phone) {
    var section = el('section', 'card');
    section.appendChild(el('h2', '', phone.friendlyName));
    section.appendChild(el('p', 'muted', 'Enrolled for ' + phone.username));
    var list = el('div');
    var none = el('p', 'muted', 'No pending requests.');
    var result = el('p', 'notice', '');
    result.setAttribute('role', 'status');
    result.hidden = true;
    section.appendChild(result);
    section.appendChild(none);
    section.appendChild(list);
    var form = el('form');
    form.appendChild(el('h2', '', 'Log in on this device'));
    form.appendChild(el('p', 'muted', 'Signs in from the app on this phone: it receives a transaction id and approves only the matching request, without a prompt.'));
    var label = el('label', '', 'Password for ' + phone.username);
    var password = el('input');
    password.type = 'password';
    password.id = 'password-' + phone.factorSid;
    password.autocomplete = 'current-password';
    label.htmlFor = password.id;
    form.appendChild(label);
    form.appendChild(password);
    var actions = el('div', 'actions');
    var go = el('button', 'secondary', 'Log in on this device');
    go.type = 'submit';
    actions.appendChild(go);
    form.appendChild(actions);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      go.disabled = true;
      say(phone, 'notice', 'Signing in on this device…');
      post('/device/api/sign-in', { factorSid: phone.factorSid, password: password.value }).then(function (result) {
        say(phone, 'success', 'Signed in on this device as ' + result.displayName + ', approved silently.');
      }, function (error) {
        say(phone, 'error', error.code === 'INVALID_CREDENTIALS' ? 'Wrong password.' : 'Could not sign in: ' + error.message);
      }).then(function () { go.disabled = false; });
    });
    section.appendChild(form);
    root.appendChild(section);
    // answered: requests answered here, kept off the screen until the list no longer shows them as pending.
    return { section: section, list: list, none: none, result: result, cards: {}, answered: {} };
  }

  function render(state) {
    offset = state.serverTime - Date.now();
    empty.hidden = state.phones.length > 0;
    state.phones.forEach(function (phone) {
      var node = phoneNodes[phone.factorSid] || (phoneNodes[phone.factorSid] = phoneSection(phone));
      var seen = {};
      var shown = phone.challenges.filter(function (challenge) { return !node.answered[challenge.sid]; });
      // The server's order: newest first, so the request to answer is on top and replaced ones follow.
      shown.forEach(function (challenge, index) {
        seen[challenge.sid] = true;
        var card = node.cards[challenge.sid];
        if (card && card.replaced !== challenge.replaced) { card.remove(); card = undefined; }
        if (!card) card = node.cards[challenge.sid] = challengeCard(phone, challenge);
        // Move only what is out of place: moving a card would take the focus from a code being typed.
        if (node.list.children[index] !== card) node.list.insertBefore(card, node.list.children[index] || null);
        card.tick();
      });
      Object.keys(node.cards).forEach(function (sid) {
        if (!seen[sid]) { node.cards[sid].remove(); delete node.cards[sid]; }
      });
      Object.keys(node.answered).forEach(function (sid) {
        if (!phone.challenges.some(function (challenge) { return challenge.sid === sid; })) delete node.answered[sid];
      });
      node.none.hidden = shown.length > 0;
    });
  }

  function refresh() {
    fetch('/device/api/state', { credentials: 'same-origin', cache: 'no-store' })
      .then(function (response) { return response.json(); })
      .then(render, function () {})
      .then(function () { setTimeout(refresh, 1000); });
  }
  refresh();
})();
`;
