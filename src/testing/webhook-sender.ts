import { randomUUID } from 'node:crypto';
import type { FaultInjector, WebhookAttemptFault } from './faults.js';
import type { EventSink, VerifyEvent } from './route-context.js';
import type { EmulatorState, WebhookRecord } from './state.js';
import type { WebhookBodyFormat, WebhookDelivery } from './types.js';
import { signedWebhookRequest, type SignedWebhookRequest } from './webhook-request.js';
import { postWebhook, type PostResult } from './webhook-post.js';

export interface WebhookSenderOptions {
  state: EmulatorState;
  accountSid: string;
  authToken: string;
  faults: FaultInjector;
  /** Time allowed for a delivery, its retries included (Twilio's `tt`). */
  totalTimeoutMs: number;
  /** Retries after a failed connection (Twilio's `rc`). */
  retries: number;
  /** How bodies are sent unless a webhook was given its own format. */
  defaultFormat: WebhookBodyFormat;
}

/**
 * Twilio's defaults for its HTTP callbacks, from "Webhooks (HTTP callbacks): Connection Overrides"
 * (https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides): connect timeout `ct` 5000 ms,
 * read timeout `rt` 15000 ms, total time `tt` 15000 ms for all attempts, retry count `rc` 1 "if its connection
 * to your webhook fails".
 * Guess: that Verify's webhooks follow these platform defaults; Verify documents no retry policy of its own.
 */
export const WEBHOOK_DEFAULTS = { connectTimeoutMs: 5000, readTimeoutMs: 15_000, totalTimeoutMs: 15_000, retries: 1 } as const;

/**
 * Delivers Verify events to a service's webhooks the way Twilio does: an HTTP POST signed with
 * `X-Twilio-Signature`, form-encoded or as JSON with `bodySHA256`, retried once when no answer came back.
 * A receiver that fails or is unreachable is recorded in `deliveries()` and never breaks the emulator.
 */
export class WebhookSender implements EventSink {
  private readonly log: WebhookDelivery[] = [];
  private readonly formats = new Map<string, WebhookBodyFormat>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly aborts = new Set<AbortController>();
  private closed = false;

  constructor(private readonly options: WebhookSenderOptions) {}

  /** Sends this webhook's bodies as `format` from now on (Twilio's Verify API has no such setting). */
  setFormat(webhookSid: string, format: WebhookBodyFormat): void {
    this.formats.set(webhookSid, format);
  }

  emit(event: VerifyEvent): void {
    if (this.closed) return;
    for (const webhook of this.subscribers(event)) {
      const params = this.payload(event);
      const request = signedWebhookRequest(this.options.authToken, webhook.webhookUrl, params, this.formatOf(webhook));
      const plan = this.options.faults.planWebhook();
      if (plan.drop) {
        this.record(webhook, event, request, { outcome: 'dropped', duplicate: false, attempt: 1, at: this.options.state.now() });
        continue;
      }
      const delivery = (async () => {
        await this.deliver(webhook, event, request);
        // A copy of the whole delivery, as a sender that re-sends an event it already delivered would.
        if (plan.duplicate) await this.attempt(webhook, event, request, 1, true, undefined);
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
    for (const abort of this.aborts) abort.abort();
  }

  private formatOf(webhook: WebhookRecord): WebhookBodyFormat {
    return this.formats.get(webhook.sid) ?? this.options.defaultFormat;
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

  /** The first attempt and, while no answer came back and time is left, the retries. */
  private async deliver(webhook: WebhookRecord, event: VerifyEvent, first: SignedWebhookRequest): Promise<void> {
    const deadline = Date.now() + this.options.totalTimeoutMs;
    let request = first;
    for (let attempt = 1; attempt <= 1 + this.options.retries; attempt += 1) {
      if (attempt > 1 && this.options.faults.webhookRetryUuid() === 'new') {
        // Guess: whether Twilio's retry of a delivery keeps its uuid is not documented; a fault picks.
        request = signedWebhookRequest(this.options.authToken, webhook.webhookUrl, { ...request.params, uuid: randomUUID() }, request.format);
      }
      const remaining = deadline - Date.now();
      const fault = this.options.faults.planWebhookAttempt();
      const result = await this.attempt(webhook, event, request, attempt, false, fault, remaining);
      if ('status' in result || this.closed || deadline - Date.now() <= 0) return;
    }
  }

  private async attempt(
    webhook: WebhookRecord,
    event: VerifyEvent,
    request: SignedWebhookRequest,
    attempt: number,
    duplicate: boolean,
    fault: WebhookAttemptFault | undefined,
    budgetMs: number = this.options.totalTimeoutMs,
  ): Promise<PostResult> {
    const at = this.options.state.now();
    let result: PostResult;
    if (this.closed) result = { error: 'emulator closed' };
    else if (fault === 'refuseConnection') result = { error: 'connection refused (injected fault)' };
    else {
      const abort = new AbortController();
      this.aborts.add(abort);
      try {
        result = await postWebhook(request, {
          connectTimeoutMs: Math.min(WEBHOOK_DEFAULTS.connectTimeoutMs, budgetMs),
          readTimeoutMs: Math.min(WEBHOOK_DEFAULTS.readTimeoutMs, budgetMs),
          signal: abort.signal,
        });
      } finally {
        this.aborts.delete(abort);
      }
      // The receiver got the request, but its answer never reaches us (a connection reset, say).
      if (fault === 'loseAnswer' && 'status' in result) result = { error: 'answer lost (injected fault)' };
    }
    const outcome = 'status' in result && result.status >= 200 && result.status < 300 ? 'sent' : 'failed';
    this.record(webhook, event, request, { ...result, outcome, duplicate, attempt, at });
    return result;
  }

  private record(
    webhook: WebhookRecord,
    event: VerifyEvent,
    request: SignedWebhookRequest,
    how: Pick<WebhookDelivery, 'outcome' | 'duplicate' | 'attempt' | 'at'> & { status?: number; error?: string },
  ): void {
    this.log.push({
      uuid: request.params['uuid'] ?? '',
      type: event.type,
      webhookSid: webhook.sid,
      url: request.url,
      format: request.format,
      params: request.params,
      signature: request.signature,
      ...how,
    });
  }
}
