/**
 * Twilio says "not found" in several ways: the generic 20404 and Verify's own 60390 (factor), 60391
 * (challenge) and 60392 (entity). Whichever it uses, a challenge Twilio no longer knows must leave the webhook
 * answering 200 with nothing changed (not a 5xx that Twilio would retry) and a polling login pending.
 */
import { describe, expect, it } from 'vitest';
import { agentFor, answerOnPhone, passwordLogin, useWorld } from './harness.js';

const world = useWorld();

describe.each([20404, 60390, 60391, 60392])('Twilio answering not found with %i', (code) => {
  it('the webhook acknowledges the event (200) and changes nothing', async () => {
    const app = await world.startApp();
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    await agent.post('/login/push').expect(202);
    world.emulator.faults.add({ operation: 'fetchChallenge', source: 'api', kind: 'status', status: 404, code, times: 10 });
    const deliveredBefore = world.emulator.deliveries().length;
    await answerOnPhone(world, 'alice', 'approve');
    const delivered = world.emulator.deliveries().slice(deliveredBefore);
    expect(delivered.map((d) => [d.outcome, d.status])).toEqual([['sent', 200]]);
    await agent.post('/login/push').expect(202);
    await app.close();
  });

  it('a polling login stays pending and completes once Twilio answers again', async () => {
    const app = await world.startApp({ webhook: false });
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    await agent.post('/login/push').expect(202);
    await answerOnPhone(world, 'alice', 'approve');
    world.emulator.faults.add({ operation: 'fetchChallenge', source: 'api', kind: 'status', status: 404, code, times: 1 });
    world.clock.advance(2_000);
    await agent.post('/login/push').expect(202);
    world.clock.advance(2_000);
    const done = await agent.post('/login/push').expect(200);
    expect(done.body.loggedIn).toBe('alice');
    await app.close();
  });
});
