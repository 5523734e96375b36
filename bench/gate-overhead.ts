/**
 * Gate overhead on a verified session: `app.use(passport.authenticate('verify-push', { gate: true }))` in
 * front of a protected handler, against the same app's same handler without the gate (Express +
 * express-session + passport.session() in both). Same session cookie, same keep-alive load: fixed
 * concurrency and request count, a warm-up, then alternating A/B rounds (ABBA order) so drift hits
 * both sides alike; the verdict uses the median of the paired rounds' ratios. The server runs in a child
 * process, which also reports its CPU time per request (less disturbed by other processes than latency).
 * Target: ≤ 5 % added mean latency.
 */
import { keepAliveAgent, send } from './support/http.js';
import { startChild } from './support/child.js';
import type { GateServerReady } from './support/gate-server.js';
import { runLoad } from './support/load.js';
import { detail, heading, info, result } from './support/report.js';
import { fixed, mean, median, percentile } from './support/stats.js';

const CONCURRENCY = 8;
const WARMUP = 3000;
const ROUND = 2000;
const ROUND_PAIRS = 12;
const TARGET = 1.05;

async function main(): Promise<void> {
  heading('Gate overhead on a verified session');
  detail(`concurrency ${CONCURRENCY}, ${ROUND_PAIRS} round pairs of ${ROUND} requests per side (ABBA order), warm-up ${WARMUP} per side`);
  const server = await startChild<GateServerReady>(new URL('./support/gate-server.ts', import.meta.url));
  const agent = keepAliveAgent(CONCURRENCY);
  try {
    const { port, userId, verifiedCookie, firstFactorCookie } = server.ready;
    const expected = `ok ${userId}`;
    const spec = (path: string) => () => ({ method: 'GET' as const, path, headers: { cookie: verifiedCookie, accept: 'application/json' } });
    const bare = spec('/bare/protected');
    const gated = spec('/gated/protected');

    // The comparison only means something if the gate really runs and really lets this session through.
    for (const path of ['/bare/protected', '/gated/protected']) {
      const answer = await send(agent, port, { method: 'GET', path, headers: { cookie: verifiedCookie } });
      if (answer.status !== 200 || answer.body !== expected) throw new Error(`${path} answered ${answer.status} ${answer.body}`);
    }
    const challenged = await send(agent, port, { method: 'GET', path: '/gated/protected', headers: { cookie: firstFactorCookie, accept: 'application/json' } });
    if (challenged.status !== 202) throw new Error(`the gate let a first-factor-only session through (${challenged.status})`);
    detail('checked: both routes answer 200 to the verified session; the gate answers 202 to a first-factor-only session');

    const load = (next: () => ReturnType<typeof bare>, count: number) =>
      runLoad({ agent, port, concurrency: CONCURRENCY, count, spec: next, expectStatus: 200, expectBody: (body) => body === expected });

    await load(bare, WARMUP);
    await load(gated, WARMUP);

    const sides = {
      bare: { latencies: [] as number[], means: [] as number[], throughput: [] as number[], cpuUs: 0 },
      gated: { latencies: [] as number[], means: [] as number[], throughput: [] as number[], cpuUs: 0 },
    };
    const pairRatios: number[] = [];
    for (let pair = 0; pair < ROUND_PAIRS; pair += 1) {
      const order: Array<'bare' | 'gated'> = pair % 2 === 0 ? ['bare', 'gated'] : ['gated', 'bare'];
      for (const side of order) {
        const cpuBefore = await server.ask<number>({ type: 'cpu' });
        const round = await load(side === 'bare' ? bare : gated, ROUND);
        sides[side].cpuUs += (await server.ask<number>({ type: 'cpu' })) - cpuBefore;
        sides[side].latencies.push(...round.latenciesMs);
        sides[side].means.push(mean(round.latenciesMs));
        sides[side].throughput.push(round.throughput);
      }
      pairRatios.push((sides.gated.means[pair] ?? Number.NaN) / (sides.bare.means[pair] ?? Number.NaN));
    }

    const figures = (side: 'bare' | 'gated') => ({
      mean: mean(sides[side].latencies),
      p50: percentile(sides[side].latencies, 50),
      p99: percentile(sides[side].latencies, 99),
      rps: mean(sides[side].throughput),
      cpuPerRequestUs: sides[side].cpuUs / (ROUND * ROUND_PAIRS),
    });
    const b = figures('bare');
    const g = figures('gated');
    for (const [name, f] of [['bare ', b], ['gated', g]] as const) {
      detail(
        `${name}: mean ${fixed(f.mean, 3)} ms, p50 ${fixed(f.p50, 3)} ms, p99 ${fixed(f.p99, 3)} ms, ` +
          `${fixed(f.rps, 0)} req/s, server CPU ${fixed(f.cpuPerRequestUs, 1)} µs/request`,
      );
    }
    detail(`per-pair mean ratios: ${pairRatios.map((r) => fixed(r, 3)).join(' ')}`);
    // The median of paired rounds shrugs off a burst of noise (other processes) landing on one round.
    const ratio = median(pairRatios);
    info(`gate overhead p99: ours ${fixed(g.p99, 3)} ms vs bare ${fixed(b.p99, 3)} ms → ratio ${fixed(g.p99 / b.p99, 3)}`);
    info(
      `gate overhead, server CPU: ours ${fixed(g.cpuPerRequestUs, 1)} µs vs bare ${fixed(b.cpuPerRequestUs, 1)} µs per request → ratio ` +
        `${fixed(g.cpuPerRequestUs / b.cpuPerRequestUs, 3)} (+${fixed(g.cpuPerRequestUs - b.cpuPerRequestUs, 1)} µs)`,
    );
    result(
      `gate overhead: ours ${fixed(g.mean, 3)} ms mean vs bare ${fixed(b.mean, 3)} ms → ratio ${fixed(ratio, 3)} ` +
        `(median of ${ROUND_PAIRS} paired rounds; pooled ${fixed(g.mean / b.mean, 3)}) (target ≤ ${TARGET})`,
      ratio <= TARGET,
    );
  } finally {
    agent.destroy();
    await server.stop();
  }
}

await main();
