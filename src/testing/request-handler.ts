import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate, sourceOf } from './auth.js';
import type { CallLog } from './call-log.js';
import { errorBody, faultCode, faultMessage, notFound, TwilioApiError } from './errors.js';
import type { FaultInjector } from './faults.js';
import type { HttpRouter } from './http-router.js';
import { Params } from './params.js';
import type { EmulatorEnv, RouteResult } from './route-context.js';
import type { CallRecord, FaultRule } from './types.js';

/** Bodies beyond this are refused before parsing (no Verify request comes close). */
const MAX_BODY_BYTES = 64 * 1024;

export interface HandlerDeps {
  env: EmulatorEnv;
  router: HttpRouter;
  faults: FaultInjector;
  calls: CallLog;
  /** Waits `ms`, or never resolves once the emulator is closing. */
  delay(ms: number): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function isForm(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
}

function errorResult(error: TwilioApiError): RouteResult {
  return { status: error.status, body: errorBody(error.status, error.code, error.message), headers: error.headers };
}

function faultResult(rule: FaultRule): RouteResult {
  const status = rule.status ?? 500;
  const code = rule.code ?? faultCode(status);
  const headers: Record<string, string> = {};
  if (rule.retryAfterSeconds !== undefined) headers['Retry-After'] = String(rule.retryAfterSeconds);
  return { status, body: errorBody(status, code, rule.message ?? faultMessage(status, code)), headers };
}

function send(res: ServerResponse, result: RouteResult, now: number): void {
  // The emulator's clock, not the host's: the mobile SDKs re-sync their JWT clock from the `Date` of a 401.
  const headers: Record<string, string> = { Date: new Date(now).toUTCString(), ...result.headers };
  if (result.status === 204 || result.body === undefined) {
    res.writeHead(result.status, headers);
    res.end();
    return;
  }
  const payload = JSON.stringify(result.body);
  headers['Content-Type'] = 'application/json; charset=utf-8';
  headers['Content-Length'] = String(Buffer.byteLength(payload));
  res.writeHead(result.status, headers);
  res.end(payload);
}

/**
 * One request through the emulator: log it, apply a fault before or after the work, route,
 * authenticate, run the handler, answer, then run the handler's after-answer work (webhooks).
 */
export async function handleRequest(deps: HandlerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { env, router, faults, calls } = deps;
  const url = new URL(req.url ?? '/', env.baseUrl);
  const method = (req.method ?? 'GET').toUpperCase();
  const match = router.match(method, url.pathname);
  const record: CallRecord = calls.add({
    operation: match?.route.operation ?? 'unknown',
    method,
    path: url.pathname,
    params: {},
    status: 0,
    source: sourceOf(req.headers.authorization),
    at: env.state.now(),
  });

  const body = await readBody(req);
  let params = new Params(url.searchParams);
  if (body !== undefined && isForm(req)) params = params.merge(new Params(new URLSearchParams(body)));
  record.params = params.toRecord();

  const fault = faults.pick(record.operation, record.source);
  if (fault) record.fault = fault.kind;
  if (fault && !fault.afterProcessing) {
    if (fault.kind === 'latency') await deps.delay(fault.latencyMs ?? 100);
    else return failWith(deps, fault, record, res);
  }

  let result: RouteResult;
  try {
    // Guess: Twilio's answer to an oversized body is not documented.
    if (body === undefined) throw new TwilioApiError(413, 60200, 'Request body too large');
    env.state.sweepUnverifiedFactors();
    const caller = authenticate(env, req.headers.authorization, match?.route, match?.pathParams ?? {});
    if (!match) throw notFound(url.pathname);
    result = match.route.handle({ env, path: url.pathname, pathParams: match.pathParams, params, caller });
  } catch (error) {
    if (!(error instanceof TwilioApiError)) throw error;
    result = errorResult(error);
  }

  if (fault?.afterProcessing) {
    // The work is done (state changed, webhooks will go out), but the caller sees a failure.
    result.afterResponse?.();
    if (fault.kind === 'latency') await deps.delay(fault.latencyMs ?? 100);
    else return failWith(deps, fault, record, res);
  }
  record.status = result.status;
  send(res, result, env.state.now());
  // Twilio calls webhooks after it has answered the request that caused them. 'finish' fires once the
  // answer is handed to the socket, so a caller that awaits `webhooksSettled()` after its answer
  // always finds the deliveries already started.
  const after = result.afterResponse;
  if (after && !fault?.afterProcessing) res.once('finish', () => after());
}

function failWith(deps: HandlerDeps, fault: FaultRule, record: CallRecord, res: ServerResponse): void {
  if (fault.kind === 'status') {
    const result = faultResult(fault);
    record.status = result.status;
    send(res, result, deps.env.state.now());
    return;
  }
  record.status = 0;
  // `drop`: the connection dies without an answer. `hang`: the socket stays open and silent until the
  // client gives up or the emulator closes.
  if (fault.kind === 'drop') res.socket?.destroy();
}
