/**
 * The waiting page's script, sent inline (no build step, no framework). It listens on the events
 * endpoint with EventSource, falls back to long-poll when a stream cannot be held, counts down on the
 * server's clock, and moves on when the phone answers: a sign-in to its completion route, a step-up back to
 * the page that asked (the event's `returnTo`).
 */
export const WAIT_SCRIPT = String.raw`
(function () {
  var data = JSON.parse(document.getElementById('wait-data').textContent);
  var byId = function (id) { return document.getElementById(id); };
  // The countdown runs on the server's clock: expiresAt is server time, so only the offset matters.
  var offset = data.serverTime - Date.now();
  var expiresAt = data.expiresAt;
  var finished = false;
  var source = null;
  var OUTCOMES = {
    denied: 'You denied this sign-in on your phone.',
    expired: 'The sign-in request expired before your phone answered.',
    superseded: 'A newer sign-in request replaced this one.'
  };

  // A path of this site only (never another origin), though the server only ever sends one.
  function samePath(url) {
    return typeof url === 'string' && url.charAt(0) === '/' && url.charAt(1) !== '/' && url.charAt(1) !== '\\';
  }

  function tick() {
    if (finished) return;
    var left = Math.max(0, expiresAt - (Date.now() + offset));
    var seconds = Math.ceil(left / 1000);
    byId('countdown').textContent = Math.floor(seconds / 60) + ':' + String(seconds % 60).padStart(2, '0');
  }
  var timer = setInterval(tick, 250);
  tick();

  // Resend: offered after a pause, and never more often than Twilio allows (3 per challenge); the server
  // counts too, so this only keeps the button honest.
  var resendTimer = null;
  function offerResend(afterMs) {
    byId('resend-row').hidden = true;
    resendTimer = setTimeout(function () { if (!finished) byId('resend-row').hidden = false; }, afterMs);
  }
  byId('resend').addEventListener('click', function () {
    byId('resend').disabled = true;
    fetch(data.resendUrl, { method: 'POST', headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (response) { return response.json().then(function (body) { return { ok: response.ok, body: body }; }); })
      .then(function (answer) {
        byId('resend').disabled = false;
        if (answer.ok) {
          byId('resend-status').textContent = 'Sent again. ' + (answer.body.remaining > 0
            ? 'You can ask ' + answer.body.remaining + ' more time' + (answer.body.remaining === 1 ? '' : 's') + '.'
            : 'That was the last resend for this request.');
          if (answer.body.remaining > 0) offerResend(data.resendPauseMs); else byId('resend-row').hidden = true;
        } else {
          byId('resend-row').hidden = true;
          byId('resend-status').textContent = 'This request cannot be sent again.';
        }
      }, function () { byId('resend').disabled = false; });
  });
  offerResend(data.resendPauseMs);

  function stop() {
    finished = true;
    clearTimeout(resendTimer);
    byId('resend-row').hidden = true;
    clearInterval(timer);
    if (source) { source.close(); source = null; }
  }

  function show(event) {
    if (finished) return;
    if (typeof event.serverTime === 'number') offset = event.serverTime - Date.now();
    if (typeof event.expiresAt === 'number') expiresAt = event.expiresAt;
    if (event.state === 'pending') return;
    stop();
    if (event.state === 'approved') {
      byId('status').textContent = data.purpose === 'login' ? 'Approved on your phone. Signing you in…' : 'Approved on your phone. Going back…';
      // A step-up's event names the page that asked (returnTo): back there, where the request now goes through.
      location.assign(data.purpose === 'step-up' && samePath(event.returnTo) ? event.returnTo : data.approvedUrl);
      return;
    }
    if (event.state === 'none' || event.state === 'completed' || data.purpose !== 'login') {
      // Nothing left to wait for (finished in another tab, or signed out), or a step-up or action that was not
      // approved: the page that asked says why and offers to ask again.
      location.assign(data.doneUrl);
      return;
    }
    byId('waiting').hidden = true;
    byId('failed').hidden = false;
    byId('failed-message').textContent = OUTCOMES[event.state] || 'This sign-in request can no longer be approved.';
  }

  function longPoll() {
    if (finished) return;
    fetch(data.eventsUrl, { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' })
      .then(function (response) {
        if (!response.ok) throw new Error('status ' + response.status);
        return response.json();
      })
      .then(function (event) { show(event); setTimeout(longPoll, 0); },
            function () { setTimeout(longPoll, data.pollAfterMs); });
  }

  if (window.EventSource && !data.forceLongPoll) {
    source = new EventSource(data.eventsUrl);
    source.addEventListener('state', function (message) { show(JSON.parse(message.data)); });
    source.onerror = function () {
      // EventSource reconnects by itself after a normal end; CLOSED means it gave up (an error answer).
      if (source && source.readyState === EventSource.CLOSED && !finished) { source = null; longPoll(); }
    };
  } else {
    longPoll();
  }
  byId('transport').textContent = source ? 'live (server-sent events)' : 'live (long-poll)';
})();
`;
