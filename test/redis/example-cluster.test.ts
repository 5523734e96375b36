/**
 * `REDIS_URL=… CLUSTER=3 npm start`, as a person runs it: three node:cluster workers on one port, sessions and
 * logins in Redis, the emulator and the phones in the primary. A login whose requests land on different
 * workers completes, and a waiting page held by one worker is told of an approval whose webhook another worker
 * received. Without the secrets that must match across workers, the example refuses to start.
 * The example imports the package by its name: this file needs `npm run build` first.
 */
import { describe, expect, it } from 'vitest';
import {
  clusterSecrets,
  freshRequest,
  openEventStream,
  runExampleUntilExit,
  sessionCookie,
  type EventStream,
  type FreshAnswer,
} from '../helpers/example-cluster.js';
import { useExampleClusterOnRedis } from '../helpers/example-cluster-on-redis.js';
import { redisAvailable } from '../helpers/redis-available.js';

const WEBHOOK_PATH = '/twilio/verify-webhook';

interface PhoneState {
  phones: Array<{ username: string; factorSid: string; challenges: Array<{ sid: string; replaced: boolean }> }>;
}

describe.skipIf(!redisAvailable())('the example as a cluster of three workers on Redis', () => {
  const example = useExampleClusterOnRedis(3);

  it('starts three worker processes and prints where to go', () => {
    expect(example.cluster.workerPids.size).toBe(3);
    expect(example.cluster.output()).toContain('3 worker processes on one port');
    // The banner names Redis by host and port only: a REDIS_URL may carry a password.
    expect(example.cluster.output()).toContain(`Redis at 127.0.0.1:${example.redis.port}`);
  });

  it('a login spread over the workers completes, and a page on another worker than the webhook is told', async () => {
    const answers: FreshAnswer[] = [];
    const send = async (path: string, init: Parameters<typeof freshRequest>[1] = {}): Promise<FreshAnswer> => {
      const answer = await freshRequest(`${example.cluster.url}${path}`, init);
      answers.push(answer);
      return answer;
    };

    // The password step, then the push starts (202 for an app asking in JSON).
    const login = await send('/login', {
      method: 'POST',
      headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'correct-horse' }),
    });
    expect(login.status).toBe(202);
    expect(JSON.parse(login.body)).toMatchObject({ code: 'CHALLENGE_PENDING' });
    let cookie = sessionCookie(login);
    expect(cookie).not.toBe('');

    // The session's waiting page, held on several workers: every stream says pending.
    const streams: EventStream[] = [];
    for (let opened = 0; opened < 9 && new Set(streams.map((s) => s.worker)).size < 3; opened += 1) {
      const stream = await openEventStream(`${example.cluster.url}/login/push/events`, cookie);
      await stream.next(['pending']);
      streams.push(stream);
    }
    expect(new Set(streams.map((s) => s.worker)).size).toBeGreaterThanOrEqual(2);

    try {
      // The phone (device simulator API, served by whichever worker, run by the primary) approves.
      const state = JSON.parse((await send('/device/api/state', { headers: { Accept: 'application/json' } })).body) as PhoneState;
      const phone = state.phones.find((p) => p.username === 'alice');
      const challenge = phone?.challenges.find((c) => !c.replaced);
      expect(challenge).toBeDefined();
      const logged = example.cluster.requests().length;
      const approve = await send('/device/api/approve', {
        method: 'POST',
        headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
        body: JSON.stringify({ factorSid: phone!.factorSid, challengeSid: challenge!.sid }),
      });
      expect(approve.status).toBe(200);

      // The emulator's webhook reached one worker; a stream held by another one is told of the approval.
      const webhook = await example.cluster.waitForRequest(logged, (r) => r.method === 'POST' && r.path === WEBHOOK_PATH);
      expect(webhook.status).toBe(200);
      const elsewhere = streams.find((s) => s.worker !== webhook.worker);
      expect(elsewhere, `every stream is on worker ${webhook.worker}`).toBeDefined();
      expect(await elsewhere!.next(['approved'])).toMatchObject({ state: 'approved' });
    } finally {
      for (const stream of streams) stream.close();
    }

    // Completion and the account page, wherever they land.
    const complete = await send('/login/push/complete', { headers: { Cookie: cookie } });
    expect(complete.status).toBe(302);
    expect(complete.headers.location).toBe('/account');
    cookie = sessionCookie(complete, cookie);
    const account = await send('/account', { headers: { Accept: 'application/json', Cookie: cookie } });
    expect(account.status).toBe(200);
    expect(JSON.parse(account.body)).toEqual({ username: 'alice', displayName: 'Alice Example' });

    // Every answer named its worker, and the login's requests were spread over more than one.
    expect(answers.every((a) => ['1', '2', '3'].includes(a.worker))).toBe(true);
    expect(new Set([...answers.map((a) => a.worker), ...streams.map((s) => s.worker)]).size).toBeGreaterThanOrEqual(2);
  });

  it('fresh connections are spread over the workers, and each page shows which one answered', async () => {
    const pages = await Promise.all(Array.from({ length: 6 }, () => freshRequest(`${example.cluster.url}/`)));
    const workers = new Set(pages.map((page) => page.worker));
    expect(workers.size).toBeGreaterThanOrEqual(2);
    for (const page of pages) {
      expect(page.status).toBe(200);
      expect(page.body).toContain(`<footer class="muted worker" data-worker="${page.worker}">Served by worker ${page.worker}</footer>`);
    }
  });
});

describe('the example refuses cluster mode without what the workers must share', () => {
  // Refused before any connection: no Redis needed at this address.
  const REDIS_URL = 'redis://127.0.0.1:1';

  it('names SESSION_SECRET when it is missing', async () => {
    const { IDENTITY_SECRET } = clusterSecrets();
    const result = await runExampleUntilExit({ REDIS_URL, CLUSTER: '3', PORT: '0', IDENTITY_SECRET });
    expect(result.code).toBe(1);
    expect(result.output).toContain('CLUSTER mode needs SESSION_SECRET');
    expect(result.output).not.toContain('IDENTITY_SECRET');
  });

  it('names IDENTITY_SECRET when it is missing', async () => {
    const { SESSION_SECRET } = clusterSecrets();
    const result = await runExampleUntilExit({ REDIS_URL, CLUSTER: '3', PORT: '0', SESSION_SECRET });
    expect(result.code).toBe(1);
    expect(result.output).toContain('CLUSTER mode needs IDENTITY_SECRET');
    // The message never echoes a secret.
    expect(result.output).not.toContain(SESSION_SECRET);
  });

  it('names both when both are missing, and REDIS_URL when that is', async () => {
    const both = await runExampleUntilExit({ REDIS_URL, CLUSTER: '3', PORT: '0' });
    expect(both.code).toBe(1);
    expect(both.output).toContain('CLUSTER mode needs SESSION_SECRET and IDENTITY_SECRET');
    const noRedis = await runExampleUntilExit({ CLUSTER: '3', PORT: '0', ...clusterSecrets() });
    expect(noRedis.code).toBe(1);
    expect(noRedis.output).toContain('CLUSTER needs REDIS_URL');
  });

  it('refuses a secret too short to be one', async () => {
    const result = await runExampleUntilExit({ REDIS_URL, CLUSTER: '3', PORT: '0', SESSION_SECRET: 'short', IDENTITY_SECRET: clusterSecrets().IDENTITY_SECRET });
    expect(result.code).toBe(1);
    expect(result.output).toContain('SESSION_SECRET must be at least 32 characters');
    expect(result.output).not.toContain('short');
  });
});
