import { html, raw, type SafeHtml } from './html.js';

export interface PageChrome {
  /** Per-response CSP nonce: only scripts and styles carrying it run. */
  nonce: string;
  /** Signed in with the password (first factor), if anyone is. */
  username?: string;
  /** That user's phone approved this session's sign-in too: only then is the user shown as signed in. */
  secondFactor?: boolean;
  /** Whether the device simulator exists (emulator mode only). */
  deviceSimulator: boolean;
  /** The device simulator itself: it plays a phone, so it shows none of the app's own navigation. */
  phone?: boolean;
  /** Cluster mode: the worker process that rendered this page. */
  worker?: string;
}

const STYLE = `
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6477; --line: #d9dee8; --accent: #2446d8;
  --good: #13795b; --bad: #b42318; --bg: #f4f6fb; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); line-height: 1.5; }
header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; padding: .75rem 1.25rem; background: #fff; border-bottom: 1px solid var(--line); }
header > * { white-space: nowrap; }
header .brand { font-weight: 700; margin-right: auto; color: var(--ink); text-decoration: none; }
header a, header button.link { color: var(--accent); text-decoration: none; font: inherit; }
main { max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 12px; padding: 1.5rem; margin-bottom: 1.25rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
h2 { font-size: 1.1rem; margin: 0 0 .75rem; }
label { display: block; font-weight: 600; margin: .75rem 0 .25rem; }
input[type=text], input[type=password], input[type=email], input[inputmode=numeric], input[inputmode=decimal] { width: 100%; padding: .6rem .7rem; font-size: 1rem; border: 1px solid var(--line); border-radius: 8px; }
label.check { display: flex; gap: .5rem; align-items: center; font-weight: 400; }
fieldset { border: 0; padding: 0; margin: 0; }
.small { font-size: .9rem; }
ul.plain { list-style: none; padding: 0; margin: 0; }
ul.plain li { padding: .4rem 0; border-bottom: 1px solid var(--line); display: flex; gap: .75rem; align-items: center; justify-content: space-between; }
button, .button { display: inline-block; padding: .6rem 1.1rem; font-size: 1rem; border-radius: 8px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; text-decoration: none; }
button.secondary, .button.secondary { background: #fff; color: var(--accent); }
button.deny { background: #fff; color: var(--bad); border-color: var(--bad); }
button.approve { background: var(--good); border-color: var(--good); }
button.link { background: none; border: 0; padding: 0; cursor: pointer; }
form.inline { display: inline; }
.muted { color: var(--muted); }
.notice { padding: .75rem 1rem; border-radius: 8px; background: #eef2ff; margin-bottom: 1rem; }
.error { padding: .75rem 1rem; border-radius: 8px; background: #fdecea; color: var(--bad); margin-bottom: 1rem; }
.success { padding: .75rem 1rem; border-radius: 8px; background: #e7f6ef; color: var(--good); margin-bottom: 1rem; }
.denied { padding: .75rem 1rem; border-radius: 8px; background: #fdecea; color: var(--bad); border-left: 6px solid var(--bad); font-weight: 700; margin-bottom: 1rem; }
.push.replaced { border-style: dashed; color: var(--muted); box-shadow: none; }
.push .badge { display: inline-block; margin: 0 0 .5rem; padding: .1rem .5rem; border-radius: 6px; background: #eef1f7; color: var(--muted); font-size: .85rem; }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: .75rem 0; }
dl.fields dt { color: var(--muted); }
dl.fields dd { margin: 0; word-break: break-word; }
.code { font-size: 2.5rem; font-weight: 800; letter-spacing: .3rem; text-align: center; padding: .5rem; border: 2px dashed var(--accent); border-radius: 12px; }
.countdown { font-variant-numeric: tabular-nums; font-weight: 700; }
.actions { display: flex; gap: .75rem; flex-wrap: wrap; margin-top: 1rem; }
table.creds { border-collapse: collapse; width: 100%; }
table.creds td, table.creds th { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); }
code { background: #eef1f7; padding: .1rem .3rem; border-radius: 4px; }
.spinner { display: inline-block; width: 1rem; height: 1rem; border: 3px solid var(--line); border-top-color: var(--accent); border-radius: 50%; animation: spin 1s linear infinite; vertical-align: -2px; margin-right: .4rem; }
@keyframes spin { to { transform: rotate(360deg); } }
.phone { max-width: 24rem; margin: 0 auto; background: #111827; border-radius: 36px; padding: 1rem .8rem 1.5rem; }
.phone .screen { background: #fff; border-radius: 24px; min-height: 30rem; padding: 1rem; }
.phone .bar { color: #cbd5e1; text-align: center; font-size: .8rem; margin-bottom: .5rem; }
.push { border: 1px solid var(--line); border-radius: 14px; padding: 1rem; margin-bottom: 1rem; box-shadow: 0 2px 8px rgba(0,0,0,.06); }
.push .message { font-weight: 700; }
.prewrap { white-space: pre-wrap; word-break: break-all; }
[hidden] { display: none !important; }
footer.worker { text-align: center; font-size: .85rem; margin: 0 0 1.5rem; }
`;

export function layout(title: string, chrome: PageChrome, body: SafeHtml, script?: string): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Verify Push example</title>
<style nonce="${chrome.nonce}">${raw(STYLE)}</style>
</head>
<body>
${chrome.phone ? phoneHeader() : appHeader(chrome)}
<main>
${body}
</main>
${chrome.worker === undefined ? '' : html`<footer class="muted worker" data-worker="${chrome.worker}">Served by worker ${chrome.worker}</footer>`}
${script ? html`<script nonce="${chrome.nonce}">${raw(script)}</script>` : ''}
</body>
</html>`;
}

function phoneHeader(): SafeHtml {
  return html`<header>
  <span class="brand">Device simulator</span>
  <a href="/" target="_blank" rel="noopener">Open the app</a>
</header>`;
}

function appHeader(chrome: PageChrome): SafeHtml {
  return html`<header>
  <a class="brand" href="/">Verify Push example</a>
  ${waitingForPhone(chrome) ? '' : html`<a href="/account">Account</a>`}
  ${chrome.deviceSimulator ? html`<a href="/device" target="_blank" rel="noopener">Device simulator</a>` : ''}
  ${signInState(chrome)}
</header>`;
}

/** Password done, phone not yet: the account page would only lead back to the waiting page. */
function waitingForPhone(chrome: PageChrome): boolean {
  return chrome.username !== undefined && chrome.secondFactor !== true;
}

/** Signed in only once the phone approved; with the password alone the header says what is still missing. */
function signInState(chrome: PageChrome): SafeHtml {
  if (chrome.username === undefined) return html`<a href="/login">Log in</a>`;
  if (!waitingForPhone(chrome)) {
    return html`<span class="muted" data-sign-in="complete">Signed in as ${chrome.username}</span>
  <form class="inline" method="post" action="/logout"><button class="link" type="submit">Log out</button></form>`;
  }
  return html`<span class="muted" data-sign-in="password">Password done, waiting for your phone</span>
  <form class="inline" method="post" action="/logout"><button class="link" type="submit">Cancel sign-in</button></form>`;
}
