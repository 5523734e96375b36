/**
 * Found by the soak (bench/soak): a user presses "send it again" just after answering on the phone, while the
 * webhook that would tell the app is lost or still on its way. The store still says pending, so the strategy
 * asks Twilio to re-send; Twilio refuses, the challenge being answered already (403 / 60322), and the press is
 * answered 502 TWILIO_ERROR, as if Twilio had failed. The README promises 409 when nothing is pending
 * (`CHALLENGE_DENIED`, ...), which is what the same press gets once the webhook has arrived.
 */
import { describe, expect, it } from 'vitest';
import { agentFor, answerOnPhone, passwordLogin, useWorld, type Agent } from './harness.js';

const world = useWorld();

/** A browser waiting on its push, whose answer on the phone the app never heard of (the webhook lost). */
async function answeredUnheard(username: string, answer: 'approve' | 'deny'): Promise<Agent> {
  const app = await world.startApp();
  const agent = agentFor(app);
  await passwordLogin(agent, username);
  await agent.post('/login/push').expect(202);
  world.emulator.faults.webhooks({ drop: 1 });
  await answerOnPhone(world, username, answer);
  return agent;
}

describe('"send it again" after the phone answered, before the app heard of it', () => {
  it('after a denial: 409 CHALLENGE_DENIED, as once the webhook has arrived, not 502', async () => {
    const agent = await answeredUnheard('alice', 'deny');

    const res = await agent.post('/login/push/resend');
    expect({ status: res.status, body: res.body }).toEqual({ status: 409, body: { error: 'CHALLENGE_DENIED' } });
  });

  it('after an approval: 409, nothing to re-send, and the login still completes', async () => {
    const agent = await answeredUnheard('bob', 'approve');

    const res = await agent.post('/login/push/resend');
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ error: 'CHALLENGE_ALREADY_USED' });
    // The webhook was lost: the login route's fallback fetch learns of the approval.
    world.clock.advance(16_000);
    await agent.post('/login/push/cb').expect(200);
  });
});
