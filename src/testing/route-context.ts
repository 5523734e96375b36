import type { Params } from './params.js';
import type { AccessTokenRecord, EmulatorState, FactorRecord } from './state.js';
import type { WebhookEventType } from './types.js';
import type { SidPrefix } from './sids.js';

/** Path values by placeholder: SIDs by prefix (`VA`, `YC`, …) and `identity`. */
export type PathParams = Partial<Record<SidPrefix | 'identity', string>>;

/** An event a Verify service reports to its webhooks. */
export interface VerifyEvent {
  type: WebhookEventType;
  serviceSid: string;
  identity: string;
  factorSid: string;
  challengeSid?: string;
}

export interface EventSink {
  emit(event: VerifyEvent): void;
}

/** What every handler can reach: state, the account, where the emulator listens, and events. */
export interface EmulatorEnv {
  state: EmulatorState;
  accountSid: string;
  authToken: string;
  /** `http://127.0.0.1:<port>`: absolute `url` fields and paging links point here. */
  baseUrl: string;
  events: EventSink;
}

export type Caller =
  | { source: 'api' }
  | { source: 'device'; accessToken: AccessTokenRecord }
  | { source: 'device'; factor: FactorRecord };

export interface RouteContext {
  env: EmulatorEnv;
  /** Request path without the query string, used in 20404 messages. */
  path: string;
  pathParams: PathParams;
  /** Query parameters merged with the form body. */
  params: Params;
  caller: Caller;
}

export interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Work done once the answer has been written (webhook deliveries, as Twilio sends them after answering). */
  afterResponse?: () => void;
}

/** Reads a path parameter the route pattern guarantees. */
export function pathParam(ctx: RouteContext, name: keyof PathParams): string {
  const value = ctx.pathParams[name];
  if (value === undefined) throw new Error(`route pattern has no {${name}}`);
  return value;
}
