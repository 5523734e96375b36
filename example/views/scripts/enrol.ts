/**
 * Enrolment page script: asks this app for an access token (minted for the signed-in user), then hands
 * it to the phone. In emulator mode the "phone" is the device simulator, reached through its own
 * routes; with real Twilio the token is shown for your Verify Push mobile app.
 */
export const ENROL_SCRIPT = String.raw`
(function () {
  var data = JSON.parse(document.getElementById('enrol-data').textContent);
  var button = document.getElementById('enrol');
  var result = document.getElementById('enrol-result');
  function post(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().then(function (json) {
        if (!response.ok) throw new Error(json.message || json.error || json.code || ('status ' + response.status));
        return json;
      });
    });
  }
  button.addEventListener('click', function () {
    button.disabled = true;
    result.className = 'notice';
    result.textContent = 'Enrolling…';
    post('/enrol/token').then(function (token) {
      if (!data.simulator) {
        result.className = 'notice';
        result.textContent = JSON.stringify({ identity: token.identity, serviceSid: token.serviceSid, token: token.token }, null, 2);
        return;
      }
      return post('/device/api/enrol', {
        token: token.token, identity: token.identity, serviceSid: token.serviceSid, username: data.username
      }).then(function (phone) {
        result.className = 'success';
        result.textContent = 'Phone enrolled: ' + phone.friendlyName + '. ';
        var link = document.createElement('a');
        link.href = data.adding ? '/devices' : '/account';
        link.textContent = data.adding ? 'Back to your devices' : 'Continue signing in';
        result.appendChild(link);
      });
    }).catch(function (error) {
      button.disabled = false;
      result.className = 'error';
      result.textContent = 'Could not enrol: ' + error.message;
    });
  });
})();
`;
