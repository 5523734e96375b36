/** What the soak keeps of one login attempt: the browser's view, the phone's answer, and how it ended. */
import type { Door, LoginPlan } from './plan.js';
import type { PhoneAnswer } from './phone.js';

export interface StepReply {
  status: number;
  code: string | undefined;
  /** The answer's sentence (which limit refused a start is only said there). */
  message: string | undefined;
  instance: string;
  at: number;
}

export interface AttemptRecord {
  plan: LoginPlan;
  identity: string;
  /** When the browser sent the password (ms since epoch). */
  startedAt: number;
  /** When the login or its failure was known to the browser. */
  endedAt: number;
  password: StepReply;
  /** The answer that started the push (route or gate), when the password step passed. */
  start: (StepReply & { via: Door }) | undefined;
  /** Each tab's answer to the start, when two tabs started it at once. */
  tabStarts: StepReply[];
  /** From the pending answer: the challenge this session waits for. */
  pending: { transactionId: string; expiresAt: number } | undefined;
  phone: PhoneAnswer | undefined;
  resends: StepReply[];
  outcome: 'login' | 'failure' | 'stuck';
  /** The failure's code (the answer's, or the load balancer's for a transport failure). */
  code: string | undefined;
  /** The answer that ended the attempt. */
  last: StepReply | undefined;
  /** After a login: the protected page, the logout, and the protected page after the logout. */
  page: (StepReply & { user: unknown }) | undefined;
  logout: StepReply | undefined;
  afterLogout: StepReply | undefined;
  trace: string[];
}

/** Answers that say "try again": the instance, Redis or Twilio was unwell, nothing was decided. */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'BAD_GATEWAY',
  'GATEWAY_TIMEOUT',
  'STORE_ERROR',
  'SESSION_STORE_UNAVAILABLE',
  'TWILIO_UNAVAILABLE',
  'TWILIO_TIMEOUT',
  'TWILIO_RATE_LIMITED',
]);

export function isTransient(reply: { status: number; code: string | undefined }): boolean {
  return reply.status >= 500 && reply.code !== undefined && TRANSIENT_CODES.has(reply.code);
}
