import { html, type SafeHtml } from './html.js';

/**
 * The card, hidden at first, in which a page that saves through a recent approval (devices, e-mail address)
 * shows what the phone shows: the page's script draws the push into `#phone-shows` and un-hides `#waiting`
 * while the request waits for the phone. `why` says what the approval is for.
 */
export function waitingForApprovalCard(why: string): SafeHtml {
  return html`<div class="card" id="waiting" hidden>
  <h2>Check your phone</h2>
  <p>${why}</p>
  <div class="push" id="phone-shows"></div>
</div>`;
}
