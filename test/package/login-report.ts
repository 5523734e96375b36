/**
 * Runs one of the login fixtures (test/package/fixtures) in a fresh Node process from the package root, so the
 * package resolves itself by name through its exports map exactly as an installed dependency would, and reads
 * back what its client saw.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { PACKAGE_ROOT, assertBuilt } from './package-paths.js';

const execFileAsync = promisify(execFile);
const FIXTURES = join(PACKAGE_ROOT, 'test', 'package', 'fixtures');

export interface Answer {
  status: number;
  location?: string | null;
  body?: unknown;
}

export interface LoginReport {
  /** The Node version the child ran on. */
  node: string;
  /** App instances behind the round-robin balancer (1 without Redis). */
  instances: number;
  pushesOnPhone: number;
  webhooks: Array<{ type: string; outcome: string; status?: number }>;
  login: Answer;
  gate: Answer;
  pending: Answer;
  complete: Answer;
  account: Answer;
  again: Answer;
  /** Every answer the client got, in order, with the instance that gave it. */
  seen: Array<Answer & { method: string; path: string; instance: number }>;
}

/** The child inherits no NODE_OPTIONS: a loader from the test runner would hide a broken build. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env['NODE_OPTIONS'];
  return env;
}

export async function runLoginFixture(program: string, env: Record<string, string> = {}): Promise<LoginReport> {
  assertBuilt();
  try {
    const { stdout } = await execFileAsync(process.execPath, [join(FIXTURES, program)], {
      cwd: PACKAGE_ROOT,
      env: childEnv(env),
      timeout: 30_000,
    });
    return JSON.parse(stdout) as LoginReport;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`node ${program} failed:\n${stderr || stdout || String(error)}`);
  }
}

/**
 * What a user sees of one whole login, step by step, whichever module system and however many instances ran
 * it: no 5xx, the password step, the gate's push (one on the phone), pending for a JSON client, the webhook
 * accepted, completion, and the protected page twice.
 */
export function expectCompleteLogin(report: LoginReport): void {
  // The app ran on the same Node as the test runner (CI runs the suite on each supported Node line).
  expect(report.node).toBe(process.version);
  // No step failed on the server (this lists the error a broken build gives, e.g. on its first Twilio call).
  expect(report.seen.filter((answer) => answer.status >= 500)).toEqual([]);

  // The password step logs the user in for the first factor and sends them to the protected page…
  expect(report.login).toEqual({ status: 302, location: '/account' });
  // …where the gate starts the push and sends the browser to the waiting page; a JSON client sees it pending.
  expect(report.gate).toEqual({ status: 303, location: '/login/push/wait' });
  expect(report.pending.status).toBe(202);
  expect(report.pending.body).toMatchObject({ status: 'pending', code: 'CHALLENGE_PENDING' });
  expect(report.pushesOnPhone).toBe(1);

  // The phone approved; Twilio's webhook reached the app and was accepted.
  expect(report.webhooks).toEqual([{ type: 'challenge.approved', outcome: 'sent', status: 200 }]);

  // Completion logs in and returns to the protected page, which now lets the session through.
  expect(report.complete).toEqual({ status: 302, location: '/account' });
  expect(report.account).toEqual({ status: 200, body: 'Welcome, alice!' });
  expect(report.again).toEqual({ status: 200, body: 'Welcome, alice!' });
}
