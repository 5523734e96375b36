/**
 * A browser for a deployment of several instances: one cookie jar, and each request sent to whichever
 * instance the test names, as a load balancer without sticky sessions would. Instances share a host and
 * differ only by port, and cookies do not care about ports, so one cookie serves them all (as in a browser).
 */

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/**
 * Longest a test waits for one answer. Not a timing assertion: an answer that never comes is a hang, and this
 * turns it into a failure that says so instead of a test timeout.
 */
export const HANG_GUARD_MS = 10_000;

export class Browser {
  cookie = '';

  /** `ip` plays the client's address through X-Forwarded-For (the instances trust the loopback proxy). */
  constructor(readonly ip?: string) {}

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      Accept: 'application/json',
      ...(this.cookie ? { Cookie: this.cookie } : {}),
      ...(this.ip ? { 'X-Forwarded-For': this.ip } : {}),
      ...extra,
    };
  }

  async request(instance: { url: string }, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${instance.url}${path}`, {
        method,
        redirect: 'manual',
        headers: this.headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(HANG_GUARD_MS),
      });
      // The body too: a server can send its headers and then hang before the end.
      text = await response.text();
    } catch (error) {
      if ((error as { name?: unknown }).name === 'TimeoutError') {
        throw new Error(`${method} ${instance.url}${path}: no complete answer within ${HANG_GUARD_MS} ms (a hang)`);
      }
      throw error;
    }
    const set = response.headers.getSetCookie().find((cookie) => cookie.startsWith('connect.sid='));
    if (set) this.cookie = set.split(';', 1)[0] ?? '';
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      parsed = { text };
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }

  get(instance: { url: string }, path: string): Promise<Answer> {
    return this.request(instance, 'GET', path);
  }

  post(instance: { url: string }, path: string, body?: unknown): Promise<Answer> {
    return this.request(instance, 'POST', path, body ?? {});
  }

  /** The first factor, on `instance`. */
  async password(instance: { url: string }, username: string): Promise<void> {
    const answer = await this.post(instance, '/login', { username });
    if (answer.status !== 200) throw new Error(`password login failed on ${instance.url}: ${answer.status} ${JSON.stringify(answer.body)}`);
  }

  /** The same cookie sent by a request that does not take the answer's cookie (a parallel request of this tab). */
  copy(): Browser {
    const copy = new Browser(this.ip);
    copy.cookie = this.cookie;
    return copy;
  }
}
