import type { ChallengeStore } from './stores/types.js';
import type { WaitStatusSource } from './events-wire.js';

/** What the live-waiting endpoint needs from the strategy. */
export interface EventsDeps<Req> {
  /**
   * The session's own challenge status. With a webhook configured this reads the store (and the
   * clock, for expiry); without one it does the strategy's rate-limited Twilio poll. Never logs in.
   */
  status(req: Req): Promise<WaitStatusSource>;
  store: ChallengeStore;
  /** The challenge sid recorded in the session; never taken from the client. */
  pendingChallengeSid(req: Req): string | undefined;
  /** True when a webhook handler is mounted, so store notifications can be trusted to arrive. */
  hasWebhook(): boolean;
  /** The strategy's poll interval in ms (used only when there is no webhook). */
  pollIntervalMs: number;
  /** Clock in ms since epoch; the strategy's, so expiry agrees with it. Default `Date.now`. */
  now?: () => number;
}

export interface WatchInput<Req> {
  deps: EventsDeps<Req>;
  req: Req;
  /**
   * How often to re-read the status when a webhook is configured. That read touches only the
   * store and the clock, and it is what notices expiry (Twilio sends no expiry webhook) even when
   * the clock is not the wall clock.
   */
  localCheckMs: number;
  /** Expiry already known from the first read, so the expiry check is scheduled from the start. */
  expiresAt?: number;
  onStatus(status: WaitStatusSource): void;
}

/** setTimeout's limit; longer delays fire at once. */
const MAX_TIMER_MS = 2_147_483_647;
/** Read again a moment after the expiry instant, so the strategy sees it as past. */
const EXPIRY_SLACK_MS = 25;

/**
 * Watch the session's own challenge and report each status read. Woken by the store's
 * notifications; polls through `deps.status` only when no webhook is configured.
 * Returns the function that stops every listener and timer it started.
 */
export function watchChallenge<Req>(input: WatchInput<Req>): () => void {
  const { deps, req, onStatus } = input;
  const now = deps.now ?? Date.now;
  let stopped = false;
  let running = false;
  let again = false;
  let expiryTimer: NodeJS.Timeout | undefined;
  let scheduledExpiry: number | undefined;

  const scheduleExpiryCheck = (expiresAt: number | undefined): void => {
    if (expiresAt === undefined || expiresAt === scheduledExpiry) return;
    scheduledExpiry = expiresAt;
    if (expiryTimer) clearTimeout(expiryTimer);
    const delay = expiresAt - now() + EXPIRY_SLACK_MS;
    if (delay > MAX_TIMER_MS) return;
    expiryTimer = setTimeout(refresh, Math.max(0, delay));
    expiryTimer.unref();
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
        scheduleExpiryCheck(status.expiresAt);
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
  scheduleExpiryCheck(input.expiresAt);

  return function stopWatching(): void {
    if (stopped) return;
    stopped = true;
    clearInterval(ticker);
    if (expiryTimer) clearTimeout(expiryTimer);
    unsubscribe?.();
  };
}
