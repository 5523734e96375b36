import { Completer } from '../flow/complete.js';
import { Devices } from '../flow/devices.js';
import { LoginFlow } from '../flow/login-flow.js';
import { Poller } from '../flow/poll.js';
import { OutcomeRecorder } from '../flow/recorder.js';
import { RememberedBrowsers } from '../flow/remembered-browsers.js';
import { Starter } from '../flow/start.js';
import { SessionChallenges } from '../flow/status.js';
import { WebhookExpectation } from '../flow/webhook-expectation.js';
import { resolveOptions, type ResolvedOptions } from '../options.js';
import { guardStore } from '../stores/guard.js';
import { MemoryChallengeStore } from '../stores/memory.js';
import type { ChallengeStore } from '../stores/types.js';
import { VerifyApi, type VerifyPort } from '../twilio/verify-api.js';
import type { IncomingMessage } from 'node:http';
import type { ApprovedAction, VerifyFunction, VerifyFunctionWithRequest, VerifyPushOptions } from '../types.js';
import { pathOf } from './gate.js';

/** Everything a strategy is made of, built once at construction and shared by every per-request object. */
export interface StrategyParts<User> {
  options: ResolvedOptions<User>;
  api: VerifyPort;
  store: ChallengeStore;
  webhooks: WebhookExpectation;
  recorder: OutcomeRecorder<User>;
  challenges: SessionChallenges<User>;
  flow: LoginFlow<User>;
  starter: Starter<User>;
  completer: Completer<User>;
  remembered: RememberedBrowsers | undefined;
  devices: Devices<User>;
  /** Actions approved and used in a request, for its handler (see strategy.approvedAction). */
  approvedActions: WeakMap<IncomingMessage, ApprovedAction>;
  /** The path of `waitUrl`, which the gate lets through. */
  waitPath: string | undefined;
}

/** Replacements for the parts that reach outside the process; for the package's own tests. */
export interface Seams {
  api?: VerifyPort;
}

const SEAMS = Symbol('verify-push.seams');

/**
 * Options carrying test replacements, for `new VerifyPushStrategy(withSeams(options, { api }))`. The seams
 * ride on a symbol this module keeps to itself, so an app cannot set them by accident.
 */
export function withSeams<Options extends object>(options: Options, seams: Seams): Options {
  // Enumerable, so a copy of the options (`{ ...options }`) still carries it; JSON never sees a symbol key.
  return { ...options, [SEAMS]: seams };
}

/**
 * Validates the options, then builds the layers bottom-up, each given its dependencies once: the Twilio
 * adapter and the guarded store, the recorder of outcomes, the poller, the start and completion steps, and the
 * login flow on top.
 */
export function wire<User>(
  input: VerifyPushOptions<User>,
  verify: VerifyFunction<User> | VerifyFunctionWithRequest<User> | undefined,
): StrategyParts<User> {
  const options = resolveOptions(input);
  const seams = (input as { [SEAMS]?: Seams })[SEAMS] ?? {};
  const api =
    seams.api ??
    new VerifyApi({
      client: options.client,
      serviceSid: options.serviceSid,
      requestTimeoutMs: options.requestTimeoutMs,
      retries: options.retries,
      clock: options.clock,
    });
  const store = guardStore(options.store ?? new MemoryChallengeStore({ clock: options.clock }));
  const webhooks = new WebhookExpectation(options.expectWebhooks);
  const recorder = new OutcomeRecorder<User>({ store, clock: options.clock, denials: options.limits.denials, onDenied: options.onDenied });
  const poller = new Poller<User>({
    api,
    store,
    recorder,
    clock: options.clock,
    requestTimeoutMs: options.requestTimeoutMs,
    fetchIntervalMs: () => (webhooks.expected() ? options.webhookFallbackPollMs : options.pollIntervalMs),
  });
  const starter = new Starter<User>({ api, store, recorder, options });
  const remembered = options.rememberBrowser === undefined ? undefined : new RememberedBrowsers({ store, options: options.rememberBrowser, clock: options.clock });
  const completer = new Completer<User>({ store, poller, options, verify, remembered, recorder });
  return {
    options,
    api,
    store,
    webhooks,
    recorder,
    challenges: new SessionChallenges<User>({ options, store, poller }),
    flow: new LoginFlow<User>({ options, starter, completer, remembered }),
    starter,
    completer,
    remembered,
    devices: new Devices<User>({ store, remembered, onDeviceChange: options.onDeviceChange }),
    approvedActions: new WeakMap(),
    waitPath: options.waitUrl === undefined ? undefined : pathOf(options.waitUrl),
  };
}
