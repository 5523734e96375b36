/**
 * Webhooks handled per second by strategy.webhook() against a bare Express route that parses the same
 * form body (express.urlencoded) and answers 200, under the same load: keep-alive, fixed concurrency,
 * fixed request count, warm-up, alternating rounds (ABBA). Every request is a distinct delivery (fresh
 * `uuid`) of a `challenge.approved` event with a valid X-Twilio-Signature for the configured public URL.
 * The app runs in a child process; the emulator and the load generator run here.
 *
 * Variants (the store's state decides how far the handler goes):
 *   unknown  – the challenge sid is not in the store: signature, dedupe claim, store read, 200. No fetch.
 *   settled  – the record is already approved (a poll got there first): same path, no fetch.
 *   confirm  – the record is pending and the challenge approved at "Twilio": the handler also makes the
 *              confirming fetch to the emulator and compare-and-sets the record (the full first delivery).
 * Target (≥ 50 % of bare throughput, signature checks included) is judged on the no-fetch variants; the
 * confirm variant includes a Twilio round trip the bare route does not make, so it is printed for context.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import twilio from 'twilio';
import type { ChallengeRecord } from '../src/index.js';
import { VerifyPushEmulator, type RunningEmulator, type SimulatedDevice } from '../src/testing/index.js';
import { startChild, type ChildServer } from './support/child.js';
import { keepAliveAgent, type RequestSpec } from './support/http.js';
import { runLoad } from './support/load.js';
import { detail, heading, info, result } from './support/report.js';
import { fixed, median } from './support/stats.js';
import type { WebhookServerConfig, WebhookServerReady } from './support/webhook-server.js';

const CONCURRENCY = 16;
const WARMUP = 2000;
const ROUND = 1500;
const ROUND_PAIRS = 10;
const CONFIRM_ROUND = 300;
const CONFIRM_PAIRS = 3;
const SETTLED_RECORDS = 200;
const TARGET = 0.5;
const PUBLIC_URL = 'https://app.example.com/hooks/verify-push';

interface Fixture {
  emulator: RunningEmulator;
  serviceSid: string;
  identity: string;
  factorSid: string;
  /** The phone holds the factor's key: the one that enrolled must answer. */
  device: SimulatedDevice;
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** A delivery as Twilio sends it: form-encoded, signed for the public URL, a fresh uuid each time. */
function delivery(f: Fixture, challengeSid: string): { body: string; signature: string } {
  const params: Record<string, string> = {
    uuid: randomUUID(),
    type: 'challenge.approved',
    account_sid: f.emulator.accountSid,
    service_sid: f.serviceSid,
    entity_identity: f.identity,
    factor_sid: f.factorSid,
    factor_type: 'push',
    challenge_sid: challengeSid,
  };
  return { body: new URLSearchParams(params).toString(), signature: twilio.getExpectedTwilioSignature(f.emulator.authToken, PUBLIC_URL, params) };
}

function record(f: Fixture, challengeSid: string, status: ChallengeRecord['status'], transactionId: string, expiresAt: number): ChallengeRecord {
  const now = Date.now();
  return {
    challengeSid,
    serviceSid: f.serviceSid,
    identity: f.identity,
    factorSid: f.factorSid,
    transactionId,
    status,
    createdAt: now,
    expiresAt,
    ...(status === 'pending' ? {} : { settledAt: now }),
  };
}

/** Real challenges at the emulator, approved on the phone, with our pending record of each. */
async function approvedChallenges(f: Fixture, count: number): Promise<ChallengeRecord[]> {
  const client = f.emulator.client();
  const records: ChallengeRecord[] = [];
  const one = async (): Promise<void> => {
    const transactionId = randomBytes(16).toString('base64url');
    const challenge = await client.verify.v2.services(f.serviceSid).entities(f.identity).challenges.create({
      factorSid: f.factorSid,
      'details.message': 'Approve sign-in?',
      hiddenDetails: { transaction_id: transactionId },
    });
    await f.device.approve({ serviceSid: f.serviceSid, identity: f.identity, factorSid: f.factorSid, challengeSid: challenge.sid });
    records.push(record(f, challenge.sid, 'pending', transactionId, challenge.expirationDate.getTime()));
  };
  for (let done = 0; done < count; done += 8) await Promise.all(Array.from({ length: Math.min(8, count - done) }, one));
  return records;
}

