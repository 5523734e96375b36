import { randomUUID } from 'node:crypto';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { FaultInjector } from './faults.js';
import type { EventSink, VerifyEvent } from './route-context.js';
import { twilioSignature } from './signature.js';
import type { EmulatorState, WebhookRecord } from './state.js';
import type { WebhookDelivery } from './types.js';

export interface WebhookSenderOptions {
  state: EmulatorState;
  accountSid: string;
  authToken: string;
  faults: FaultInjector;
  timeoutMs: number;
}

type PostResult = { status: number } | { error: string };

/**
 * Delivers Verify events to a service's webhooks the way Twilio does: an HTTP POST, form-encoded,
 * signed with `X-Twilio-Signature`. A receiver that fails or is unreachable is recorded in
 * `deliveries()` and never breaks the emulator.
 * Guess: Twilio's retry policy for Verify webhooks is not documented; the emulator sends once
 * (a `duplicate` fault stands in for a retry).
 */
export class WebhookSender implements EventSink {
  private readonly log: WebhookDelivery[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private readonly requests = new Set<ClientRequest>();
  private closed = false;

  constructor(private readonly options: WebhookSenderOptions) {}

  emit(event: VerifyEvent): void {
    if (this.closed) return;
    for (const webhook of this.subscribers(event)) {
      const params = this.payload(event);
      const signature = twilioSignature(this.options.authToken, webhook.webhookUrl, params);
      const plan = this.options.faults.planWebhook();
      const base = { uuid: params['uuid'] ?? '', type: event.type, webhookSid: webhook.sid, url: webhook.webhookUrl, params, signature };
      if (plan.drop) {
        this.log.push({ ...base, outcome: 'dropped', duplicate: false, at: this.options.state.now() });
        continue;
      }
      const delivery = (async () => {
        await this.deliver(base, false);
        if (plan.duplicate) await this.deliver(base, true);
      })();
      this.inflight.add(delivery);
      void delivery.finally(() => this.inflight.delete(delivery));
    }
  }

  deliveries(): WebhookDelivery[] {
    return this.log.map((d) => ({ ...d, params: { ...d.params } }));
  }

  /** Resolves once every delivery started so far (and any they trigger) has finished. */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  close(): void {
    this.closed = true;
    for (const req of this.requests) req.destroy();
  }

  private subscribers(event: VerifyEvent): WebhookRecord[] {
    return [...this.options.state.webhooks.values()].filter(
      (w) =>
        w.serviceSid === event.serviceSid &&
        w.status === 'enabled' &&
        (w.eventTypes.includes('*') || w.eventTypes.includes(event.type)),
    );
  }

  /**
   * The fields Twilio documents for Verify webhooks.
   * Guess: v1 and v2 webhooks get the same fields here; what else v2 adds is not confirmed.
   */
  private payload(event: VerifyEvent): Record<string, string> {
    const params: Record<string, string> = {
      uuid: randomUUID(),
      type: event.type,
      account_sid: this.options.accountSid,
      service_sid: event.serviceSid,
      entity_identity: event.identity,
      factor_sid: event.factorSid,
      factor_type: 'push',
    };
    if (event.challengeSid !== undefined) params['challenge_sid'] = event.challengeSid;
    return params;
  }

  private async deliver(base: Omit<WebhookDelivery, 'outcome' | 'duplicate' | 'at'>, duplicate: boolean): Promise<void> {
    const at = this.options.state.now();
    const result = await this.post(base.url, base.params, base.signature);
    const outcome = 'status' in result && result.status >= 200 && result.status < 300 ? 'sent' : 'failed';
    this.log.push({ ...base, ...result, outcome, duplicate, at });
  }

  private post(url: string, params: Record<string, string>, signature: string): Promise<PostResult> {
    return new Promise((resolve) => {
      if (this.closed) {
        resolve({ error: 'emulator closed' });
        return;
      }
      const body = new URLSearchParams(params).toString();
      const send = url.startsWith('https:') ? httpsRequest : httpRequest;
      let req: ClientRequest;
      try {
        req = send(url, {
          method: 'POST',
          // A fresh connection per delivery, so a receiver's server can close without waiting on us.
          agent: false,
          timeout: this.options.timeoutMs,
          headers: {
            'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
            'Content-Length': Buffer.byteLength(body),
            'X-Twilio-Signature': signature,
            // Guess: the User-Agent Twilio's webhook proxy is known to send.
            'User-Agent': 'TwilioProxy/1.1',
            Connection: 'close',
          },
        });
      } catch (error) {
        resolve({ error: error instanceof Error ? error.message : String(error) });
        return;
      }
      this.requests.add(req);
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        res.on('error', (error) => resolve({ error: error.message }));
      });
      req.on('timeout', () => req.destroy(new Error('webhook timed out')));
      req.on('error', (error) => resolve({ error: error.message }));
      req.on('close', () => {
        this.requests.delete(req);
        resolve({ error: 'connection closed' });
      });
      req.end(body);
    });
  }
}
