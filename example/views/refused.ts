import { html, type SafeHtml } from './html.js';
import { layout, type PageChrome } from './layout.js';

/** A page that needed a recent approval did not get one: why, and a way to ask the phone again. */
export function notApprovedPage(chrome: PageChrome, view: { message: string; again?: string }): SafeHtml {
  return layout(
    'Not approved',
    chrome,
    html`<div class="card">
  <h1>Not approved</h1>
  <p class="denied" role="alert">${view.message}</p>
  <p>This page needs a recent approval on your phone. Nothing was changed.</p>
  <div class="actions">
    ${view.again ? html`<a class="button" href="${view.again}">Ask my phone again</a>` : ''}
    <a class="button secondary" href="/account">Back to your account</a>
  </div>
</div>`,
  );
}
