import { html, type SafeHtml } from './html.js';
import { layout, type PageChrome } from './layout.js';
import { DEVICE_SCRIPT } from './scripts/device.js';

/** The phone stand-in. Its content is drawn by the script from /device/api/state. */
export function devicePage(chrome: PageChrome): SafeHtml {
  return layout(
    'Device simulator',
    chrome,
    html`<div class="phone">
  <div class="bar">Simulated phone · Verify Push emulator</div>
  <div class="screen">
    <h1>Requests to approve</h1>
    <p class="muted" id="no-phones">No phone enrolled yet. Log in as <code>alice</code> (her phone is enrolled
    when she first signs in), or enrol one from the enrolment page.</p>
    <div id="phones"></div>
  </div>
</div>`,
    DEVICE_SCRIPT,
  );
}
