/**
 * What the live-waiting endpoint tells a browser, and how it is written on the wire.
 * Kept apart from the handler so the payload rules (what may leave the server) sit in one place.
 */
import type { VerifyPushStatus, WaitState } from '../types.js';

/** One event sent to the waiting page (SSE `data:` or the long-poll JSON body). */
export interface WaitEvent {
  state: WaitState;
  /** ms since epoch, on the server's clock */
  expiresAt?: number;
  /** The server's clock when the event was made, so a page can count down without trusting its own clock. */
  serverTime: number;
  /** When a polling client should ask again, in ms. */
  pollAfterMs?: number;
  /** Number-matching code to show beside the challenge (the session's own; never in the phone's details). */
  matchCode?: string;
  message?: string;
  fields?: Array<{ label: string; value: string }>;
  /** What the push is for, when not a login: 'step-up' or 'action'. */
  purpose?: 'step-up' | 'action';
  /** Where to go once approved (the page that asked for a step-up); a path of this site. */
  returnTo?: string;
}

const TERMINAL: ReadonlySet<WaitState> = new Set(['none', 'approved', 'denied', 'expired', 'superseded', 'completed']);

/** After these states nothing more will happen to this challenge, so the stream can end. */
export function isFinalState(state: WaitState): boolean {
  return TERMINAL.has(state);
}

/**
 * Copy only the fields a page needs. A whitelist rather than a spread: the challenge sid and
 * anything a future status grows must not leak to the browser by accident. The transaction id
 * is left out too: it is for an app on the registered device, which gets it in the 202 answer.
 */
export function toWaitEvent(status: VerifyPushStatus, serverTime: number): WaitEvent {
  const event: WaitEvent = { state: status.state, serverTime };
  if (status.expiresAt !== undefined) event.expiresAt = status.expiresAt;
  if (status.pollAfterMs !== undefined) event.pollAfterMs = status.pollAfterMs;
  if (status.purpose === 'step-up' || status.purpose === 'action') event.purpose = status.purpose;
  if (status.returnTo !== undefined) event.returnTo = status.returnTo;
  if (status.state === 'pending') {
    // Only a pending challenge needs its code and details shown; a settled one shows the outcome.
    if (status.matchCode !== undefined) event.matchCode = status.matchCode;
    if (status.message !== undefined) event.message = status.message;
    if (status.fields !== undefined) event.fields = status.fields.map(({ label, value }) => ({ label, value }));
  }
  return event;
}

/** Two events describe the same thing (ignoring the timestamp), so the second need not be sent. */
export function sameWaitEvent(a: WaitEvent, b: WaitEvent): boolean {
  return JSON.stringify({ ...a, serverTime: 0, pollAfterMs: 0 }) === JSON.stringify({ ...b, serverTime: 0, pollAfterMs: 0 });
}

/** One server-sent event. JSON never contains a raw newline, so one `data:` line is enough. */
export function formatSse(eventName: string, data: unknown): string {
  return `event: ${eventName}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A comment line: ignored by EventSource, keeps proxies and load balancers from closing an idle stream. */
export const SSE_HEARTBEAT = ': keep-alive\n\n';
