/**
 * "Log in on this device": what a native app on the registered phone does to sign in without a
 * prompt (Silent Device Approval). It is a separate HTTP client of the example, with its own cookies,
 * exactly like an app talking to its backend:
 *   1. POST /login as JSON → 202 with a transaction id (the challenge is pending);
 *   2. approve, on this phone, only the pending challenge whose hidden transaction id matches;
 *   3. wait for the outcome (long-poll on the events endpoint), then finish the login.
 */
import { PATHS } from './context.js';
import type { Phone, Phones } from './device-sim.js';

export class DeviceLoginError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DeviceLoginError';
  }
}

/** The smallest cookie jar that works for one host: the latest value of each cookie. */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';', 1)[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

interface PendingAnswer {
  transactionId?: string;
  matchCode?: string;
  code?: string;
  message?: string;
}

const MAX_WAITS = 5;

export async function signInOnPhone(input: {
  baseUrl: string;
  phone: Phone;
  password: string;
  phones: Phones;
}): Promise<{ username: string; displayName: string; transactionId: string }> {
  const jar = new CookieJar();
  const call = async (path: string, init: RequestInit = {}): Promise<globalThis.Response> => {
    const response = await fetch(new URL(path, input.baseUrl), {
      ...init,
      redirect: 'manual',
      headers: { Accept: 'application/json', Cookie: jar.header(), ...(init.headers as Record<string, string> | undefined) },
    });
    jar.store(response);
    return response;
  };

  const login = await call('/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: input.phone.username, password: input.password }),
  });
  const answer = (await login.json().catch(() => ({}))) as PendingAnswer;
  if (login.status !== 202 || typeof answer.transactionId !== 'string') {
    throw new DeviceLoginError(answer.code ?? `HTTP_${login.status}`, answer.message ?? 'The sign-in did not start.');
  }

  // The app compares the transaction id before approving; the same app also holds the number-matching
  // code from the login answer, because here the login screen and the phone are the same device.
  await input.phones.approveTransaction(input.phone, answer.transactionId, answer.matchCode);

  for (let attempt = 0; attempt < MAX_WAITS; attempt += 1) {
    const event = (await (await call(PATHS.events)).json()) as { state?: string };
    if (event.state !== 'pending') break;
  }
  const done = await call(PATHS.complete);
  if (done.status < 300 || done.status >= 400 || done.headers.get('location') !== '/account') {
    throw new DeviceLoginError('NOT_COMPLETED', 'The approval did not complete the sign-in.');
  }
  const account = await call('/account');
  if (account.status !== 200) throw new DeviceLoginError('NOT_SIGNED_IN', 'The account page refused the session.');
  const me = (await account.json()) as { username: string; displayName: string };
  return { ...me, transactionId: answer.transactionId };
}
