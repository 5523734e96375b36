import { duration } from './account.js';
import { html, type SafeHtml } from './html.js';
import { layout, type PageChrome } from './layout.js';
import { DEVICES_SCRIPT } from './scripts/devices.js';
import { waitingForApprovalCard } from './waiting-card.js';

export interface DevicesView {
  factors: Array<{ sid: string; friendlyName: string; status: string; createdAt: string }>;
  /** How recent an approval adding or removing a device needs. */
  maxAgeSeconds: number;
}

export function devicesPage(chrome: PageChrome, view: DevicesView): SafeHtml {
  return layout(
    'Your devices',
    chrome,
    html`<div class="card">
  <h1>Your devices</h1>
  <p>Each device here can approve your sign-ins. Seeing, adding or removing them needs an approval on your phone
  from the last ${duration(view.maxAgeSeconds)}, so a stolen session cannot add the thief's phone or remove yours.</p>
  ${
    view.factors.length === 0
      ? html`<p class="muted">No push device enrolled.</p>`
      : html`<ul class="plain" id="devices">${view.factors.map(
          (f) => html`<li data-sid="${f.sid}"><span>${f.friendlyName} <span class="muted small">(${f.status}, since ${f.createdAt})</span></span>
      <button class="deny" type="button" data-remove="${f.sid}" data-name="${f.friendlyName}">Remove</button></li>`,
        )}</ul>`
  }
  ${view.factors.length === 1 ? html`<p class="muted small">Removing your only device means your next sign-in enrols a new one with the password alone.</p>` : ''}
  <div class="actions"><a class="button" href="/enrol">Add a device</a></div>
  <div id="device-status" role="status" hidden></div>
</div>
${waitingForApprovalCard('Your last approval is too old to change devices: approve this request to go on.')}`,
    DEVICES_SCRIPT,
  );
}
