import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { agentFor, factorRef, passwordLogin, phonePending, startWorld, type World } from '../e2e/harness.js';
import { readmeBlock, writeGenerated } from './readme-blocks.js';

interface PendingChallenge {
  sid: string;
  hiddenDetails: Record<string, string>;
}
interface DeviceChecks {
  challengeForLogin(pending: PendingChallenge[], transactionId: string): PendingChallenge;
  codeMatches(challenge: PendingChallenge, typedCode: string): boolean;
}

let world: World;
let checks: DeviceChecks;

beforeAll(async () => {
  world = await startWorld();
  // The README's two device-side samples, as one module of the device app.
  const file = writeGenerated('readme/device/checks.ts', `${readmeBlock('device-silent')}\n${readmeBlock('device-match')}`);
  checks = (await import(pathToFileURL(file).href)) as DeviceChecks;
});
afterAll(() => world.close());

/** What the Verify SDK hands the device app: pending challenges with their hidden details. */
async function pendingOnPhone(username: string): Promise<PendingChallenge[]> {
  const list = await phonePending(world, username);
  return list.map((c) => ({ sid: c.sid, hiddenDetails: (c.hidden_details ?? {}) as Record<string, string> }));
}

it('runs the README device-side checks on real challenges: silent approval picks only this login, the code must match', async () => {
  const app = await world.startApp({ webhook: true, strategy: { numberMatching: true } });
  // Two logins for alice: an older one in another browser, and the one made on the phone itself.
  const other = agentFor(app);
  await passwordLogin(other, 'alice');
  await other.post('/login/push').expect(202);
  const onPhone = agentFor(app);
  await passwordLogin(onPhone, 'alice');
  const { body } = await onPhone.post('/login/push').expect(202);

  const pending = await pendingOnPhone('alice');
  const chosen = checks.challengeForLogin(pending, body.transactionId);
  expect(chosen.sid).toBe(pending[0]!.sid); // the newest one, this login's, not the older browser's
  expect(() => checks.challengeForLogin(pending, 'someone-elses-transaction')).toThrow();

  expect(checks.codeMatches(chosen, body.matchCode)).toBe(true);
  expect(checks.codeMatches(chosen, body.matchCode === '00' ? '01' : '00')).toBe(false);
  expect(checks.codeMatches({ sid: chosen.sid, hiddenDetails: {} }, 'anything')).toBe(true);

  await world.device.approve({ ...factorRef(world, 'alice'), challengeSid: chosen.sid, matchCode: body.matchCode });
  await world.emulator.webhooksSettled();
  await onPhone.post('/login/push').expect(200);
});
