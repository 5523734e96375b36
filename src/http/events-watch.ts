import type { WatchedStatus } from '../flow/status.js';
import type { ChallengeStore } from '../stores/types.js';

/** What the live-waiting endpoint needs from the strategy. */
export interface EventsDeps<Req> {
  /**
   * The session's own challenge status, brought up to date the way a login poll would be: local expiry, and
   * at most one Twilio fetch per challenge per interval (the poll interval, or the webhook fallback interval
   * when webhooks are expected, so a lost webhook still reaches the page). Never logs in.
   */
  status(req: Req): Promise<WatchedStatus>;
  store: Pick<ChallengeStore, 'subscribe'>;
  /** The challenge sid recorded in the session; never taken from the client. */
  pendingChallengeSid(req: Req): string | undefined;
  /** True when webhooks are expected, so store notifications usually bring the news. */
  webhooksExpected(): boolean;
  /** The strategy's poll interval in ms (the re-read rhythm when no webhook is expected). */
  pollIntervalMs: number;
  /** Clock in ms since epoch; the strategy's, so expiry agrees with it. */
  now: () => number;
}

export interface WatchInput<Req> {
  deps: EventsDeps<Req>;
  req: Req;
  /**
   * How often to re-read the status when webhooks are expected, besides the store's notifications and the
   * timed re-reads at expiry and at the next Twilio fetch interval: a safety net that costs a store read.
   */
  localCheckMs: number;
  /** Told of every read after the first. */
  onStatus(status: WatchedStatus): void;
}

export interface Watch {
  /** The first read, made once the subscription was live. */
  first: WatchedStatus;
  stop(): void;
}

/** setTimeout's limit; longer delays fire at once. */
const MAX_TIMER_MS = 2_147_483_647;
/** Read again a moment after the instant, so the strategy sees it as past. */
const TIMER_SLACK_MS = 25;

/**
 * Watch the session's own challenge. It subscribes to the store first and reads second, so a change that
 * lands between the two is never lost (a notification during the first read causes one more read). Then it is
 * woken by the store's notifications, and re-reads at the moments something can change without one: the
 * expiry (Twilio sends no expiry event) and the next interval in which the strategy may ask Twilio (a lost
 * webhook, or none expected). A failed first read rejects; a failed later read reports nothing (fail closed:
 * never an approval) and the next notification or tick reads again.
 */
export async function watchChallenge<Req>(input: WatchInput<Req>): Promise<Watch> {
  const { deps, req, onStatus } = input;
  const now = deps.now;
  let started = false;
  let stopped = false;
  let running = false;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let timerAt: number | undefined;
  let ticker: NodeJS.Timeout | undefined;

  /** One timer, at the earlier of the two instants; re-armed after every read. */
  const scheduleRead = (status: WatchedStatus): void => {
    const candidates = [status.expiresAt, status.recheckAt].filter((at): at is number => at !== undefined && at + TIMER_SLACK_MS > now());
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

  // Reads are coalesced: a burst of notifications while one read is in flight causes exactly one more
  // read, so a chatty store cannot multiply the work (or the Twilio polls).
  function refresh(): void {
    if (stopped) return;
    if (running || !started) {
      again = true;
      return;
    }
    running = true;
    deps.status(req).then(
      (status) => {
        running = false;
        if (stopped) return;
        scheduleRead(status);
        onStatus(status);
        readAgainIfAsked();
      },
      () => {
        running = false;
        readAgainIfAsked();
      },
    );
  }

  function readAgainIfAsked(): void {
    if (again && !stopped) {
      again = false;
      refresh();
    }
  }

  function stop(): void {
    if (stopped) return;
    stopped = true;
    if (ticker) clearInterval(ticker);
    if (timer) clearTimeout(timer);
    unsubscribe?.();
  }

  const challengeSid = deps.pendingChallengeSid(req);
  const unsubscribe = challengeSid === undefined ? undefined : await deps.store.subscribe(challengeSid, refresh);
  let first: WatchedStatus;
  try {
    first = await deps.status(req);
  } catch (error) {
    stop();
    throw error;
  }
  started = true;
  ticker = setInterval(refresh, deps.webhooksExpected() ? input.localCheckMs : deps.pollIntervalMs);
  ticker.unref();
  scheduleRead(first);
  // A notification that came during the first read: read again, after the caller has taken `first`.
  setImmediate(readAgainIfAsked);
  return { first, stop };
}
