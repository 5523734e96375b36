/**
 * One login, the whole way, as a browser and a phone do it: password, the push started by the login route or
 * the gate, the phone's answer after a while (and "send it again" pressed meanwhile, sometimes), the browser
 * waiting on server-sent events, long-poll or by polling, the completion, the protected page and the logout.
 * Some logins start and complete from two tabs at once.
 * Answers that mean "try again" (an instance down, Redis or Twilio unwell) are tried again until the challenge's
 * expiry plus the grace time; past that the attempt is recorded as stuck.
 */
import { isTransient, type AttemptRecord, type StepReply } from './attempt.js';
import type { Browser, Reply } from './browser.js';
import { FINAL_STATES, readEventStream } from './event-stream.js';
import type { Phone, PhoneAnswer } from './phone.js';
import type { Door, LoginPlan } from './plan.js';

export interface LoginContext {
  browser: Browser;
  phone: Phone;
  identity: string;
  graceMs: number;
}

/** How long a step that keeps meeting "try again" goes on when no challenge bounds it (password, page, logout). */
const STEP_PATIENCE_MS = 20_000;
const RETRY_PAUSE_MS = 500;
const RESEND_GAP_MS = 250;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

function step(reply: Reply): StepReply {
  const message = typeof reply.body.message === 'string' ? reply.body.message : undefined;
  return { status: reply.status, code: reply.code, message, instance: reply.instance, at: Date.now() };
}

/** The request that asks the login route or the gate where this session's push stands. */
function ask(browser: Browser, door: Door): Promise<Reply> {
  return door === 'route' ? browser.send('POST', '/login/push') : browser.send('GET', '/app/secret');
}

/**
 * Asks for the outcome once, or from two tabs at once on two instances: a login in either tab is the login
 * (the other tab's refusal is the race it lost), otherwise the first answer that decides something.
 */
async function askOnce(browser: Browser, plan: LoginPlan): Promise<Reply> {
  if (!plan.twoTabs) return ask(browser, plan.completeVia);
  const replies = await Promise.all([ask(browser, plan.completeVia), ask(browser, plan.completeVia)]);
  return replies.find((reply) => reply.status === 200) ?? replies.find((reply) => !isTransient(reply) && reply.status !== 202) ?? replies[0]!;
}

/**
 * Starts the push, from two tabs at once when the plan says so (they must share one push): the pending answer
 * if either tab got one, otherwise the first that decides something. Each tab's answer is kept.
 */
async function startPush(browser: Browser, plan: LoginPlan, tabs: StepReply[]): Promise<Reply> {
  if (!plan.twoTabs) return ask(browser, plan.startVia);
  const replies = await Promise.all([ask(browser, plan.startVia), ask(browser, plan.startVia)]);
  tabs.push(...replies.map(step));
  return replies.find((reply) => reply.status === 202) ?? replies.find((reply) => !isTransient(reply)) ?? replies[0]!;
}

/** Sends a request again while the answer says "try again", until `untilMs`. */
async function patiently(untilMs: number, send: () => Promise<Reply>): Promise<Reply> {
  for (;;) {
    const reply = await send();
    if (!isTransient(reply) || Date.now() + RETRY_PAUSE_MS > untilMs) return reply;
    await sleep(RETRY_PAUSE_MS);
  }
}

type Waited = { kind: 'reply'; reply: Reply } | { kind: 'final' } | { kind: 'deadline' };

/**
 * Waiting in the plan's way until a final state is seen (events), a reply ends it (polling the completion
 * itself), or the deadline passes. "Try again" answers and closed streams are waited out and tried again, as
 * EventSource and a polling page do.
 */
async function waitForNews(context: LoginContext, plan: LoginPlan, deadline: number): Promise<Waited> {
  const { browser } = context;
  while (Date.now() < deadline) {
    if (plan.wait === 'sse') {
      const result = await readEventStream(browser, deadline);
      if (result.kind === 'state') return { kind: 'final' };
      await sleep(RETRY_PAUSE_MS);
    } else if (plan.wait === 'long-poll') {
      const reply = await browser.send('GET', '/login/push/events');
      if (reply.status === 200 && FINAL_STATES.has(String(reply.body.state))) return { kind: 'final' };
      if (reply.status !== 200) await sleep(RETRY_PAUSE_MS);
    } else {
      const reply = await askOnce(browser, plan);
      if (reply.status === 202) await sleep(typeof reply.body.pollAfterMs === 'number' ? reply.body.pollAfterMs : 1000);
      else if (isTransient(reply)) await sleep(RETRY_PAUSE_MS);
      else return { kind: 'reply', reply };
    }
  }
  return { kind: 'deadline' };
}

