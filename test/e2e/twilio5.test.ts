/**
 * The strategy with a twilio-node v5 client (the rest of the e2e suite uses v6, which the emulator's own
 * `client()` builds). Both majors are supported, and the strategy sends its Verify calls through the
 * client's `request()`, whose shape must hold for v5 as well.
 */
import { describe, expect, it } from 'vitest';
import twilio5 from 'twilio5';
import { createRecordingClient, type RecordedResponse } from '../helpers/recording-client.js';
import { agentFor, answerOnPhone, apiCalls, passwordLogin, useWorld } from './harness.js';

const world = useWorld();

/** A twilio v5 client whose requests go to the emulator, recording each answer it got. */
function twilio5Client(log: RecordedResponse[]) {
  const httpClient = createRecordingClient(twilio5.RequestClient, { baseUrl: world.emulator.url, log, timeout: 5000 });
  return twilio5(world.emulator.accountSid, world.emulator.authToken, { httpClient });
}

describe('with a twilio v5 client', () => {
  it('logs in after the phone approves, told by the webhook, with every Verify call sent by the v5 client', async () => {
    const log: RecordedResponse[] = [];
    const app = await world.startApp({ strategy: { client: twilio5Client(log) } });
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    world.emulator.clearCalls();

    const pending = await agent.post('/login/push').expect(202);
    expect(pending.body).toMatchObject({ status: 'pending', code: 'CHALLENGE_PENDING', message: 'Approve sign-in to E2E App?' });
    await agent.get('/app/secret').expect(202);

    await answerOnPhone(world, 'alice', 'approve');
    const done = await agent.post('/login/push').expect(200);
    expect(done.body.loggedIn).toBe('alice');
    await agent.get('/app/secret').expect(200, { secret: 42, user: 'alice' });

    // What Twilio received from the app: one factor lookup, one challenge, one fetch after the webhook.
    expect(apiCalls(world, 'listFactors')).toBe(1);
    expect(apiCalls(world, 'createChallenge')).toBe(1);
    expect(apiCalls(world, 'fetchChallenge')).toBe(1);
    expect(apiCalls(world)).toBe(3);
    const [create] = world.emulator.calls({ source: 'api', operation: 'createChallenge' });
    expect(create!.params.FactorSid).toBe(world.factors.get('alice'));
    expect(create!.params['Details.Message']).toBe('Approve sign-in to E2E App?');

    // Each of those went through the v5 SDK's request path (the recorder is a subclass of its RequestClient)
    // and was answered successfully; the phone's calls use another client and are not in this log.
    expect(log.map((r) => [r.method, r.statusCode])).toEqual([
      ['GET', 200],
      ['POST', 201],
      ['GET', 200],
    ]);
    expect(log.every((r) => r.uri.startsWith(`${world.emulator.url}/v2/Services/${world.serviceSid}/`))).toBe(true);
    await app.close();
  });
});