interface SideFigures {
  requests: number;
  elapsedMs: number;
  cpuUs: number;
  roundThroughput: number[];
}

async function compare(
  server: ChildServer<WebhookServerReady>,
  name: string,
  pairs: number,
  rounds: { ours: RequestSpec[][]; bare: RequestSpec[][] },
  oursBody: string,
): Promise<{ ours: SideFigures; bare: SideFigures; ratio: number }> {
  const agent = keepAliveAgent(CONCURRENCY);
  const { port } = server.ready;
  const figures = {
    ours: { requests: 0, elapsedMs: 0, cpuUs: 0, roundThroughput: [] as number[] },
    bare: { requests: 0, elapsedMs: 0, cpuUs: 0, roundThroughput: [] as number[] },
  };
  const pairRatios: number[] = [];
  try {
    for (let pair = 0; pair < pairs; pair += 1) {
      const order: Array<'ours' | 'bare'> = pair % 2 === 0 ? ['bare', 'ours'] : ['ours', 'bare'];
      for (const side of order) {
        const specs = rounds[side][pair] ?? [];
        const cpuBefore = await server.ask<number>({ type: 'cpu' });
        const round = await runLoad({
          agent,
          port,
          concurrency: CONCURRENCY,
          count: specs.length,
          spec: (i) => specs[i] as RequestSpec,
          expectStatus: 200,
          expectBody: (body) => body === (side === 'ours' ? oursBody : '{"result":"ok"}'),
        });
        const f = figures[side];
        f.cpuUs += (await server.ask<number>({ type: 'cpu' })) - cpuBefore;
        f.requests += specs.length;
        f.elapsedMs += round.elapsedMs;
        f.roundThroughput.push(round.throughput);
      }
      pairRatios.push((figures.ours.roundThroughput[pair] ?? Number.NaN) / (figures.bare.roundThroughput[pair] ?? Number.NaN));
    }
  } finally {
    agent.destroy();
  }
  for (const side of ['bare', 'ours'] as const) {
    const f = figures[side];
    detail(
      `${name}, ${side === 'ours' ? 'ours' : 'bare'}: ${f.requests} requests, ${fixed((f.requests / f.elapsedMs) * 1000, 0)} req/s pooled, ` +
        `rounds ${f.roundThroughput.map((t) => fixed(t, 0)).join('/')} req/s, server CPU ${fixed(f.cpuUs / f.requests, 1)} µs/request`,
    );
  }
  detail(`${name}: per-pair throughput ratios ${pairRatios.map((r) => fixed(r, 3)).join(' ')}`);
  return { ...figures, ratio: median(pairRatios) };
}

function specsFor(server: ChildServer<WebhookServerReady>, path: 'ourPath' | 'barePath', deliveries: { body: string; signature: string }[]): RequestSpec[] {
  return deliveries.map(({ body, signature }) => ({
    method: 'POST',
    path: server.ready[path],
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'x-twilio-signature': signature, 'user-agent': 'TwilioProxy/1.1' },
    body,
  }));
}

/** Same deliveries for both sides, freshly signed per round (built before the clock starts). */
function roundsOf(server: ChildServer<WebhookServerReady>, f: Fixture, pairs: number, sidsFor: (pair: number) => string[]) {
  const ours: RequestSpec[][] = [];
  const bare: RequestSpec[][] = [];
  for (let pair = 0; pair < pairs; pair += 1) {
    const deliveries = sidsFor(pair).map((sid) => delivery(f, sid));
    ours.push(specsFor(server, 'ourPath', deliveries));
    bare.push(specsFor(server, 'barePath', deliveries));
  }
  return { ours, bare };
}