/** Waits for the outcome and asks for it: the reply that ends the attempt, or undefined at the deadline. */
async function outcome(context: LoginContext, plan: LoginPlan, deadline: number): Promise<Reply | undefined> {
  for (;;) {
    const waited = await waitForNews(context, plan, deadline);
    if (waited.kind === 'deadline') return undefined;
    if (waited.kind === 'reply') return waited.reply;
    // A final state: the page goes to the completion, which logs in or says why not.
    const reply = await patiently(deadline, () => askOnce(context.browser, plan));
    if (reply.status !== 202 && !isTransient(reply)) return reply;
    if (Date.now() >= deadline) return undefined;
  }
}

async function pressResend(browser: Browser, times: number, into: StepReply[]): Promise<void> {
  for (let i = 0; i < times; i += 1) {
    await sleep(RESEND_GAP_MS);
    into.push(step(await browser.send('POST', '/login/push/resend')));
  }
}

export async function runLogin(context: LoginContext, plan: LoginPlan): Promise<AttemptRecord> {
  const { browser, phone, identity, graceMs } = context;
  await sleep(plan.idleMs);
  browser.beginAttempt(plan.id, plan.address);
  const record: AttemptRecord = {
    plan,
    identity,
    startedAt: Date.now(),
    endedAt: 0,
    password: { status: 0, code: undefined, message: undefined, instance: '', at: 0 },
    start: undefined,
    tabStarts: [],
    pending: undefined,
    phone: undefined,
    resends: [],
    outcome: 'failure',
    code: undefined,
    last: undefined,
    page: undefined,
    logout: undefined,
    afterLogout: undefined,
    trace: browser.trace,
  };
  const end = (kind: AttemptRecord['outcome'], reply: Reply | undefined): AttemptRecord => {
    record.endedAt = Date.now();
    record.outcome = kind;
    record.last = reply === undefined ? undefined : step(reply);
    record.code = kind === 'failure' ? (reply?.code ?? `HTTP_${reply?.status ?? 0}`) : undefined;
    return record;
  };

  const password = await patiently(Date.now() + STEP_PATIENCE_MS, () => browser.send('POST', '/login', { username: plan.user.name }));
  record.password = step(password);
  if (password.status !== 200) return end('failure', password);

  const started = await startPush(browser, plan, record.tabStarts);
  record.start = { ...step(started), via: plan.startVia };
  if (started.status === 200) return afterLogin(context, end('login', started));
  if (started.status !== 202) return end('failure', started);
  const transactionId = String(started.body.transactionId);
  const expiresAt = Date.parse(String(started.body.expiresAt));
  record.pending = { transactionId, expiresAt };

  const answering: Promise<PhoneAnswer | undefined> =
    plan.phone === 'ignore'
      ? Promise.resolve(undefined)
      : sleep(plan.phoneDelayMs).then(() => phone.act(plan.phone as Exclude<typeof plan.phone, 'ignore'>, transactionId));
  const resending = pressResend(browser, plan.resends, record.resends);

  const final = await outcome(context, plan, expiresAt + graceMs);
  if (final === undefined) end('stuck', undefined);
  else end(final.status === 200 ? 'login' : 'failure', final);
  // The phone and the user's clicks finish before this user's next login begins.
  record.phone = await answering;
  await resending;
  return record.outcome === 'login' ? afterLogin(context, record) : record;
}

/** The protected page, the logout, and the protected page again, which must now refuse. */
async function afterLogin(context: LoginContext, record: AttemptRecord): Promise<AttemptRecord> {
  const { browser } = context;
  const page = await patiently(Date.now() + STEP_PATIENCE_MS, () => browser.send('GET', '/app/secret'));
  record.page = { ...step(page), user: page.body.user };
  const logout = await patiently(Date.now() + STEP_PATIENCE_MS, () => browser.send('POST', '/logout'));
  record.logout = step(logout);
  if (logout.status === 200) {
    record.afterLogout = step(await patiently(Date.now() + STEP_PATIENCE_MS, () => browser.send('GET', '/app/secret')));
  }
  return record;
}
