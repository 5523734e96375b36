/** The plain pages of the example: home, login, account, errors. */
import { DEMO_CREDENTIALS } from '../users.js';
import { html, type SafeHtml } from './html.js';
import { layout, type PageChrome } from './layout.js';

export function homePage(chrome: PageChrome, state: { signedIn: boolean; secondFactor: boolean }): SafeHtml {
  const status = state.secondFactor
    ? html`<p class="success">You are fully signed in. <a href="/account">Go to your account</a>.</p>`
    : state.signedIn
      ? html`<p class="notice">Your password was accepted; your phone still has to approve. <a href="/account">Continue</a>.</p>`
      : html`<p><a class="button" href="/login">Log in</a></p>`;
  return layout(
    'Home',
    chrome,
    html`<div class="card">
  <h1>Password + Twilio Verify Push</h1>
  <p>This small app signs you in with a password, then asks your phone to approve the sign-in with
  Twilio Verify Push. The account page is protected by both factors.</p>
  ${status}
  ${
    chrome.deviceSimulator
      ? html`<p class="muted">No Twilio account needed: the app runs a Verify Push emulator, and the
  <a href="/device" target="_blank" rel="noopener">device simulator</a> plays the phone. Open it in a second tab.</p>`
      : html`<p class="muted">Running against real Twilio: approve on the phone where you enrolled the factor.</p>`
  }
</div>`,
  );
}

export interface LoginView {
  messages: string[];
  notices: string[];
  /** How long a ticked "Remember this browser" box lets this browser skip the phone. */
  rememberDays: number;
}

export function loginPage(chrome: PageChrome, view: LoginView): SafeHtml {
  return layout(
    'Log in',
    chrome,
    html`<div class="card">
  <h1>Log in</h1>
  ${view.notices.map((notice) => html`<p class="success" role="status">${notice}</p>`)}
  ${view.messages.map((message) => html`<p class="error" role="alert">${message}</p>`)}
  <form method="post" action="/login">
    <label for="username">Username</label>
    <input id="username" name="username" type="text" autocomplete="username" required autofocus>
    <label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <label class="check"><input id="remember" name="remember" type="checkbox" value="yes"> Remember this browser for ${view.rememberDays} days</label>
    <p class="muted small">Ticked, this browser skips the phone at your next sign-ins (pages that need a recent approval
    still ask it). Only on a computer that is yours.</p>
    <div class="actions"><button type="submit">Log in</button></div>
  </form>
</div>
<div class="card">
  <h2>Demo users</h2>
  <table class="creds">
    <tr><th>Username</th><th>Password</th><th></th></tr>
    ${DEMO_CREDENTIALS.map(
      (c) => html`<tr><td><code>${c.username}</code></td><td><code>${c.password}</code></td><td class="muted">${
        // With real Twilio nobody has a phone until they enrol their own.
        chrome.deviceSimulator ? c.note : 'enrols a phone on first login'
      }</td></tr>`,
    )}
  </table>
</div>`,
  );
}

export function errorPage(chrome: PageChrome, title: string, message: string): SafeHtml {
  return layout(title, chrome, html`<div class="card"><h1>${title}</h1><p class="error" role="alert">${message}</p><p><a href="/">Home</a></p></div>`);
}
