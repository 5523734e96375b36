import type { Notice } from '../accounts.js';
import type { RecentPushPolicy } from '../context.js';
import { html, type SafeHtml } from './html.js';
import { layout, type PageChrome } from './layout.js';

export interface AccountView {
  displayName: string;
  username: string;
  email: string;
  /** Let in by a remembered browser: the phone was not asked at this sign-in. */
  remembered: boolean;
  /** The user's devices, or undefined while listing them needs a recent approval. */
  factors?: Array<{ friendlyName: string; createdAt: string; status: string }>;
  notices: Notice[];
  /** Good news from the last step (an e-mail address changed…). */
  flash: string[];
  policy: RecentPushPolicy;
}

export function accountPage(chrome: PageChrome, view: AccountView): SafeHtml {
  return layout(
    'Account',
    chrome,
    html`<div class="card">
  <h1>Welcome, ${view.displayName}</h1>
  ${view.flash.map((notice) => html`<p class="success" role="status">${notice}</p>`)}
  ${
    view.remembered
      ? html`<p class="success">Signed in with your password. This browser is remembered, so your phone was not asked.</p>`
      : html`<p class="success">Signed in with your password and approved on your phone.</p>`
  }
  <p>This page sits behind <code>passport.authenticate('verify-push', { gate: true })</code>: nobody sees it
  before their phone approves the sign-in.</p>
</div>
<div class="card">
  <h2>When your phone is asked again</h2>
  <ul class="plain">
    <li><span><a href="/settings/email">Change e-mail address</a> <span class="muted">(now ${view.email})</span></span>
      <span class="muted small">when your last approval is older than ${duration(view.policy.stepUpMaxAgeSeconds)}</span></li>
    <li><a href="/send-money">Send money</a>
      <span class="muted small">every payment, for its own amount and payee</span></li>
    <li><a href="/devices">Manage devices</a>
      <span class="muted small">when your last approval is older than ${duration(view.policy.deviceChangeMaxAgeSeconds)}</span></li>
  </ul>
</div>
<div class="card">
  <h2>Your devices</h2>
  ${devices(view.factors)}
  <p><a href="/devices">Manage devices</a></p>
</div>
<div class="card" id="notifications">
  <h2>Notifications</h2>
  <p class="muted small">What the app would e-mail you: a device added or removed, your e-mail address changed.</p>
  ${
    view.notices.length === 0
      ? html`<p class="muted">Nothing yet.</p>`
      : html`<ul class="plain">${view.notices.map((notice) => html`<li><span>${notice.text}</span><span class="muted small">${clockTime(notice.at)}</span></li>`)}</ul>`
  }
</div>
<div class="card">
  <h2>Sign out</h2>
  <div class="actions">
    <form method="post" action="/logout"><button class="secondary" type="submit">Log out</button></form>
    <form method="post" action="/sign-out-everywhere"><button class="deny" type="submit">Sign out everywhere</button></form>
  </div>
  <p class="muted small">"Sign out everywhere" forgets every browser remembered for you, so each one asks your phone
  at its next sign-in, and signs you out here.</p>
</div>`,
  );
}

function devices(factors: AccountView['factors']): SafeHtml {
  if (factors === undefined) {
    return html`<p class="muted">Seeing and changing your devices needs a recent approval on your phone.</p>`;
  }
  if (factors.length === 0) return html`<p class="muted">No push factor enrolled.</p>`;
  return html`<ul>${factors.map((f) => html`<li>${f.friendlyName} <span class="muted">(${f.status}, since ${f.createdAt})</span></li>`)}</ul>`;
}

/** "60 seconds", "5 minutes": how the policy reads on the page. */
export function duration(seconds: number): string {
  if (seconds % 60 !== 0) return `${seconds} seconds`;
  const minutes = seconds / 60;
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

function clockTime(at: number): string {
  return `${new Date(at).toISOString().slice(11, 19)} UTC`;
}
