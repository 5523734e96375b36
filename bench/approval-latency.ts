/**
 * Approval → waiting browser told, on loopback, with the webhook and server-sent events.
 *
 * Ours: for each of MEASURED logins (after WARMUP), a browser starts the push, opens the events stream
 * and receives the initial "pending" event; then the phone approves. Timed from the moment the phone's
 * signed answer reaches "Twilio" (the emulator's call log, on a sub-millisecond clock shared with this
 * process) to the moment the "approved" event reaches the browser. In between: the emulator checks the
 * answer and sends the signed webhook, the app checks the signature, confirms with a fetch, records the
 * outcome in the store, and the store wakes the stream. Also printed: the same timed from the moment the
 * phone starts answering (its own fetch and signing included), an upper bound.
 *
 * Baseline, measured in the same run on the same emulator: a page polling every 2 s, each poll fetching
 * the challenge from Twilio (Twilio's sample). BASELINE_LOGINS logins run side by side, each approved at
 * a random moment of its poll cycle, and timed the same way until a poll sees "approved". Expected about
 * 1 s on average (half the interval) plus one poll's round trip.
 */
import { performance } from 'node:perf_hooks';
import { VerifyPushEmulator } from '../src/testing/index.js';
import { keepAliveAgent, sleep } from './support/http.js';
import { approveNewest, Browser, enrolPhones, type PhoneRef } from './support/login-client.js';
import { naivePushRoutes } from './support/naive-push.js';
import { startPushApp, subscribeWebhook } from './support/push-app.js';
import { detail, heading, result } from './support/report.js';
import { openStateStream } from './support/sse-reader.js';
import { fixed, max, mean, median, percentile } from './support/stats.js';

const WARMUP = 50;
const MEASURED = 200;
const BASELINE_LOGINS = 40;
const BASELINE_POLL_MS = 2000;
const TARGET_P99_MS = 50;
const EVENTS_PATH = '/login/push/events';

async function main(): Promise<void> {
  // The emulator stamps each call with its clock: give it this process's sub-millisecond one.
  const now = (): number => performance.timeOrigin + performance.now();
  const emulator = await VerifyPushEmulator.start({ clock: now });
  const serviceSid = await emulator.createService('bench approval latency');
  const device = emulator.device();
  // One user per login: the per-user start limit is a defence, not what is measured here.
  const ours = Array.from({ length: WARMUP + MEASURED }, (_, i) => ({ id: `sse-${i}` }));
  const naive = Array.from({ length: BASELINE_LOGINS }, (_, i) => ({ id: `poll-${i}` }));
  const phones = await enrolPhones(device, serviceSid, [...ours, ...naive]);

  const app = await startPushApp({
    client: emulator.client(),
    authToken: emulator.authToken,
    serviceSid,
    users: [...ours, ...naive],
    webhook: true,
    eventsPath: EVENTS_PATH,
    extraRoutes(express) {
      naivePushRoutes(express, emulator.client(), serviceSid);
    },
  });
  await subscribeWebhook(emulator, serviceSid, app);
  const agent = keepAliveAgent(8);

  // Ours: webhook + SSE, one login after another.
  const latencies: number[] = [];
  const fromTap: number[] = [];
  for (const [index, user] of ours.entries()) {
    const browser = new Browser({ agent, port: app.port });
    await browser.firstFactor(user.id);
    await browser.start('/login/push');
    const stream = await openStateStream(app.port, EVENTS_PATH, browser.jar.header());
    const first = await stream.event(0);
    if (first.state !== 'pending') throw new Error(`stream opened with ${first.state}`);
    const tappedAt = performance.now();
    await approveNewest(phones.get(user.id) as PhoneRef);
    const told = await stream.event(1);
    stream.close();
    if (told.state !== 'approved') throw new Error(`stream said ${told.state}`);
    const answer = emulator.calls({ operation: 'updateChallenge', source: 'device' }).at(-1);
    if (!answer) throw new Error('the phone answer is not in the call log');
    if (index >= WARMUP) {
      latencies.push(told.at - (answer.at - performance.timeOrigin));
      fromTap.push(told.at - tappedAt);
    }
    emulator.clearCalls();
  }

  // Baseline: polling every 2 s, approvals at random points of the cycle, all side by side.
  const waits = await Promise.all(
    naive.map(async (user) => {
      const browser = new Browser({ agent, port: app.port });
      await browser.firstFactor(user.id);
      const started = await browser.post('/naive/start');
      if (started.status !== 202) throw new Error(`naive start answered ${started.status}`);
      let approvedAt: number | undefined;
      // The tap lands anywhere in the poll cycle (timed from the tap, like ours "from the tap").
      const approval = sleep(Math.random() * BASELINE_POLL_MS * 2).then(async () => {
        approvedAt = performance.now();
        await approveNewest(phones.get(user.id) as PhoneRef);
      });
      for (;;) {
        await sleep(BASELINE_POLL_MS);
        const answer = await browser.post('/naive/status');
        if (answer.status === 200 && approvedAt !== undefined) {
          const wait = performance.now() - approvedAt;
          await approval;
          return wait;
        }
      }
    }),
  );

  await app.close();
  await emulator.close();
  agent.destroy();

  heading('approval → waiting browser told (loopback, webhook + SSE)');
  detail(`ours:     ${MEASURED} approvals after ${WARMUP} warm-up, from the phone's answer reaching Twilio to the browser told:`);
  detail(`          median ${fixed(median(latencies), 2)} ms, p99 ${fixed(percentile(latencies, 99), 2)} ms, max ${fixed(max(latencies), 2)} ms`);
  detail(`          from the tap (the phone's own fetch, signing and answer included): median ${fixed(median(fromTap), 2)} ms, p99 ${fixed(percentile(fromTap, 99), 2)} ms`);
  detail(`baseline: ${BASELINE_LOGINS} approvals, a page polling every ${BASELINE_POLL_MS} ms with one Twilio fetch per poll (Twilio's sample);`);
  detail(`          median ${fixed(median(waits), 0)} ms, mean ${fixed(mean(waits), 0)} ms, p99 ${fixed(percentile(waits, 99), 0)} ms`);
  // Same starting point on both sides (the tap), so the ratio compares like with like.
  detail(`ratio:    baseline / ours, both timed from the tap: median ${fixed(median(waits) / median(fromTap), 0)}×, p99 ${fixed(percentile(waits, 99) / percentile(fromTap, 99), 0)}×`);
  result(`p99 ${fixed(percentile(latencies, 99), 2)} ms (target ≤ ${TARGET_P99_MS} ms)`, percentile(latencies, 99) <= TARGET_P99_MS);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
