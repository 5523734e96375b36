/**
 * Runs one of the login fixtures (test/package/fixtures) in a fresh Node process from the package root, so the
 * package resolves itself by name through its exports map exactly as an installed dependency would, and reads
 * back what its client saw.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
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
