import { APPROVAL_HELPERS } from './approval.js';

/**
 * The devices page's script: "Remove" sends DELETE /devices/<sid> as JSON. The page itself was opened with a
 * recent approval; if that grew too old meanwhile, the gate in front of the route pushes and answers 202, and
 * the script shows what the phone shows and repeats the request until the phone answers.
 */
export const DEVICES_SCRIPT = String.raw`
(function () {
${APPROVAL_HELPERS}
  var byId = function (id) { return document.getElementById(id); };
  function say(kind, text) {
    var status = byId('device-status');
    status.className = kind;
    status.textContent = text;
    status.hidden = false;
  }
  Array.prototype.forEach.call(document.querySelectorAll('button[data-remove]'), function (button) {
    button.addEventListener('click', function () {
      var sid = button.getAttribute('data-remove');
      var name = button.getAttribute('data-name');
      button.disabled = true;
      withApproval({ method: 'DELETE', url: '/devices/' + encodeURIComponent(sid) }, {
        pending: function (body) {
          drawPush(byId('phone-shows'), body);
          byId('waiting').hidden = false;
        },
        done: function () {
          byId('waiting').hidden = true;
          var item = button.closest('li');
          if (item) item.remove();
          say('success', 'Removed ' + name + '. The app tells you by e-mail (see Notifications on your account page).');
        },
        refused: function (code, message) {
          byId('waiting').hidden = true;
          button.disabled = false;
          say(code === 'CHALLENGE_DENIED' ? 'denied' : 'error', refusalText(code, message));
        }
      });
    });
  });
})();
`;
