import type { ChallengeStore } from '../stores/types.js';
import type { WaitStatusSource } from './events-wire.js';

/** What the live-waiting endpoint needs from the strategy. */
export interface EventsDeps<Req> {
  /**
   * The session's own challenge status, brought up to date the way a login poll would be: local expiry, and
   * at most one Twilio fetch per challenge per interval (the poll interval, or the webhook fallback interval
   * once a webhook is mounted, so a lost webhook still reaches the page). Never logs in.
   */
  status(req: Req): Promise<WaitStatusSource>;
  store: ChallengeStore;
  /** The challenge sid recorded in the session; never taken from the client. */
  pendingChallengeSid(req: Req): string | undefined;
  /** True when a webhook handler is mounted, so store notifications usually bring the news. */
  hasWebhook(): boolean;
  /** The strategy's poll interval in ms (the re-read rhythm when there is no webhook). */
  pollIntervalMs: number;
  /** Clock in ms since epoch; the strategy's, so expiry agrees with it. Default `Date.now`. */
  now?: () => number;
}

export interface WatchInput<Req> {
  deps: EventsDeps<Req>;
  req: Req;
  /**
   * How often to re-read the status when a webhook is configured, besides the store's notifications and the
   * timed re-reads at expiry and at the next Twilio fetch interval: a safety net that costs a store read.
   */
  localCheckMs: number;
  /** Expiry already known from the first read, so the expiry check is scheduled from the start. */
  expiresAt?: number;
  /** Next fetch interval already known from the first read. */
  recheckAt?: number;
  onStatus(status: WaitStatusSource): void;
}

/** setTimeout's limit; longer delays fire at once. */
const MAX_TIMER_MS = 2_147_483_647;
/** Read again a moment after the instant, so the strategy sees it as past. */
const TIMER_SLACK_MS = 25;

/**
 * Watch the session's own challenge and report each status read. Woken by the store's notifications, and
 * re-read at the moments something can change without one: the expiry (Twilio sends no expiry event) and the
 * next interval in which the strategy may ask Twilio (a lost webhook, or none mounted). Returns the function
 * that stops every listener and timer it started.
 */
export function watchChallenge<Req>(input: WatchInput<Req>): () => void {
  const { deps, req, onStatus } = input;
  const now = deps.now ?? Date.now;
  let stopped = false;
  let running = false;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let timerAt: number | undefined;

  /** One timer, at the earlier of the two instants; re-armed after every read. */
  const scheduleRead = (expiresAt: number | undefined, recheckAt: number | undefined): void => {
    const candidates = [expiresAt, recheckAt].filter((at): at is number => at !== undefined && at + TIMER_SLACK_MS > now());
    if (candidates.length === 0) return;
    const at = Math.min(...candidates);
    if (at === timerAt) return;
    timerAt = at;
    if (timer) clearTimeout(timer);
    const delay = at - now() + TIMER_SLACK_MS;
    if (delay > MAX_TIMER_MS) return;
    timer = setTimeout(() => {
      timerAt = undefined;
      refresh();
    }, Math.max(0, delay));
    timer.unref();
  };

  // Reads are coalesced: a burst of notifications while one read is in flight causes exactly
  // one more read, so a chatty store cannot multiply the work (or the Twilio polls).
  function refresh(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    deps.status(req).then(
      (status) => {
        running = false;
        if (stopped) return;
        scheduleRead(status.expiresAt, status.recheckAt);
        onStatus(status);
        if (again) {
          again = false;
          refresh();
        }
      },
      () => {
        // Fail closed: a failed read reports nothing (never an approval); the next
        // notification or tick reads again.
        running = false;
        if (again && !stopped) {
          again = false;
          refresh();
        }
      },
    );
  }

  const challengeSid = deps.pendingChallengeSid(req);
  const unsubscribe = challengeSid === undefined ? undefined : deps.store.subscribe(challengeSid, refresh);
  const tickMs = deps.hasWebhook() ? input.localCheckMs : deps.pollIntervalMs;
  const ticker = setInterval(refresh, tickMs);
  ticker.unref();
  scheduleRead(input.expiresAt, input.recheckAt);

  return function stopWatching(): void {
    if (stopped) return;
    stopped = true;
    clearInterval(ticker);
    if (timer) clearTimeout(timer);
    unsubscribe?.();
  };
}
