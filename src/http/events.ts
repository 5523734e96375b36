/**
 * Live waiting: an endpoint a waiting page subscribes to, told the moment the session's own
 * challenge settles. Server-sent events for browsers (EventSource), long-poll JSON for clients
 * that cannot hold a stream. Mount it behind the session and passport middleware, e.g.
 * `app.get('/login/push/events', push.events())`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { VerifyPushError } from '../errors.js';
import { watchChallenge, type EventsDeps } from './events-watch.js';
import {
  formatSse,
  isFinalState,
  sameWaitEvent,
  SSE_HEARTBEAT,
  toWaitEvent,
  type WaitEvent,
  type WaitStatusSource,
} from './events-wire.js';

export type { EventsDeps } from './events-watch.js';
export type { WaitEvent, WaitState, WaitStatusSource } from './events-wire.js';

export interface EventsOptions {
  /** Interval of SSE comment lines that keep idle proxies from closing the stream, in ms. Default 15000; 1000–60000. */
  heartbeatMs?: number;
  /**
   * Longest an SSE stream stays open, in ms. Default 120000; 1000–600000 (the longest challenge expiry).
   * EventSource reconnects by itself afterwards, so this only bounds how long one connection holds server resources.
   */
  maxLifetimeMs?: number;
  /** Longest a long-poll request waits for a change before answering with the current state, in ms. Default 25000; 1000–120000. */
  longPollTimeoutMs?: number;
  /** Reconnection delay the SSE stream asks EventSource to use, in ms. Default 1000; 100–60000. */
  retryMs?: number;
}

type Next = (err?: unknown) => void;

/** The middleware returned by `createEventsHandler`. */
export type EventsHandler<Req extends IncomingMessage> = (req: Req, res: ServerResponse, next: Next) => void;

function bounded(name: keyof EventsOptions, value: number | undefined, fallback: number, min: number, max: number): number {
  const chosen = value ?? fallback;
  if (!Number.isFinite(chosen) || chosen < min || chosen > max) {
    throw new VerifyPushError('INVALID_OPTION', `events option "${name}" must be a number of ms from ${min} to ${max}`);
  }
  return chosen;
}

function wantsEventStream(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').toLowerCase().includes('text/event-stream');
}

/**
 * Build the live-waiting middleware. Usually reached through `strategy.events(options)`, which
 * supplies `deps`; exported for apps that wire their own strategy instance or store.
 */
export function createEventsHandler<Req extends IncomingMessage>(
  deps: EventsDeps<Req>,
  options: EventsOptions = {},
): EventsHandler<Req> {
  const heartbeatMs = bounded('heartbeatMs', options.heartbeatMs, 15_000, 1_000, 60_000);
  const maxLifetimeMs = bounded('maxLifetimeMs', options.maxLifetimeMs, 120_000, 1_000, 600_000);
  const longPollTimeoutMs = bounded('longPollTimeoutMs', options.longPollTimeoutMs, 25_000, 1_000, 120_000);
  const retryMs = bounded('retryMs', options.retryMs, 1_000, 100, 60_000);
  const now = deps.now ?? Date.now;
  const settings = { heartbeatMs, maxLifetimeMs, longPollTimeoutMs, retryMs, now };

  return function verifyPushEvents(req: Req, res: ServerResponse, next: Next): void {
    const serve = wantsEventStream(req) ? serveStream : serveLongPoll;
    serve(deps, settings, req, res).catch(next);
  };
}

interface Settings {
  heartbeatMs: number;
  maxLifetimeMs: number;
  longPollTimeoutMs: number;
  retryMs: number;
  now: () => number;
}

/** Tracks whether the client went away, from before the first await, so nothing is left subscribed. */
function closeTracker(res: ServerResponse): { closed(): boolean; onClose(fn: () => void): void } {
  let closed = false;
  const callbacks: Array<() => void> = [];
  res.once('close', () => {
    closed = true;
    for (const fn of callbacks.splice(0)) fn();
  });
  return {
    closed: () => closed,
    onClose(fn) {
      if (closed) fn();
      else callbacks.push(fn);
    },
  };
}

