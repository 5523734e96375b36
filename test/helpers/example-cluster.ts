/**
 * The example as `REDIS_URL=… CLUSTER=n npm start` runs it: `example/server.ts` in a child process (the
 * node:cluster primary, which forks the workers), on a free port, with the lines it prints parsed. Its workers
 * name themselves on every answer (`X-Worker`) and log every request as `[worker n] METHOD PATH STATUS (…)`.
 * The example imports the package by its name, so it needs the build (`npm run build`).
 * Every process is stopped by its id: the primary with SIGTERM (it stops its workers), then any worker
 * still alive with SIGKILL.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVER = 'example/server.ts';

/** Variables of the user's shell that would change the example's mode; the tests set what they need. */
const EXAMPLE_VARIABLES = [
  'PORT',
  'HOST',
  'NUMBER_MATCHING',
  'SESSION_SECRET',
  'IDENTITY_SECRET',
  'REDIS_URL',
  'CLUSTER',
  'TWILIO_ACCOUNT_SID',
  'TWILIO_AUTH_TOKEN',
  'TWILIO_VERIFY_SERVICE_SID',
  'PUBLIC_URL',
  // No loader from the test runner: the example runs as `npm start` runs it.
  'NODE_OPTIONS',
];

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of EXAMPLE_VARIABLES) delete env[name];
  return { ...env, ...extra };
}

/** Two secrets of the right length, as the cluster requires; fresh per run. */
export function clusterSecrets(): { SESSION_SECRET: string; IDENTITY_SECRET: string } {
  return { SESSION_SECRET: randomBytes(32).toString('hex'), IDENTITY_SECRET: randomBytes(32).toString('hex') };
}

/** One line of a worker's request log. */
export interface LoggedRequest {
  worker: string;
  method: string;
  path: string;
  status: number;
}

const REQUEST_LINE = /^\[worker (\d+)\] (\w+) (\S+) (\d{3}) \(/;
const WORKER_STARTED = /^Worker (\d+) started \(pid (\d+)\)/;

export interface RunningCluster {
  url: string;
  pid: number;
  /** Worker id → process id, from the primary's "Worker n started (pid p)" lines. */
  workerPids: Map<string, number>;
  /** Every request the workers logged so far, in order. */
  requests(): LoggedRequest[];
  /** The first logged request after the first `after` ones that matches, once it is logged. */
  waitForRequest(after: number, match: (request: LoggedRequest) => boolean, timeoutMs?: number): Promise<LoggedRequest>;
  output(): string;
  stop(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts the clustered example and resolves once the primary printed that every worker is ready. */
export async function startExampleCluster(options: { redisUrl: string; workers?: number }): Promise<RunningCluster> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    cwd: REPO_ROOT,
    env: childEnv({ REDIS_URL: options.redisUrl, CLUSTER: String(options.workers ?? 3), PORT: String(port), ...clusterSecrets() }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let pending = '';
  const logged: LoggedRequest[] = [];
  const workerPids = new Map<string, number>();
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const request = REQUEST_LINE.exec(line);
      if (request) logged.push({ worker: request[1]!, method: request[2]!, path: request[3]!, status: Number(request[4]) });
      const started = WORKER_STARTED.exec(line);
      if (started) workerPids.set(started[1]!, Number(started[2]));
    }
    for (const wake of waiters) wake();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async (): Promise<void> => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, 'SIGTERM');
      const forced = setTimeout(() => child.pid !== undefined && isAlive(child.pid) && process.kill(child.pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(forced);
    }
    for (const pid of workerPids.values()) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  };

  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (output.includes('Ctrl+C to stop.')) {
        waiters.delete(check);
        resolve();
      }
    };
    waiters.add(check);
    void exited.then(() => reject(new Error(`the clustered example exited before it was ready:\n${output}`)));
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });

  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    workerPids,
    requests: () => [...logged],
    output: () => output,
    waitForRequest(after, match, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no such request logged within ${timeoutMs} ms; log:\n${output}`));
        }, timeoutMs);
        function check(): void {
          const found = logged.slice(after).find(match);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        }
        waiters.add(check);
        check();
      });
    },
    stop,
  };
}

/** Runs the example with this environment until it exits by itself (a refusal to start), at most `timeoutMs`. */
export function runExampleUntilExit(env: Record<string, string>, timeoutMs = 20_000): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], { cwd: REPO_ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

export interface FreshAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The worker that answered (`X-Worker`). */
  worker: string;
}

/**
 * One request on a connection of its own (no keep-alive agent), so Node's cluster may hand it to any worker,
 * as a load balancer without sticky sessions would.
 */
export function freshRequest(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<FreshAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: init.method ?? 'GET', headers: { Connection: 'close', ...init.headers }, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body, worker: String(response.headers['x-worker'] ?? '') }),
      );
    });
    request.on('error', reject);
    request.end(init.body);
  });
}

/** The latest session cookie an answer set, as a `Cookie` header value. */
export function sessionCookie(answer: FreshAnswer, previous = ''): string {
  const line = (answer.headers['set-cookie'] ?? []).find((cookie) => cookie.startsWith('example.sid='));
  return line === undefined ? previous : line.split(';', 1)[0]!;
}

export interface EventStream {
  /** The worker holding the stream. */
  worker: string;
  /** Resolves with the first event whose state is one of `states`. */
  next(states: string[]): Promise<{ state: string }>;
  close(): void;
}

/** The waiting page's live endpoint as EventSource would open it: server-sent events, on a fresh connection. */
export function openEventStream(url: string, cookie: string): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const events: Array<{ state: string }> = [];
    const waiters = new Set<() => void>();
    const request = http.request(url, { headers: { Accept: 'text/event-stream', Cookie: cookie, Connection: 'close' }, agent: false }, (response) => {
      let buffer = '';
      // close() destroys the connection on purpose.
      response.on('error', () => undefined);
      response.setEncoding('utf8').on('data', (chunk: string) => {
        buffer += chunk;
        const blocks = buffer.split('\n\n');
        buffer = blocks.pop() ?? '';
        for (const block of blocks) {
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (data) events.push(JSON.parse(data.slice('data: '.length)) as { state: string });
        }
        for (const wake of waiters) wake();
      });
      resolve({
        worker: String(response.headers['x-worker'] ?? ''),
        next(states) {
          return new Promise((found) => {
            const check = (): void => {
              const event = events.find((candidate) => states.includes(candidate.state));
              if (!event) return;
              waiters.delete(check);
              found(event);
            };
            waiters.add(check);
            check();
          });
        },
        close: () => request.destroy(),
      });
    });
    request.on('error', (error) => {
      if (!request.destroyed) reject(error);
    });
    request.end();
  });
}
