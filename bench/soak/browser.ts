/**
 * A user's browser behind the deployment's load balancer: a cookie jar, and every request sent to the next
 * instance in turn. Like a load balancer, a refused connection (an instance that is down) goes to the next
 * instance; a connection that dies mid-answer is a 502 and no answer in time a 504, each with a code, as the
 * browser would see them. Every request names the login attempt it belongs to (X-Soak-Attempt) and comes from
 * the user's address (X-Forwarded-For, trusted from loopback).
 */
import type http from 'node:http';
import { httpSend, isAnswer, type HttpAnswer } from './http-client.js';

export interface Instance {
  name: string;
  url: string;
}

export interface Reply {
  status: number;
  /** The answer's `code`, or BAD_GATEWAY / GATEWAY_TIMEOUT when no answer came. */
  code: string | undefined;
  body: Record<string, unknown>;
  /** The instance that answered (or was asked last). */
  instance: string;
}

/** Longest one request may take before the browser gives up on it. */
export const REQUEST_TIMEOUT_MS = 30_000;

export class Browser {
  private readonly cookies = new Map<string, string>();
  private turn: number;
  /** The login attempt the next requests belong to. */
  attempt = '';
  address = '127.0.0.1';
  /** One line per request of the current attempt, for the report of a violation. */
  trace: string[] = [];
  private traceStart = 0;

  constructor(
    private readonly instances: readonly Instance[],
    firstTurn: number,
  ) {
    this.turn = firstTurn;
  }

  beginAttempt(attempt: string, address: string): void {
    this.attempt = attempt;
    this.address = address;
    this.trace = [];
    this.traceStart = Date.now();
  }

  /** The next instance in turn, for requests sent outside `send` (the event stream). */
  nextInstance(): Instance {
    const instance = this.instances[this.turn % this.instances.length]!;
    this.turn += 1;
    return instance;
  }

  headers(accept: string): http.OutgoingHttpHeaders {
    const headers: http.OutgoingHttpHeaders = { accept, 'x-soak-attempt': this.attempt, 'x-forwarded-for': this.address };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    return headers;
  }

  /** Keeps the cookies an answer set, as a browser does. */
  remember(answer: HttpAnswer): void {
    for (const line of answer.headers['set-cookie'] ?? []) {
      const pair = line.split(';', 1)[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }

  note(line: string): void {
    this.trace.push(`+${Date.now() - this.traceStart}ms ${line}`);
  }

  async send(method: 'GET' | 'POST', path: string, body?: Record<string, unknown>): Promise<Reply> {
    // One request: passed to another instance it is the same request, cookies included, whatever arrived since.
    const spec = {
      method,
      path,
      headers: this.headers('application/json'),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      timeoutMs: REQUEST_TIMEOUT_MS,
    };
    let instance = this.nextInstance();
    for (let tries = 1; ; tries += 1) {
      const outcome = await httpSend(instance.url, spec);
      if (isAnswer(outcome)) {
        this.remember(outcome);
        const reply = toReply(outcome, instance.name);
        this.note(`${method} ${path} → ${instance.name} ${reply.status} ${reply.code ?? ''}`);
        return reply;
      }
      if (outcome.failed === 'refused' && tries < this.instances.length) {
        instance = this.nextInstance();
        continue;
      }
      const status = outcome.failed === 'timeout' ? 504 : 502;
      const code = outcome.failed === 'timeout' ? 'GATEWAY_TIMEOUT' : 'BAD_GATEWAY';
      this.note(`${method} ${path} → ${instance.name} ${status} ${code} (${outcome.message})`);
      return { status, code, body: { code }, instance: instance.name };
    }
  }
}

function toReply(answer: HttpAnswer, instance: string): Reply {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(answer.body);
    if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON: the reply has no code, which the soak reports.
  }
  // The strategy's JSON middlewares (resend) name the code `error`; failures of the login route name it `code`.
  const code = typeof body.code === 'string' ? body.code : typeof body.error === 'string' ? body.error : undefined;
  return { status: answer.status, code, body, instance };
}
