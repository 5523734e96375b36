import { duration } from './account.js';
import { html, type SafeHtml } from './html.js';
import { layout, type PageChrome } from './layout.js';
import { EMAIL_SCRIPT } from './scripts/email.js';
import { waitingForApprovalCard } from './waiting-card.js';

export interface EmailView {
  email: string;
  /** The address typed, when it was refused. */
  typed?: string;
  problem?: string;
  /** How recent the last approval must be to open this page and save the change. */
  maxAgeSeconds: number;
}

export function emailPage(chrome: PageChrome, view: EmailView): SafeHtml {
  return layout(
    'Change e-mail address',
    chrome,
    html`<div class="card">
  <h1>Change e-mail address</h1>
  <p>Your e-mail address receives password resets, so changing it needs an approval on your phone from the last
  ${duration(view.maxAgeSeconds)}: a session left open, or a stolen cookie, cannot take over the account here.</p>
  <p>Now: <strong id="current-email">${view.email}</strong></p>
  <p class="error" role="alert" id="email-problem"${view.problem ? '' : html` hidden`}>${view.problem ?? ''}</p>
  <form id="email-form" method="post" action="/settings/email">
    <label for="email">New e-mail address</label>
    <input id="email" name="email" type="email" autocomplete="email" required maxlength="254" value="${view.typed ?? ''}">
    <div class="actions"><button id="save" type="submit">Save</button><a class="button secondary" href="/account">Cancel</a></div>
  </form>
</div>
${waitingForApprovalCard('Your last approval is too old to save this change: approve this request and it is saved.')}`,
    EMAIL_SCRIPT,
  );
}
