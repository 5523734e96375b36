import { html, jsonForScript, type SafeHtml } from './html.js';
import { layout, type PageChrome } from './layout.js';
import { WAIT_SCRIPT } from './scripts/wait.js';

export interface WaitView {
  /** What the push is for: a sign-in, a page asking for a recent approval (step-up), or one action. */
  purpose: 'login' | 'step-up' | 'action';
  message: string;
  fields: ReadonlyArray<{ label: string; value: string }>;
  /** ms since epoch, server clock */
  expiresAt: number;
  serverTime: number;
  pollAfterMs: number;
  matchCode?: string;
  /** Already settled (e.g. the page was reloaded after a denial): show the outcome at once. */
  failedState?: 'denied' | 'expired' | 'superseded';
  eventsUrl: string;
  /** Where to go once approved: the completion route of a sign-in, the page that asked for a step-up. */
  approvedUrl: string;
  /** Where to go when there is nothing left to wait for (and, for a step-up, where the outcome is shown). */
  doneUrl: string;
  retryUrl: string;
  /** POST here to send the push again (offered after a pause, at most twice). */
  resendUrl: string;
  /** Testing aid: skip EventSource to exercise the long-poll path. */
  forceLongPoll: boolean;
  /** ms before "Send it again" is offered, and between offers. */
  resendPauseMs: number;
}

export function waitingPage(chrome: PageChrome, view: WaitView): SafeHtml {
  const data = {
    purpose: view.purpose,
    expiresAt: view.expiresAt,
    serverTime: view.serverTime,
    pollAfterMs: view.pollAfterMs,
    eventsUrl: view.eventsUrl,
    approvedUrl: view.approvedUrl,
    doneUrl: view.doneUrl,
    resendUrl: view.resendUrl,
    resendPauseMs: view.resendPauseMs,
    forceLongPoll: view.forceLongPoll,
  };
  return layout(
    'Approve on your phone',
    chrome,
    html`<div class="card" id="waiting"${view.failedState ? html` hidden` : ''}>
  <h1>Check your phone</h1>
  <p id="status"><span class="spinner" aria-hidden="true"></span>${WHY[view.purpose]}</p>
  ${
    view.matchCode
      ? html`<p>When your phone asks, enter this number:</p>
  <p class="code" id="match-code" aria-label="Number to enter on your phone">${view.matchCode}</p>`
      : ''
  }
  <p class="muted">Your phone shows:</p>
  <div class="push">
    <div class="message" id="push-message">${view.message}</div>
    <dl class="fields">${view.fields.map((f) => html`<dt>${f.label}</dt><dd>${f.value}</dd>`)}</dl>
  </div>
  <p id="resend-row" hidden>Nothing on your phone? <button type="button" class="secondary" id="resend">Send it again</button></p>
  <p class="muted" id="resend-status" role="status"></p>
  <p>Expires in <span class="countdown" id="countdown">–:––</span>. <span class="muted">Updates <span id="transport">live</span>.</span></p>
  ${view.purpose === 'login' ? '' : html`<p><a href="/account">Not now: back to your account</a></p>`}
  ${
    chrome.deviceSimulator
      ? html`<p class="muted">In this demo your phone is the <a href="/device" target="_blank" rel="noopener">device simulator</a>: open it in another tab.</p>`
      : html`<p class="muted">Did not get it? Open the app on your phone: pending requests show there too.</p>`
  }
</div>
<div class="card" id="failed"${view.failedState ? '' : html` hidden`}>
  <h1>Sign-in not approved</h1>
  <p class="error" role="alert" id="failed-message">${failedMessage(view.failedState)}</p>
  <div class="actions">
    <form method="post" action="${view.retryUrl}"><button type="submit">Send a new request</button></form>
    <form method="post" action="/logout"><button class="secondary" type="submit">Log out</button></form>
  </div>
</div>
<script type="application/json" id="wait-data">${jsonForScript(data)}</script>`,
    view.failedState ? undefined : WAIT_SCRIPT,
  );
}

/** The first line of the page: what the request on the phone is for. */
const WHY: Record<WaitView['purpose'], string> = {
  login: 'We sent a sign-in request to your phone. Approve it to continue.',
  'step-up': 'This page needs a recent approval: we sent a request to your phone. Approve it to continue.',
  action: 'We sent this action to your phone. Approve it there to go on.',
};

function failedMessage(state: WaitView['failedState']): string {
  switch (state) {
    case 'denied':
      return 'You denied this sign-in on your phone.';
    case 'expired':
      return 'The sign-in request expired before your phone answered.';
    case 'superseded':
      return 'A newer sign-in request replaced this one.';
    default:
      return '';
  }
}
