import { APPROVAL_HELPERS } from './approval.js';

/**
 * The change-e-mail page's script. The page opened with a recent approval, but a person may take longer than
 * that to type: saving then needs a new one. The form is sent as JSON; while the phone has not answered (202)
 * the page shows what it shows and sends the same request again, and goes to the account page once saved.
 */
export const EMAIL_SCRIPT = String.raw`
(function () {
${APPROVAL_HELPERS}
  var byId = function (id) { return document.getElementById(id); };
  var form = byId('email-form');
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    byId('save').disabled = true;
    byId('email-problem').hidden = true;
    withApproval({ method: 'POST', url: form.getAttribute('action'), body: { email: byId('email').value } }, {
      pending: function (body) {
        drawPush(byId('phone-shows'), body);
        byId('waiting').hidden = false;
      },
      done: function () { location.assign('/account'); },
      refused: function (code, message) {
        byId('waiting').hidden = true;
        byId('save').disabled = false;
        byId('email-problem').textContent = code === 'INVALID_EMAIL' ? message : refusalText(code, message);
        byId('email-problem').hidden = false;
      }
    });
  });
})();
`;
