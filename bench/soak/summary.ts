/**
 * The figures of a run for its table: how the logins ended, what the phones did, and every fault injected,
 * by kind: Twilio calls (from the emulator's call log), webhooks (the emulator's deliveries and the proxy's
 * late ones) and the infrastructure faults.
 */
import type { Evidence } from './checks/evidence.js';
import { faultLabel } from './twilio-faults.js';
import { creationTransaction } from './truth.js';
import type { WebhookProxyStats } from './webhook-proxy.js';

export interface SoakSummary {
  attempts: number;
  logins: number;
  failures: number;
  stuck: number;
  approvals: number;
  silentApprovals: number;
  denials: number;
  ignored: number;
  phoneErrors: number;
  expiries: number;
  twilioCalls: number;
  /** Faulted Twilio calls by kind (`429`, `500`, `503`, `latency`, `hang`, `drop`, `processed+drop`, `processed+502`). */
  twilioFaults: Map<string, number>;
  webhooks: { events: number; attempts: number; dropped: number; duplicated: number; retried: number; failed: number; late: number; failovers: number; cut: number };
  infrastructure: string[];
}

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

export function summarize(evidence: Evidence, proxy: WebhookProxyStats): SoakSummary {
  const { attempts, truth } = evidence;
  const phoneOk = (action: string) => attempts.filter((a) => a.phone?.action === action && a.phone.ok).length;
  const twilioFaults = new Map<string, number>();
  for (const call of truth.calls) {
    let label = faultLabel(call);
    if (label === undefined) continue;
    if (label === 'drop' && call.operation === 'createChallenge') {
      // A dropped creation that Twilio processed: its challenge exists, and no creation call of it got an answer.
      const transactionId = creationTransaction(call);
      const created = transactionId !== undefined && truth.byTransaction.has(transactionId);
      const answered = (truth.creationsByTransaction.get(transactionId ?? '') ?? []).some((other) => other.status === 201);
      if (created && !answered) label = 'processed+drop';
    }
    increment(twilioFaults, label);
  }
  const deliveries = truth.deliveries;
  const firstTries = deliveries.filter((d) => d.attempt === 1 && !d.duplicate);
  return {
    attempts: attempts.length,
    logins: attempts.filter((a) => a.outcome === 'login').length,
    failures: attempts.filter((a) => a.outcome === 'failure').length,
    stuck: attempts.filter((a) => a.outcome === 'stuck').length,
    approvals: phoneOk('approve') + phoneOk('silent'),
    silentApprovals: phoneOk('silent'),
    denials: phoneOk('deny'),
    ignored: attempts.filter((a) => a.pending !== undefined && a.plan.phone === 'ignore').length,
    phoneErrors: attempts.filter((a) => a.phone !== undefined && !a.phone.ok).length,
    expiries: attempts.filter((a) => a.code === 'CHALLENGE_EXPIRED').length,
    twilioCalls: truth.calls.length,
    twilioFaults,
    webhooks: {
      events: firstTries.length,
      attempts: deliveries.filter((d) => d.outcome !== 'dropped').length,
      dropped: deliveries.filter((d) => d.outcome === 'dropped').length,
      duplicated: deliveries.filter((d) => d.duplicate).length,
      retried: deliveries.filter((d) => d.attempt > 1).length,
      failed: deliveries.filter((d) => d.outcome === 'failed').length,
      late: proxy.late,
      failovers: proxy.failovers,
      cut: proxy.dropped,
    },
    infrastructure: evidence.windows.map((window) => `${window.kind} (${window.detail}, ${window.to - window.from} ms)`),
  };
}
