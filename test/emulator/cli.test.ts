/**
 * The emulator server as a user runs it (`npx passport-twilio-verify-push-emulator`): the built `bin` in a
 * process of its own, driven from this one through `emulatorClient` and `emulatorDevice` with nothing but
 * the JSON line it printed.
 */
import { readFileSync, statSync } from 'node:fs';
import twilio from 'twilio';
import { afterEach, describe, expect, it } from 'vitest';
import { emulatorClient, emulatorDevice } from '../../src/testing/index.js';
import { emulatorBinPath as binPath, killEmulatorBins, startEmulatorBin as startBin } from '../helpers/emulator-bin.js';
import { startReceiver } from './receiver.js';

afterEach(killEmulatorBins);

describe('emulator server (bin)', () => {
  it('is an executable node script', () => {
    expect(readFileSync(binPath(), 'utf8').split('\n', 1)[0]).toBe('#!/usr/bin/env node');
    expect(statSync(binPath()).mode & 0o111).not.toBe(0);
  });

  it('prints its connection, serves a full challenge to a client in another process, and stops on SIGTERM', async () => {
    const { child, info, stderr, exited } = await startBin(['--service']);
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.accountSid).toMatch(/^AC[0-9a-f]{32}$/);
    expect(info.authToken).not.toBe('');
    expect(info.serviceSid).toMatch(/^VA[0-9a-f]{32}$/);
    // The readable copy goes to stderr, so stdout stays one JSON line.
    await expect.poll(stderr).toContain(`Verify Push emulator listening on ${info.url}`);
    expect(stderr()).toContain(info.serviceSid);

    const serviceSid = info.serviceSid!;
    const identity = 'cli-user-0001';
    const client = emulatorClient(info);
    const phone = emulatorDevice(info);
    const { factorSid } = await phone.register({ serviceSid, identity });
    const challenges = client.verify.v2.services(serviceSid).entities(identity).challenges;
    const created = await challenges.create({ factorSid, 'details.message': 'Approve sign-in?', hiddenDetails: { transaction_id: 'tx-cli' } });
    const [pending] = await phone.challenges({ serviceSid, identity, factorSid, status: 'pending' });
    expect(pending?.sid).toBe(created.sid);
    await phone.approve({ serviceSid, identity, factorSid, challengeSid: created.sid, transactionId: 'tx-cli' });
    expect((await challenges(created.sid).fetch()).status).toBe('approved');

    child.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
  });

  it('takes the port and credentials it is given, creates no service unless asked, and stops on SIGINT', async () => {
    const accountSid = `AC${'1'.repeat(32)}`;
    const { child, info, exited } = await startBin(['--account-sid', accountSid, '--auth-token', 'cli-test-token']);
    expect(info).toEqual({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), accountSid, authToken: 'cli-test-token' });
    const client = emulatorClient(info);
    expect((await client.verify.v2.services.create({ friendlyName: 'made by the client' })).sid).toMatch(/^VA/);
    // The credentials are checked: a client with another token is refused as Twilio refuses it.
    await expect(emulatorClient({ ...info, authToken: 'wrong' }).verify.v2.services.list()).rejects.toMatchObject({ status: 401 });

    child.kill('SIGINT');
    expect(await exited).toEqual({ code: 0, signal: null });
  });

  it('listens on the --port given', async () => {
    const first = await startBin([]);
    const port = Number(new URL(first.info.url).port);
    first.child.kill('SIGTERM');
    await first.exited;
    // The port just freed is free again (nothing else in this test binds it).
    const second = await startBin(['--port', String(port)]);
    expect(second.info.url).toBe(`http://127.0.0.1:${port}`);
    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  });

  it('refuses a bad command line with the usage text and status 2', async () => {
    await expect(startBin(['--port', 'eighty'])).rejects.toThrow(/exited \(2\)[\s\S]*--port must be a whole number[\s\S]*Usage:/);
    await expect(startBin(['--webhook-body', 'xml'])).rejects.toThrow(/exited \(2\)[\s\S]*--webhook-body must be form or json/);
  });

  it('sends JSON webhooks signed through bodySHA256 with --webhook-body json', async () => {
    const receiver = await startReceiver();
    try {
      const { child, info, exited } = await startBin(['--service', '--webhook-body', 'json']);
      const serviceSid = info.serviceSid!;
      await emulatorClient(info).verify.v2.services(serviceSid).webhooks.create({
        friendlyName: 'json',
        eventTypes: ['factor.created'],
        webhookUrl: `${receiver.url}/hook`,
      });
      await emulatorDevice(info).register({ serviceSid, identity: 'cli-user-0002' });
      await expect.poll(() => receiver.received.length).toBe(1);
      const hook = receiver.received[0]!;
      expect(hook.contentType).toBe('application/json');
      expect(twilio.validateRequestWithBody(info.authToken, hook.signature, `${receiver.url}${hook.originalUrl}`, hook.raw)).toBe(true);
      child.kill('SIGTERM');
      expect(await exited).toEqual({ code: 0, signal: null });
    } finally {
      await receiver.close();
    }
  });
});
