/**
 * Whether outcomes are expected to arrive by webhook, which decides how often Twilio is fetched (the poll
 * interval, or only the webhook fallback interval). The app's `expectWebhooks` option decides; without it,
 * mounting the webhook handler in this instance says yes.
 */
export class WebhookExpectation {
  private mountedHere = false;

  constructor(private readonly configured: boolean | undefined) {}

  handlerMounted(): void {
    this.mountedHere = true;
  }

  expected(): boolean {
    return this.configured ?? this.mountedHere;
  }
}