/** The first status read, as an event; undefined when the client left while it was read. */
async function readFirst<Req extends IncomingMessage>(deps: EventsDeps<Req>, settings: Settings, req: Req, res: ServerResponse) {
  const connection = closeTracker(res);
  const initial = await deps.status(req);
  if (connection.closed()) return undefined;
  return { connection, initial, first: toWaitEvent(initial, settings.now()) };
}

/** Both transports watch the same way: woken by the store, re-checking locally at the heartbeat. */
function watchEvents<Req extends IncomingMessage>(
  deps: EventsDeps<Req>,
  settings: Settings,
  req: Req,
  initial: WaitStatusSource,
  onEvent: (event: WaitEvent) => void,
): () => void {
  return watchChallenge({
    deps,
    req,
    localCheckMs: settings.heartbeatMs,
    expiresAt: initial.expiresAt,
    recheckAt: initial.recheckAt,
    onStatus: (status) => onEvent(toWaitEvent(status, settings.now())),
  });
}

async function serveStream<Req extends IncomingMessage>(
  deps: EventsDeps<Req>,
  settings: Settings,
  req: Req,
  res: ServerResponse,
): Promise<void> {
  const read = await readFirst(deps, settings, req, res);
  if (!read) return;
  const { connection, initial } = read;

  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    // Status is per session and changes by the second: never cache it anywhere.
    'Cache-Control': 'no-store',
    // Ask reverse proxies (nginx) not to buffer the stream, or events arrive late.
    'X-Accel-Buffering': 'no',
  });
  res.write(`retry: ${settings.retryMs}\n\n`);
  let last: WaitEvent = read.first;
  res.write(formatSse('state', last));
  if (isFinalState(last.state)) {
    res.end();
    return;
  }

  let finished = false;
  const timers: NodeJS.Timeout[] = [];
  let stopWatching: () => void = () => undefined;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    stopWatching();
    for (const timer of timers) clearTimeout(timer);
    if (!res.writableEnded) res.end();
  };

  stopWatching = watchEvents(deps, settings, req, initial, (event) => {
    if (finished) return;
    if (!sameWaitEvent(event, last)) {
      last = event;
      res.write(formatSse('state', event));
    }
    if (isFinalState(event.state)) finish();
  });
  timers.push(setInterval(() => res.write(SSE_HEARTBEAT), settings.heartbeatMs));
  timers.push(setTimeout(finish, settings.maxLifetimeMs));
  connection.onClose(finish);
}

async function serveLongPoll<Req extends IncomingMessage>(
  deps: EventsDeps<Req>,
  settings: Settings,
  req: Req,
  res: ServerResponse,
): Promise<void> {
  const read = await readFirst(deps, settings, req, res);
  if (!read) return;
  const { connection, initial, first } = read;
  if (isFinalState(first.state)) {
    sendJson(res, first);
    return;
  }

  let answered = false;
  let latest = first;
  let stopWatching: () => void = () => undefined;
  let timeout: NodeJS.Timeout | undefined;
  const answer = (event: WaitEvent): void => {
    if (answered) return;
    answered = true;
    stopWatching();
    clearTimeout(timeout);
    if (!connection.closed()) sendJson(res, event);
  };

  // Answer as soon as anything the page shows changes; otherwise at the timeout with the current state.
  stopWatching = watchEvents(deps, settings, req, initial, (event) => {
    latest = event;
    if (!sameWaitEvent(latest, first)) answer(latest);
  });
  timeout = setTimeout(() => answer({ ...latest, serverTime: settings.now() }), settings.longPollTimeoutMs);
  connection.onClose(() => {
    answered = true;
    stopWatching();
    clearTimeout(timeout);
  });
}

function sendJson(res: ServerResponse, body: WaitEvent): void {
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}