function report(name: string, figures: { ours: SideFigures; bare: SideFigures; ratio: number }, judged: boolean): void {
  const rate = (f: SideFigures): number => (f.requests / f.elapsedMs) * 1000;
  const text =
    `webhooks handled, ${name}: ours ${fixed(rate(figures.ours), 0)} req/s vs bare ${fixed(rate(figures.bare), 0)} req/s → ratio ` +
    `${fixed(figures.ratio, 3)} (median of paired rounds; pooled ${fixed(rate(figures.ours) / rate(figures.bare), 3)})`;
  // Server CPU per request bounds what the app can sustain, and other processes disturb it less than wall time.
  const cpu = (f: SideFigures): number => f.cpuUs / f.requests;
  info(
    `webhooks handled, ${name}, server CPU: ours ${fixed(cpu(figures.ours), 1)} µs vs bare ${fixed(cpu(figures.bare), 1)} µs per request → ` +
      `capacity ratio ${fixed(cpu(figures.bare) / cpu(figures.ours), 3)}`,
  );
  if (judged) result(`${text} (target ≥ ${TARGET})`, figures.ratio >= TARGET);
  else info(text);
}

async function main(): Promise<void> {
  heading('Webhooks handled per second');
  detail(`concurrency ${CONCURRENCY}; ${ROUND_PAIRS} round pairs of ${ROUND} (confirm: ${CONFIRM_PAIRS} of ${CONFIRM_ROUND}), ABBA order, warm-up ${WARMUP}`);
  const emulator = await VerifyPushEmulator.start();
  let server: ChildServer<WebhookServerReady> | undefined;
  try {
    const serviceSid = await emulator.createService('bench webhooks');
    const identity = hex(32);
    const device = emulator.device();
    const { factorSid } = await device.register({ serviceSid, identity });
    const f: Fixture = { emulator, serviceSid, identity, factorSid, device };
    const config: WebhookServerConfig = {
      emulatorUrl: emulator.url,
      accountSid: emulator.accountSid,
      authToken: emulator.authToken,
      serviceSid,
      publicUrl: PUBLIC_URL,
    };
    server = await startChild<WebhookServerReady>(new URL('./support/webhook-server.ts', import.meta.url), [JSON.stringify(config)]);

    const unknownSids = (): string[] => Array.from({ length: ROUND }, () => `YC${hex(16)}`);
    const settled = Array.from({ length: SETTLED_RECORDS }, () => record(f, `YC${hex(16)}`, 'approved', randomBytes(16).toString('base64url'), Date.now() + 300_000));
    await server.ask({ type: 'seed', records: settled });
    const settledSids = (): string[] => Array.from({ length: ROUND }, (_, i) => settled[i % settled.length]?.challengeSid ?? '');

    const confirmRecords = await approvedChallenges(f, CONFIRM_ROUND * CONFIRM_PAIRS);
    await server.ask({ type: 'seed', records: confirmRecords });
    detail(`prepared: ${settled.length} settled records, ${confirmRecords.length} approved challenges with pending records`);

    const warm = roundsOf(server, f, 1, () => Array.from({ length: WARMUP }, () => `YC${hex(16)}`));
    await compare(server, 'warm-up', 1, warm, '{"result":"ignored"}');
    emulator.clearCalls();

    const unknown = await compare(server, 'unknown challenge', ROUND_PAIRS, roundsOf(server, f, ROUND_PAIRS, unknownSids), '{"result":"ignored"}');
    const already = await compare(server, 'settled challenge', ROUND_PAIRS, roundsOf(server, f, ROUND_PAIRS, settledSids), '{"result":"ignored"}');
    const fetchesWithout = emulator.calls({ operation: 'fetchChallenge', source: 'api' }).length;
    const confirm = await compare(
      server,
      'confirm fetch',
      CONFIRM_PAIRS,
      roundsOf(server, f, CONFIRM_PAIRS, (pair) => confirmRecords.slice(pair * CONFIRM_ROUND, (pair + 1) * CONFIRM_ROUND).map((r) => r.challengeSid)),
      '{"result":"settled"}',
    );
    const fetchesWith = emulator.calls({ operation: 'fetchChallenge', source: 'api' }).length - fetchesWithout;
    detail(`Twilio fetches: ${fetchesWithout} in the unknown/settled variants, ${fetchesWith} for ${confirm.ours.requests} confirm deliveries`);

    report('unknown challenge (no fetch)', unknown, true);
    report('settled challenge (no fetch)', already, true);
    report('pending challenge, confirming fetch to the emulator', confirm, false);
  } finally {
    await server?.stop();
    await emulator.close();
  }
}

await main();
