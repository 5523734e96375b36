import { html, jsonForScript, type SafeHtml } from './html.js';
import { layout, type PageChrome } from './layout.js';
import { ENROL_SCRIPT } from './scripts/enrol.js';

/** `adding`: a signed-in user adds another device (else a user without one enrols the first, to sign in). */
export function enrolPage(chrome: PageChrome, view: { username: string; adding: boolean }): SafeHtml {
  return layout(
    'Enrol a phone',
    chrome,
    html`<div class="card">
  <h1>Enrol a phone</h1>
  <p>Your phone becomes your second factor: each sign-in asks it for approval.</p>
  ${
    chrome.deviceSimulator
      ? html`<p>In this demo the phone is the <a href="/device" target="_blank" rel="noopener">device simulator</a>. The app
  mints an enrolment token for you, and the simulated phone uses it to register its own key with Verify.</p>
  <div class="actions"><button id="enrol" type="button">Enrol the simulated phone</button></div>`
      : html`<p>Create an enrolment token and give it to your Verify Push mobile app (it registers the phone's
  key with Twilio). The token is valid for 5 minutes.</p>
  <div class="actions"><button id="enrol" type="button">Create enrolment token</button></div>`
  }
  <div id="enrol-result" class="prewrap" role="status"></div>
</div>
<script type="application/json" id="enrol-data">${jsonForScript({ simulator: chrome.deviceSimulator, username: view.username, adding: view.adding })}</script>`,
    ENROL_SCRIPT,
  );
}
