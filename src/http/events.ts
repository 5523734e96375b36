/**
 * Live waiting: an endpoint a waiting page subscribes to, told the moment the session's own
 * challenge settles. Server-sent events for browsers (EventSource), long-poll JSON for clients
 * that cannot hold a stream. Mount it behind the session and passport middleware, e.g.
 * `app.get('/login/push/events', push.events())`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { wholeNumber } from '../validate.js';
import { watchChallenge, type EventsDeps } from './events-watch.js';
import { formatSse, isFinalState, sameWaitEvent, SSE_HEARTBEAT, toWaitEvent, type WaitEvent } from './events-wire.js';

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

/** The middleware `strategy.events()` returns. */
export type EventsMiddleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

function milliseconds(name: keyof EventsOptions, value: unknown, fallback: number, min: number, max: number): number {
  return wholeNumber(`events.${name}`, value, fallback, { min, max, unit: 'milliseconds' });
}

function wantsEventStream(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').toLowerCase().includes('text/event-stream');
}

/** The live-waiting middleware (`strategy.events(options)`), options checked at creation. */
export function createEventsHandler<Req extends IncomingMessage>(deps: EventsDeps<Req>, options: EventsOptions = {}): EventsMiddleware {
  const settings: Settings = {
    heartbeatMs: milliseconds('heartbeatMs', options.heartbeatMs, 15_000, 1_000, 60_000),
    maxLifetimeMs: milliseconds('maxLifetimeMs', options.maxLifetimeMs, 120_000, 1_000, 600_000),
    longPollTimeoutMs: milliseconds('longPollTimeoutMs', options.longPollTimeoutMs, 25_000, 1_000, 120_000),
    retryMs: milliseconds('retryMs', options.retryMs, 1_000, 100, 60_000),
    now: deps.now,
  };
  return function verifyPushEvents(req: IncomingMessage, res: ServerResponse, next: Next): void {
    const serve = wantsEventStream(req) ? serveStream : serveLongPoll;
    serve(deps, settings, req as Req, res).catch(next);
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

/**
 * Both transports watch the same way (events-watch.ts): subscribed before the first read, woken by the
 * store, re-reading at expiry, at the next Twilio fetch interval and at the heartbeat. Resolves with the
 * first event, or undefined when the client left meanwhile (then nothing is left subscribed).
 */
async function watch<Req extends IncomingMessage>(
  deps: EventsDeps<Req>,
  settings: Settings,
  req: Req,
  res: ServerResponse,
  onEvent: (event: WaitEvent) => void,
): Promise<{ first: WaitEvent; stop(): void; connection: ReturnType<typeof closeTracker> } | undefined> {
  const connection = closeTracker(res);
  const watching = await watchChallenge({
    deps,
    req,
    localCheckMs: settings.heartbeatMs,
    onStatus: (status) => onEvent(toWaitEvent(status, settings.now())),
  });
  if (connection.closed()) {
    watching.stop();
    return undefined;
  }
  return { first: toWaitEvent(watching.first, settings.now()), stop: watching.stop, connection };
}

async function serveStream<Req extends IncomingMessage>(
  deps: EventsDeps<Req>,
  settings: Settings,
  req: Req,
  res: ServerResponse,
): Promise<void> {
  let finished = false;
  let last: WaitEvent | undefined;
  const timers: NodeJS.Timeout[] = [];
  let stop: () => void = () => undefined;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    stop();
    for (const timer of timers) clearTimeout(timer);
    if (!res.writableEnded) res.end();
  };
  const watching = await watch(deps, settings, req, res, (event) => {
    if (finished || last === undefined) return;
    if (!sameWaitEvent(event, last)) {
      last = event;
      res.write(formatSse('state', event));
    }
    if (isFinalState(event.state)) finish();
  });
  if (!watching) return;
  stop = watching.stop;

  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    // Status is per session and changes by the second: never cache it anywhere.
    'Cache-Control': 'no-store',
    // Ask reverse proxies (nginx) not to buffer the stream, or events arrive late.
    'X-Accel-Buffering': 'no',
  });
  res.write(`retry: ${settings.retryMs}\n\n`);
  last = watching.first;
  res.write(formatSse('state', last));
  if (isFinalState(last.state)) {
    finish();
    return;
  }
  timers.push(setInterval(() => res.write(SSE_HEARTBEAT), settings.heartbeatMs));
  timers.push(setTimeout(finish, settings.maxLifetimeMs));
  watching.connection.onClose(finish);
}

async function serveLongPoll<Req extends IncomingMessage>(
  deps: EventsDeps<Req>,
  settings: Settings,
  req: Req,
  res: ServerResponse,
): Promise<void> {
  let answered = false;
  let first: WaitEvent | undefined;
  let latest: WaitEvent | undefined;
  let timeout: NodeJS.Timeout | undefined;
  let stop: () => void = () => undefined;
  let closed: () => boolean = () => false;
  const answer = (event: WaitEvent): void => {
    if (answered) return;
    answered = true;
    stop();
    clearTimeout(timeout);
    if (!closed()) sendJson(res, event);
  };
  // Answer as soon as anything the page shows changes; otherwise at the timeout with the current state.
  const watching = await watch(deps, settings, req, res, (event) => {
    if (first === undefined) return;
    latest = event;
    if (!sameWaitEvent(latest, first)) answer(latest);
  });
  if (!watching) return;
  stop = watching.stop;
  closed = watching.connection.closed;
  first = watching.first;
  latest = first;
  if (isFinalState(first.state)) {
    answer(first);
    return;
  }
  timeout = setTimeout(() => answer({ ...(latest ?? watching.first), serverTime: settings.now() }), settings.longPollTimeoutMs);
  watching.connection.onClose(() => {
    answered = true;
    stop();
    clearTimeout(timeout);
  });
}

function sendJson(res: ServerResponse, body: WaitEvent): void {
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}
